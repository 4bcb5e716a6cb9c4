/** Requests for background work and their status, as the API shows them. */
import type { JobRunner } from "../jobs/jobRunner.js";
import type { JobRow, JobsRepository } from "../store/jobs.js";
import type { OperatorsRepository } from "../store/operators.js";
import { RegistryError } from "./errors.js";
import { KEY_GENERATION_JOB, type KeyGenerationParams } from "./keyGenerationJob.js";

export interface JobView {
  readonly id: string;
  readonly operatorId: string;
  readonly kind: string;
  readonly state: string;
  readonly progress: { readonly done: number; readonly total: number };
  readonly result: unknown;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export interface JobServiceDependencies {
  readonly runner: Pick<JobRunner, "enqueue">;
  readonly jobs: JobsRepository;
  readonly operators: OperatorsRepository;
}

export class JobService {
  constructor(private readonly deps: JobServiceDependencies) {}

  /** Checks what can be checked now (operator active, room under its key limit), then queues the job. */
  async requestKeyGeneration(operatorId: string, count: number): Promise<string> {
    const operator = await this.deps.operators.findById(operatorId);
    if (operator === undefined) throw new RegistryError("OPERATOR_NOT_FOUND", `no operator with id ${operatorId}`, { operatorId });
    if (operator.active !== 1) throw new RegistryError("OPERATOR_DISABLED", "the operator is disabled; no new keys are generated for it", { operatorId });
    if (operator.key_limit !== null) {
      const remaining = operator.key_limit - (await this.deps.operators.countKeys(operatorId));
      if (count > remaining) {
        throw new RegistryError("KEY_LIMIT_EXCEEDED", `the operator may register ${Math.max(0, remaining)} more keys (limit ${operator.key_limit}), not ${count}`, {
          operatorId,
          remaining: Math.max(0, remaining),
        });
      }
    }
    const params: KeyGenerationParams = { count };
    return this.deps.runner.enqueue(operatorId, KEY_GENERATION_JOB, params, count);
  }

  async get(jobId: string): Promise<JobView> {
    const row = await this.deps.jobs.get(jobId);
    if (row === undefined) throw new RegistryError("JOB_NOT_FOUND", `no job with id ${jobId}`, { jobId });
    return toView(row);
  }
}

function toView(row: JobRow): JobView {
  return {
    id: row.id,
    operatorId: row.operator_id,
    kind: row.kind,
    state: row.state,
    progress: { done: row.progress_done, total: row.progress_total },
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? "" },
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
