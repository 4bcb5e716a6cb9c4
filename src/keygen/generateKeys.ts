/**
 * `keys generate`: keystores and a deposit data file for validators [start, start + count) of one
 * mnemonic. Work runs on a worker thread per core; everything is built and verified in memory
 * before the first byte is written, and a failed write removes what this run already wrote.
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { unlink } from "node:fs/promises";
import { depositDataFileName, serializeDepositDataFile, type DepositDataEntry } from "../deposit/depositData.js";
import { formatDepositProblem, verifyDepositData } from "../deposit/verifyDepositData.js";
import { StakeopsError } from "../errors.js";
import { createFileAtomic } from "../util/atomicFile.js";
import { prepareEmptyOutputFolder } from "../util/outputFolder.js";
import { runInWorkerPool, workerScript } from "../util/workerPool.js";
import type { GeneratedKey, KeyJobSpec } from "./keyJob.js";
import type { KeyWorkerData } from "./keyWorker.js";
import { assertPasswordStrength, serializeKeystore } from "./keystore.js";

/** Keystores hold secrets: owner read-only. Deposit data is public but is written the same way (as the deposit CLI does). */
export const KEYSTORE_FILE_MODE = 0o400;
export const DEPOSIT_FILE_MODE = 0o400;

/** EIP-2333 indices are 32-bit. */
const MAX_INDEX = 2 ** 32 - 1;

export class KeyGenerationError extends StakeopsError<"KEYGEN_INVALID_RANGE" | "KEYGEN_SELF_CHECK_FAILED"> {}

export interface GenerateKeysOptions {
  readonly seed: Uint8Array;
  readonly spec: KeyJobSpec;
  readonly startIndex: number;
  readonly count: number;
  readonly outDir: string;
  /** Worker threads; defaults to the number of cores. */
  readonly workers?: number;
}

export interface GenerateKeysDependencies {
  readonly now: () => Date;
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export interface GenerateKeysResult {
  readonly keystoreFiles: readonly string[];
  readonly depositDataFile: string;
  readonly deposits: readonly DepositDataEntry[];
}

export async function generateKeys(options: GenerateKeysOptions, deps: GenerateKeysDependencies): Promise<GenerateKeysResult> {
  const { startIndex, count } = options;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new KeyGenerationError("KEYGEN_INVALID_RANGE", `--count must be a whole number of at least 1, got ${count}`, {});
  }
  if (!Number.isSafeInteger(startIndex) || startIndex < 0 || startIndex + count - 1 > MAX_INDEX) {
    throw new KeyGenerationError("KEYGEN_INVALID_RANGE", `--start-index ${startIndex} with --count ${count} leaves the 32-bit index range`, {});
  }
  assertPasswordStrength(options.spec.password);
  await prepareEmptyOutputFolder(options.outDir);

  const indices = Array.from({ length: count }, (_, k) => startIndex + k);
  const workerData: KeyWorkerData = { seed: options.seed, spec: options.spec };
  const generated = await runInWorkerPool<number, GeneratedKey>(
    { script: workerScript(import.meta.url, "keyWorker.js"), size: options.workers ?? availableParallelism(), workerData },
    indices,
    { ...(deps.onProgress === undefined ? {} : { onResult: deps.onProgress }), ...(deps.signal === undefined ? {} : { signal: deps.signal }) },
  );
  selfCheck(generated, options.spec);

  const timestamp = Math.floor(deps.now().getTime() / 1000);
  const written: string[] = [];
  try {
    for (const key of generated) {
      const file = join(options.outDir, keystoreFileName(key.keystore.path, timestamp));
      await createFileAtomic(file, serializeKeystore(key.keystore), { mode: KEYSTORE_FILE_MODE });
      written.push(file);
    }
    const deposits = generated.map((key) => key.deposit);
    const depositDataFile = join(options.outDir, depositDataFileName(timestamp));
    await createFileAtomic(depositDataFile, serializeDepositDataFile(deposits), { mode: DEPOSIT_FILE_MODE });
    return { keystoreFiles: written, depositDataFile, deposits };
  } catch (error) {
    await Promise.all(written.map((file) => unlink(file).catch(() => undefined)));
    throw error;
  }
}

/** `keystore-m_12381_3600_<i>_0_0-<unix ts>.json`, as the deposit CLI names them. */
export function keystoreFileName(path: string, unixSeconds: number): string {
  return `keystore-${path.replaceAll("/", "_")}-${unixSeconds}.json`;
}


/**
 * Every deposit is verified (signature and both roots recomputed) before anything is written, and
 * every keystore must name the pubkey its deposit was signed with.
 */
function selfCheck(generated: readonly GeneratedKey[], spec: KeyJobSpec): void {
  const deposits = generated.map((key) => key.deposit);
  const verification = verifyDepositData(deposits, {
    network: spec.network,
    amountGwei: spec.amountGwei,
    ...(spec.withdrawal.type === "execution" || spec.withdrawal.type === "compounding" ? { withdrawalAddress: spec.withdrawal.address } : {}),
    ...(spec.withdrawal.type === "credentials" ? { withdrawalCredentials: spec.withdrawal.credentials } : {}),
  });
  const mismatched = generated.filter((key) => key.keystore.pubkey !== key.deposit.pubkey);
  if (verification.problems.length > 0 || mismatched.length > 0) {
    const first = verification.problems[0];
    throw new KeyGenerationError(
      "KEYGEN_SELF_CHECK_FAILED",
      `generated deposit data failed verification, nothing was written: ${first === undefined ? "keystore and deposit pubkeys differ" : formatDepositProblem(first)}`,
      { problems: verification.problems.length, mismatched: mismatched.length },
    );
  }
}
