/**
 * `stakeops keys generate`, `deposit verify` and `keystore verify` as a user runs them: the built
 * binary in a real process, no stdin, real scrypt keystores on disk.
 */
import { chmod, mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runStakeops } from "../helpers/cli.js";
import { listFiles, useTempDirs } from "../helpers/tempDir.js";

const tempDir = useTempDirs();
const suiteDir = useTempDirs("all");
const MNEMONIC = "window lottery throw arrange visit play gate open scare strategy sadness fame soul bronze soap";
const ADDRESS = "0x71C7656EC7ab88b098defB751B7401B5f6d8976F";

async function secrets(dir: string, values: { mnemonic?: string; password?: string } = {}): Promise<{ m: string; p: string }> {
  const m = join(dir, "mnemonic.txt");
  const p = join(dir, "password.txt");
  await writeFile(m, `${values.mnemonic ?? MNEMONIC}\n`, { mode: 0o600 });
  await writeFile(p, `${values.password ?? "blablatest"}\n`, { mode: 0o600 });
  return { m, p };
}

describe("keys generate (real scrypt, real files)", () => {
  let dir: string;
  let out: string;
  let generated: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    dir = await suiteDir();
    const { m, p } = await secrets(dir);
    out = join(dir, "out");
    generated = await runStakeops([
      "keys", "generate", "--mnemonic-file", m, "--password-file", p, "--count", "2",
      "--network", "hoodi", "--withdrawal-address", ADDRESS, "--out", out,
    ]);
  }, 120_000);

  it("exits 0, lists what it wrote, and prints progress lines (stderr is not a terminal)", () => {
    expect(generated.stderr).toMatch(/progress: 2\/2 keystores/);
    expect(generated.code).toBe(0);
    expect(generated.stdout).toMatch(/generated 2 validator keys \(indices 0\.\.1\) for hoodi, 32 ETH each/);
  });

  it("names files as the deposit CLI does, owner-read-only", async () => {
    const files = await listFiles(out);
    expect(files).toHaveLength(3);
    expect(files[0]).toMatch(/^deposit_data-\d{10}\.json$/);
    expect(files[1]).toMatch(/^keystore-m_12381_3600_0_0_0-\d{10}\.json$/);
    expect(files[2]).toMatch(/^keystore-m_12381_3600_1_0_0-\d{10}\.json$/);
    for (const file of files) expect((await stat(join(out, file))).mode & 0o777).toBe(0o400);
    const keystore = JSON.parse(await readFile(join(out, files[1] as string), "utf8")) as Record<string, unknown>;
    expect(Object.keys(keystore)).toEqual(["crypto", "description", "pubkey", "path", "uuid", "version"]);
    expect(keystore["crypto"]).toMatchObject({ kdf: { function: "scrypt", params: { n: 262144, r: 8, p: 1, dklen: 32 } } });
  });

  it("passes `deposit verify` with the expected address, and fails it for another network", async () => {
    const file = join(out, (await listFiles(out))[0] as string);
    const ok = await runStakeops(["deposit", "verify", file, "--network", "hoodi", "--withdrawal-address", ADDRESS]);
    expect(ok.stdout).toBe("ok: 2 deposits verified for hoodi\n");
    expect(ok.code).toBe(0);
    const wrong = await runStakeops(["deposit", "verify", file, "--network", "sepolia"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/entry 0 \(pubkey 0x[0-9a-f]{12}…\): fork_version: is 0x10000910, expected sepolia/);
    expect(wrong.stdout).toMatch(/entry 1 .*signature: does not verify/);
  });

  it("passes `keystore verify` with the password and fails with another", async () => {
    const keystores = (await listFiles(out)).filter((f) => f.startsWith("keystore-")).map((f) => join(out, f));
    const ok = await runStakeops(["keystore", "verify", ...keystores, "--password-file", join(dir, "password.txt")]);
    expect(ok.code).toBe(0);
    expect(ok.stdout.match(/^ok: /gm)).toHaveLength(2);
    const wrongPassword = join(dir, "wrong.txt");
    await writeFile(wrongPassword, "not the password\n", { mode: 0o600 });
    const bad = await runStakeops(["keystore", "verify", keystores[0] as string, "--password-file", wrongPassword]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/failed: .*keystore-m_12381_3600_0_0_0-.*: wrong password/);
  });

  it("never prints the mnemonic or the password", () => {
    const all = generated.stdout + generated.stderr;
    expect(all).not.toContain("lottery");
    expect(all).not.toContain("blablatest");
  });
});

