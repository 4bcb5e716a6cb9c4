/**
 * Background jobs (key generation): stored in the database, claimed atomically (two instances on
 * one PostgreSQL never run a job twice), run one at a time per instance, with progress and a
 * heartbeat. On shutdown a running job is aborted and failed (JOB_INTERRUPTED); a job whose
 * instance died is failed once its heartbeat is stale (JOB_ABANDONED). A failed job has written
 * nothing: handlers register their results in one transaction at the very end.
 */
import { randomUUID } from "node:crypto";
import { isStakeopsError } from "../errors.js";
import type { Clock } from "../registry/clock.js";
import type { JobRow, JobsRepository } from "../store/jobs.js";
import type { Logger } from "./logger.js";

export interface JobContext {
  readonly signal: AbortSignal;
  /** Throttled by the runner; safe to call for every item. */
  progress(done: number, total: number): void;
}

export interface JobHandler {
  readonly kind: string;
  /** Returns the job's result (JSON-serializable, no secrets). */
  run(job: JobRow, context: JobContext): Promise<unknown>;
}

export interface JobRunnerOptions {
  readonly instanceId: string;
  readonly pollIntervalMs: number;
  /** A running job without a heartbeat for this long belongs to a dead instance. */
  readonly staleAfterMs: number;
  readonly progressIntervalMs: number;
}

export interface JobRunnerDependencies {
  readonly jobs: JobsRepository;
  readonly handlers: readonly JobHandler[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told of every finished job (metrics). */
  readonly onFinished?: (kind: string, outcome: "succeeded" | "failed") => void;
}

export class JobRunner {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private controller: AbortController | null = null;
  /** Polling runs between start() and stop(); drain() also works on a runner never started (tests). */
  private started = false;
  private stopped = false;

  constructor(
    private readonly options: JobRunnerOptions,
    private readonly deps: JobRunnerDependencies,
  ) {}

  async enqueue(operatorId: string, kind: string, params: unknown, total: number): Promise<string> {
    if (!this.deps.handlers.some((h) => h.kind === kind)) throw new Error(`no handler for job kind ${kind}`);
    const id = randomUUID();
    await this.deps.jobs.insert({
      id,
      operator_id: operatorId,
      kind,
      state: "queued",
      params: JSON.stringify(params),
      progress_done: 0,
      progress_total: total,
      result: null,
      error_code: null,
      error_message: null,
      owner: null,
      created_at: this.deps.clock.now().toISOString(),
      started_at: null,
      finished_at: null,
      heartbeat_at: null,
    });
    this.poke();
    return id;
  }

  start(): void {
    this.started = true;
    this.stopped = false;
    this.schedule(0);
  }

  /** Aborts the running job (it fails as JOB_INTERRUPTED) and waits for it to settle. */
  async stop(): Promise<void> {
    this.started = false;
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.controller?.abort();
    await this.running;
  }

  /** Runs queued jobs until none is left; exposed for tests. */
  async drain(): Promise<void> {
    while (!this.stopped) {
      const staleBefore = new Date(this.deps.clock.now().getTime() - this.options.staleAfterMs).toISOString();
      const abandoned = await this.deps.jobs.failAbandoned(staleBefore, this.deps.clock.now().toISOString());
      if (abandoned > 0) this.deps.logger.warn({ abandoned }, "failed jobs whose instance stopped sending heartbeats");
      const [next] = await this.deps.jobs.queuedIds(1);
      if (next === undefined) return;
      if (await this.deps.jobs.claim(next, this.options.instanceId, this.deps.clock.now().toISOString())) await this.execute(next);
    }
  }

  private poke(): void {
    if (this.started && this.running === null) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running !== null) return;
      this.running = this.drain()
        .catch((error: unknown) => this.deps.logger.error({ err: error }, "job runner failed to poll"))
        .finally(() => {
          this.running = null;
          if (this.started) this.schedule(this.options.pollIntervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  private async execute(id: string): Promise<void> {
    const job = await this.deps.jobs.get(id);
    if (job === undefined) return;
    const handler = this.deps.handlers.find((h) => h.kind === job.kind);
    const now = (): string => this.deps.clock.now().toISOString();
    if (handler === undefined) {
      await this.deps.jobs.fail(id, "JOB_KIND_UNKNOWN", `no handler for job kind ${job.kind}`, now());
      return;
    }
    this.controller = new AbortController();
    let lastProgress = 0;
    let pending: Promise<void> = Promise.resolve();
    const context: JobContext = {
      signal: this.controller.signal,
      progress: (done, total) => {
        const t = this.deps.clock.now().getTime();
        if (done !== total && t - lastProgress < this.options.progressIntervalMs) return;
        lastProgress = t;
        pending = pending.then(() => this.deps.jobs.progress(id, done, total, now())).catch(() => undefined);
      },
    };
    this.deps.logger.info({ jobId: id, kind: job.kind, operatorId: job.operator_id }, "job started");
    try {
      const result = await handler.run(job, context);
      await pending;
      await this.deps.jobs.succeed(id, JSON.stringify(result), now());
      this.deps.onFinished?.(job.kind, "succeeded");
      this.deps.logger.info({ jobId: id, kind: job.kind }, "job succeeded");
    } catch (error) {
      await pending;
      const interrupted = this.controller.signal.aborted;
      const code = interrupted ? "JOB_INTERRUPTED" : isStakeopsError(error) ? error.code : "JOB_FAILED";
      const message = interrupted
        ? "the service stopped while the job ran; nothing from it was registered"
        : error instanceof Error
          ? error.message
          : String(error);
      await this.deps.jobs.fail(id, code, message, now());
      this.deps.onFinished?.(job.kind, "failed");
      this.deps.logger.warn({ jobId: id, kind: job.kind, code }, "job failed");
    } finally {
      this.controller = null;
    }
  }
}
