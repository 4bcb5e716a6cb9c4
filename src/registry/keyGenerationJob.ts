/**
 * The key generation job: fresh keys for an operator, derived from a new random mnemonic on
 * worker threads, encrypted for custody, deposits signed with the protocol's credentials, then
 * registered in one go. The mnemonic exists only in memory for the job: the custody keystores are
 * the keys (back up the keys folder).
 */
import { availableParallelism } from "node:os";
import type { Network } from "../chain/networks.js";
import type { JobContext, JobHandler } from "../jobs/jobRunner.js";
import type { GeneratedKey, KeyJobSpec } from "../keygen/keyJob.js";
import type { KeyWorkerData } from "../keygen/keyWorker.js";
import { checkMnemonic, mnemonicToSeed, newMnemonic } from "../keygen/mnemonic.js";
import type { JobRow } from "../store/jobs.js";
import { runInWorkerPool, workerScript } from "../util/workerPool.js";
import { RegistryError } from "./errors.js";
import type { KeyRegistration } from "./keyRegistration.js";

export const KEY_GENERATION_JOB = "key-generation";

export interface KeyGenerationParams {
  readonly count: number;
}

export interface KeyGenerationJobOptions {
  readonly network: Network;
  readonly withdrawalCredentials: Uint8Array;
  readonly depositAmountGwei: number;
  /** The service password: generated keystores are written for custody directly. */
  readonly custodyPassword: string;
  readonly workers?: number | undefined;
}

export class KeyGenerationJob implements JobHandler {
  readonly kind = KEY_GENERATION_JOB;

  constructor(
    private readonly options: KeyGenerationJobOptions,
    private readonly deps: { readonly registration: KeyRegistration },
  ) {}

  async run(job: JobRow, context: JobContext): Promise<unknown> {
    const params = parseParams(job.params);
    const seed = mnemonicToSeed(checkMnemonic(newMnemonic()));
    const spec: KeyJobSpec = {
      password: this.options.custodyPassword,
      kdf: "pbkdf2",
      network: this.options.network,
      withdrawal: { type: "credentials", credentials: this.options.withdrawalCredentials },
      amountGwei: this.options.depositAmountGwei,
    };
    const workerData: KeyWorkerData = { seed, spec };
    let generated: GeneratedKey[];
    try {
      generated = await runInWorkerPool<number, GeneratedKey>(
        { script: workerScript(import.meta.url, "../keygen/keyWorker.js"), size: this.options.workers ?? availableParallelism(), workerData },
        Array.from({ length: params.count }, (_, i) => i),
        { signal: context.signal, onResult: (done, total) => context.progress(done, total) },
      );
    } finally {
      seed.fill(0);
    }
    context.signal.throwIfAborted();
    const result = await this.deps.registration.registerGenerated(
      job.operator_id,
      generated.map((g) => ({ keystore: g.keystore, deposit: g.deposit })),
    );
    return {
      registered: result.registered,
      rejected: result.rejected,
      pubkeys: result.results.filter((r) => r.status === "registered").map((r) => r.pubkey),
      rejections: result.results.filter((r) => r.status === "rejected").map((r) => ({ pubkey: r.pubkey, reasons: r.reasons })),
    };
  }
}

function parseParams(text: string): KeyGenerationParams {
  const value = JSON.parse(text) as unknown;
  if (typeof value !== "object" || value === null || !("count" in value) || typeof value.count !== "number") {
    throw new RegistryError("BATCH_INVALID", "key generation job has no count", {});
  }
  return { count: value.count };
}
