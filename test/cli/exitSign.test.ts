/**
 * `stakeops exit sign` as a user runs it, against ethdo's known answers (mainnet, EIP-7044 domain):
 * from a keystore written by the deposit CLI, and from the mnemonic.
 */
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runStakeops } from "../helpers/cli.js";
import { useTempDirs } from "../helpers/tempDir.js";
import { fixture } from "../helpers/vectors.js";

const tempDir = useTempDirs();
const exits = fixture<{ mnemonic: string; cases: { keyIndex: number; validatorIndex: number; epoch: number; expectedSignature: string }[] }>(
  "exits/ethdo-mainnet.json",
);
const [first, second] = exits.cases;
if (first === undefined || second === undefined) throw new Error("fixture changed: two exit cases expected");
// The deposit CLI's keystore for key 0 of the same mnemonic (ethstaker-deposit-cli 1.2.2, via eth-staking-smith).
const KEYSTORE = new URL("../fixtures/deposit-cli/withdrawal_credentials_bls/hoodi/keystore-m_12381_3600_0_0_0-1755000050.json", import.meta.url).pathname;

describe("exit sign", () => {
  it("from a deposit-CLI keystore: ethdo's signature, the deposit CLI's file name, JSON and mode", async () => {
    const dir = await tempDir();
    const password = join(dir, "password.txt");
    await writeFile(password, "testtesttest\n", { mode: 0o600 });
    const out = join(dir, "exits");
    const run = await runStakeops([
      "exit", "sign", "--keystore", KEYSTORE, "--password-file", password,
      "--validator-index", String(first.validatorIndex), "--epoch", String(first.epoch), "--network", "mainnet", "--out", out,
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const files = await readdir(out);
    expect(files).toEqual([expect.stringMatching(new RegExp(`^signed_exit_transaction-${first.validatorIndex}-\\d{10}\\.json$`))]);
    const file = join(out, files[0] as string);
    expect(await readFile(file, "utf8")).toBe(
      `{"message": {"epoch": "${first.epoch}", "validator_index": "${first.validatorIndex}"}, "signature": "${first.expectedSignature}"}`,
    );
    expect((await stat(file)).mode & 0o777).toBe(0o400);
  });

  it("from the mnemonic, several validators for consecutive keys", async () => {
    const dir = await tempDir();
    const mnemonic = join(dir, "m.txt");
    await writeFile(mnemonic, `${exits.mnemonic}\n`, { mode: 0o600 });
    const out = join(dir, "exits");
    // Keys 2 and 3 for validators 200 and 201: key 2's signature is ethdo's known answer.
    const run = await runStakeops([
      "exit", "sign", "--mnemonic-file", mnemonic, "--key-index", String(second.keyIndex), "--validator-index", "200,201",
      "--epoch", String(second.epoch), "--capella-fork-version", "0x03000000",
      "--genesis-validators-root", "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95", "--out", out,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^signed 2 voluntary exits for mainnet \(epoch 305658\)/);
    const files = (await readdir(out)).sort();
    expect(files).toHaveLength(2);
    const exit200 = JSON.parse(await readFile(join(out, files[0] as string), "utf8")) as { signature: string; message: unknown };
    expect(exit200).toEqual({ message: { epoch: "305658", validator_index: "200" }, signature: second.expectedSignature });
  });

  it.each([
    // [case, args, message]
    ["a wrong password", ["--password-file", "WRONG", "--validator-index", "1", "--network", "mainnet"], /wrong password/],
    ["two validators for one keystore", ["--password-file", "RIGHT", "--validator-index", "1,2", "--network", "mainnet"], /a keystore holds one key/],
    ["no network", ["--password-file", "RIGHT", "--validator-index", "1"], /choose a network/],
    ["half a custom network", ["--password-file", "RIGHT", "--validator-index", "1", "--capella-fork-version", "0x03000000"], /needs both --capella-fork-version and --genesis-validators-root/],
    ["a negative validator index", ["--password-file", "RIGHT", "--validator-index", "-1", "--network", "mainnet"], /--validator-index must be a whole number/],
    ["an epoch that is not a number", ["--password-file", "RIGHT", "--validator-index", "1", "--epoch", "soon", "--network", "mainnet"], /--epoch must be a whole number/],
  ])("refuses %s and writes nothing", async (_case, args, message) => {
    const dir = await tempDir();
    await writeFile(join(dir, "right.txt"), "testtesttest\n", { mode: 0o600 });
    await writeFile(join(dir, "wrong.txt"), "not-the-password\n", { mode: 0o600 });
    const resolved = args.map((a) => (a === "RIGHT" ? join(dir, "right.txt") : a === "WRONG" ? join(dir, "wrong.txt") : a));
    const run = await runStakeops(["exit", "sign", "--keystore", KEYSTORE, ...resolved, "--out", join(dir, "exits")]);
    expect(run.stderr).toMatch(message);
    expect(run.code).not.toBe(0);
    expect((await readdir(dir)).sort()).toEqual(["right.txt", "wrong.txt"]);
  });
});
