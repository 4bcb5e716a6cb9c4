/** The smaller commands, as a user runs them: mnemonic, deposit verify on damaged files, --help everywhere. */
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkMnemonic } from "../../src/keygen/mnemonic.js";
import { runStakeops } from "../helpers/cli.js";
import { fixtureText } from "../helpers/vectors.js";
import { useTempDirs } from "../helpers/tempDir.js";

const tempDir = useTempDirs();

describe("mnemonic new", () => {
  it("prints a valid 24-word English mnemonic on stdout and the warning on stderr", async () => {
    const run = await runStakeops(["mnemonic", "new"]);
    expect(run.code).toBe(0);
    expect(checkMnemonic(run.stdout)).toMatchObject({ wordCount: 24, language: "english" });
    expect(run.stderr).toMatch(/keep it offline/);
  });

  it("writes to a new file with mode 0600 and never overwrites it", async () => {
    const file = join(await tempDir(), "mnemonic.txt");
    const first = await runStakeops(["mnemonic", "new", "--out", file, "--words", "12", "--language", "italian"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("");
    const phrase = await readFile(file, "utf8");
    expect(checkMnemonic(phrase)).toMatchObject({ wordCount: 12 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const second = await runStakeops(["mnemonic", "new", "--out", file]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already exists; stakeops never overwrites a file/);
    expect(await readFile(file, "utf8")).toBe(phrase);
  });

  it("check: says what is wrong without echoing the words", async () => {
    const file = join(await tempDir(), "m.txt");
    await writeFile(file, "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon\n", { mode: 0o600 });
    const run = await runStakeops(["mnemonic", "check", "--mnemonic-file", file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("error: the mnemonic's BIP39 checksum does not match: a word is wrong or the words are out of order\n");
  });
});

describe("deposit verify on damaged files", () => {
  const good = fixtureText("charon/TestMarshalDepositData.golden");
  const args = (file: string): string[] => ["deposit", "verify", file, "--fork-version", "0x00001020", "--network-name", "goerli"];

  it("accepts a third-party file (Obol charon, 0x02 credentials)", async () => {
    const file = join(await tempDir(), "deposit.json");
    await writeFile(file, good);
    const run = await runStakeops(args(file));
    expect(run.stdout).toBe("ok: 4 deposits verified for goerli\n");
    expect(run.code).toBe(0);
  });

  it("a truncated file", async () => {
    const file = join(await tempDir(), "deposit.json");
    await writeFile(file, good.slice(0, good.length / 2));
    const run = await runStakeops(args(file));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/deposit data file .*deposit\.json is not valid JSON \(.*\); the file may be truncated/);
  });

  it("a tampered amount: one line per problem, naming entry and field; JSON output too", async () => {
    const file = join(await tempDir(), "deposit.json");
    const entries = JSON.parse(good) as Record<string, unknown>[];
    (entries[2] as Record<string, unknown>)["amount"] = 31_000_000_000;
    await writeFile(file, JSON.stringify(entries));
    const run = await runStakeops(args(file));
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/: entry 2 \(pubkey 0x940a838cd88c…\): deposit_message_root: is 4b949eae.* but pubkey, withdrawal_credentials and amount hash to /),
      expect.stringMatching(/: entry 2 \(pubkey 0x940a838cd88c…\): deposit_data_root: is 2f6f2f07.* but the deposit hashes to /),
      expect.stringMatching(/: entry 2 \(pubkey 0x940a838cd88c…\): signature: does not verify/),
      "failed: 3 problems in 1 of 4 entries",
    ]);
    const json = await runStakeops([...args(file), "--json"]);
    const parsed = JSON.parse(json.stdout) as { valid: number; problems: { entry: number; code: string }[] };
    expect(parsed.valid).toBe(3);
    expect(parsed.problems.map((p) => [p.entry, p.code])).toEqual([
      [2, "DEPOSIT_MESSAGE_ROOT_MISMATCH"],
      [2, "DEPOSIT_DATA_ROOT_MISMATCH"],
      [2, "SIGNATURE_INVALID"],
    ]);
  });

  it("a file that does not exist", async () => {
    const run = await runStakeops(args("/nonexistent/deposit.json"));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot read deposit data file \/nonexistent\/deposit\.json: ENOENT/);
  });
});

describe("--help", () => {
  it.each([
    [[]],
    [["mnemonic"]],
    [["mnemonic", "new"]],
    [["mnemonic", "check"]],
    [["keys"]],
    [["keys", "generate"]],
    [["deposit"]],
    [["deposit", "verify"]],
    [["keystore"]],
    [["keystore", "verify"]],
    [["exit"]],
    [["exit", "sign"]],
  ])("stakeops %j --help", async (command) => {
    const run = await runStakeops([...command, "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: stakeops ${command.join(" ")}`.trimEnd()));
  });

  it("an unknown flag is a usage error (exit 2) that points to --help", async () => {
    const run = await runStakeops(["keys", "generate", "--count", "1", "--cont", "3"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option '--cont'[\s\S]*run with --help/);
  });
});
