/**
 * Key generation through the worker pool, in-process (workers run the compiled dist/ copy; `npm
 * test` builds first). Cheap scrypt cost: the KDF itself is covered by the spec tests.
 */
import { writeFileSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { knownNetwork } from "../../src/chain/networks.js";
import { generateKeys } from "../../src/keygen/generateKeys.js";
import type { KeyJobSpec } from "../../src/keygen/keyJob.js";
import { decryptKeystore, parseKeystore } from "../../src/keygen/keystore.js";
import { checkMnemonic, mnemonicToSeed } from "../../src/keygen/mnemonic.js";
import { verifyDepositData } from "../../src/deposit/verifyDepositData.js";
import { listFiles, useTempDirs } from "../helpers/tempDir.js";

const tempDir = useTempDirs();
const seed = (): Uint8Array =>
  mnemonicToSeed(checkMnemonic("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"));
const address = Uint8Array.from(Buffer.from("48b90e15bd620e44266ccbba434c3f454a12b361", "hex"));
const spec: KeyJobSpec = {
  password: "12345678",
  kdf: "scrypt",
  network: knownNetwork("hoodi"),
  withdrawal: { type: "execution", address },
  amountGwei: 32_000_000_000,
  kdfCost: { scrypt: { n: 1024, r: 8, p: 1 } },
};
const fixedNow = (): Date => new Date(1_700_000_000_000);

describe("generateKeys", () => {
  it("writes one keystore per index and one deposit file, in index order, all consistent", async () => {
    const out = join(await tempDir(), "keys");
    const progress: number[] = [];
    const result = await generateKeys(
      { seed: seed(), spec, startIndex: 5, count: 7, outDir: out, workers: 2 },
      { now: fixedNow, onProgress: (done) => progress.push(done) },
    );
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await listFiles(out)).toEqual([
      "deposit_data-1700000000.json",
      ...[5, 6, 7, 8, 9, 10, 11].map((i) => `keystore-m_12381_3600_${i}_0_0-1700000000.json`).sort(),
    ]);
    const deposits = JSON.parse(await readFile(result.depositDataFile, "utf8")) as { pubkey: string }[];
    expect(verifyDepositData(deposits, { network: spec.network, withdrawalAddress: address }).problems).toEqual([]);
    for (const [k, file] of result.keystoreFiles.entries()) {
      expect((await stat(file)).mode & 0o777).toBe(0o400);
      const keystore = parseKeystore(JSON.parse(await readFile(file, "utf8")), file);
      expect(keystore.path).toBe(`m/12381/3600/${5 + k}/0/0`);
      const { pubkey } = await decryptKeystore(keystore, spec.password);
      expect(Buffer.from(pubkey).toString("hex")).toBe(deposits[k]?.pubkey);
    }
  });

  it("refuses a folder that already holds files, writing nothing", async () => {
    const out = await tempDir();
    await writeFile(join(out, "old-keystore.json"), "{}");
    await expect(generateKeys({ seed: seed(), spec, startIndex: 0, count: 1, outDir: out }, { now: fixedNow })).rejects.toMatchObject({
      code: "OUTPUT_NOT_EMPTY",
    });
    expect(await listFiles(out)).toEqual(["old-keystore.json"]);
  });

  it("removes the keystores it wrote when a later write fails", async () => {
    const out = await tempDir();
    // Something else takes the deposit file's name while the keys are being generated.
    const onProgress = (done: number, total: number): void => {
      if (done === total) writeFileSync(join(out, "deposit_data-1700000000.json"), "[]");
    };
    await expect(
      generateKeys({ seed: seed(), spec, startIndex: 0, count: 3, outDir: out, workers: 2 }, { now: fixedNow, onProgress }),
    ).rejects.toMatchObject({ code: "FILE_EXISTS" });
    expect(await listFiles(out)).toEqual(["deposit_data-1700000000.json"]);
  });

  it("stops when aborted and writes nothing", async () => {
    const out = await tempDir();
    const controller = new AbortController();
    const run = generateKeys(
      { seed: seed(), spec: { ...spec, kdfCost: { scrypt: { n: 2 ** 14, r: 8, p: 1 } } }, startIndex: 0, count: 50, outDir: out, workers: 1 },
      { now: fixedNow, signal: controller.signal, onProgress: (done) => done === 2 && controller.abort() },
    );
    await expect(run).rejects.toMatchObject({ code: "WORKER_ABORTED" });
    expect(await listFiles(out)).toEqual([]);
  });

  it.each([
    [{ startIndex: 0, count: 0 }, "KEYGEN_INVALID_RANGE"],
    [{ startIndex: 2 ** 32 - 1, count: 2 }, "KEYGEN_INVALID_RANGE"],
  ])("refuses %j", async (range, code) => {
    const out = await tempDir();
    await expect(generateKeys({ seed: seed(), spec, outDir: out, ...range }, { now: fixedNow })).rejects.toMatchObject({ code });
  });

  it("refuses a weak password before doing any work", async () => {
    const out = await tempDir();
    await expect(
      generateKeys({ seed: seed(), spec: { ...spec, password: "short" }, startIndex: 0, count: 1, outDir: out }, { now: fixedNow }),
    ).rejects.toMatchObject({ code: "KEYSTORE_WEAK_PASSWORD" });
    expect(await listFiles(out)).toEqual([]);
  });
});