describe("keys generate refuses bad input with a precise message and writes nothing", () => {
  const base = (m: string, p: string, out: string): string[] => [
    "keys", "generate", "--mnemonic-file", m, "--password-file", p, "--count", "1", "--out", out,
  ];
  it.each([
    // [case, extra args, secrets override, exit code, message pattern]
    ["a mnemonic with a bad checksum", ["--network", "hoodi", "--withdrawal-address", ADDRESS], { mnemonic: MNEMONIC.replace("soap", "soul") }, 1, /checksum does not match/],
    ["a mnemonic of 14 words", ["--network", "hoodi", "--withdrawal-address", ADDRESS], { mnemonic: MNEMONIC.split(" ").slice(1).join(" ") }, 1, /14 words/],
    ["an unknown network", ["--network", "goerli", "--withdrawal-address", ADDRESS], {}, 2, /argument 'goerli' is invalid/],
    ["a malformed address", ["--network", "hoodi", "--withdrawal-address", "0x71C7656EC7ab88b098defB751B7401B5f6d8976"], {}, 1, /not an execution address/],
    ["an address with a bad checksum", ["--network", "hoodi", "--withdrawal-address", "0x71c7656EC7ab88b098defB751B7401B5f6d8976F"], {}, 1, /fails its EIP-55 checksum/],
    ["a lower-case address", ["--network", "hoodi", "--withdrawal-address", ADDRESS.toLowerCase()], {}, 1, /not in EIP-55 checksum form/],
    ["33 ETH without --compounding", ["--network", "hoodi", "--withdrawal-address", ADDRESS, "--amount", "33"], {}, 1, /exactly 32 ETH, got 33 ETH/],
    ["4096 ETH with --compounding", ["--network", "hoodi", "--withdrawal-address", ADDRESS, "--compounding", "--amount", "4096"], {}, 1, /1 to 2048 ETH, got 4096 ETH/],
    ["an amount that is not a number", ["--network", "hoodi", "--withdrawal-address", ADDRESS, "--compounding", "--amount", "lots"], {}, 1, /not an amount in ETH/],
    ["--compounding without an address", ["--network", "hoodi", "--compounding"], {}, 1, /give --withdrawal-address/],
    ["no withdrawal choice", ["--network", "hoodi"], {}, 1, /--bls-withdrawal for 0x00/],
    ["an address and --bls-withdrawal", ["--network", "hoodi", "--withdrawal-address", ADDRESS, "--bls-withdrawal"], {}, 1, /cannot be combined/],
    ["no network", ["--withdrawal-address", ADDRESS], {}, 1, /choose a network/],
    ["a malformed fork version", ["--fork-version", "0x1000", "--withdrawal-address", ADDRESS], {}, 1, /4 bytes/],
    ["a weak password", ["--network", "hoodi", "--withdrawal-address", ADDRESS], { password: "short" }, 1, /at least 8 characters/],
  ])("%s", async (_case, extra, secretValues, code, message) => {
    const dir = await tempDir();
    const { m, p } = await secrets(dir, secretValues);
    const out = join(dir, "out");
    const run = await runStakeops([...base(m, p, out), ...extra]);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(code);
    expect(await readdir(dir)).toEqual(["mnemonic.txt", "password.txt"]);
  });

  it("an output folder that already holds files", async () => {
    const dir = await tempDir();
    const { m, p } = await secrets(dir);
    const out = join(dir, "out");
    await mkdir(out);
    await writeFile(join(out, "keystore-m_12381_3600_0_0_0-1.json"), "{}");
    const run = await runStakeops([...base(m, p, out), "--network", "hoodi", "--withdrawal-address", ADDRESS]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/already contains 1 file \(keystore-m_12381_3600_0_0_0-1\.json\); write each run to a new or empty folder/);
    expect(await readdir(out)).toEqual(["keystore-m_12381_3600_0_0_0-1.json"]);
  });

  it("no password file and no terminal to ask on", async () => {
    const dir = await tempDir();
    const { m } = await secrets(dir);
    const run = await runStakeops(["keys", "generate", "--mnemonic-file", m, "--count", "1", "--network", "hoodi", "--bls-withdrawal", "--out", join(dir, "o")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--password-file is required: give the keystore password in a file \(there is no terminal to ask on\)/);
  });

  it("a password file that does not exist", async () => {
    const dir = await tempDir();
    const { m } = await secrets(dir);
    const run = await runStakeops(["keys", "generate", "--mnemonic-file", m, "--password-file", join(dir, "nope.txt"), "--count", "1", "--network", "hoodi", "--bls-withdrawal", "--out", join(dir, "o")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot read --password-file .*nope\.txt: ENOENT/);
  });

  it("warns about a password file others can read", async () => {
    const dir = await tempDir();
    const { m, p } = await secrets(dir, { password: "short" });
    await chmod(p, 0o644);
    const run = await runStakeops([...base(m, p, join(dir, "o")), "--network", "hoodi", "--bls-withdrawal"]);
    expect(run.stderr).toMatch(/warning: --password-file .* is readable by other users \(mode 644\); chmod 600 it/);
  });
});
