/**
 * Work that runs every interval on exactly one instance (inventory polling, key status refresh):
 * each run first takes or renews a named lease in the database; an instance without the lease
 * skips the run. Stopping aborts a run in progress and waits for it.
 */
import type { Clock } from "../registry/clock.js";
import type { LeasesRepository } from "../store/leases.js";
import type { Logger } from "./logger.js";

export interface PeriodicTaskOptions {
  readonly name: string;
  readonly intervalMs: number;
  readonly instanceId: string;
}

export interface PeriodicTaskDependencies {
  readonly leases: LeasesRepository;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly run: (signal: AbortSignal) => Promise<void>;
}

export class PeriodicTask {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  private controller = new AbortController();

  constructor(
    private readonly options: PeriodicTaskOptions,
    private readonly deps: PeriodicTaskDependencies,
  ) {}

  start(): void {
    this.controller = new AbortController();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.controller.abort();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
    const { name, instanceId } = this.options;
    await this.deps.leases.release(name, instanceId).catch(() => undefined);
  }

  /** One run now, if this instance holds (or takes) the lease. Returns whether it ran. */
  async runOnce(): Promise<boolean> {
    const now = this.deps.clock.now();
    // The lease outlives one interval a little, so the holder renews it before anyone can take it.
    const expires = new Date(now.getTime() + this.options.intervalMs * 2 + 5_000);
    const held = await this.deps.leases.tryAcquire(this.options.name, this.options.instanceId, now.toISOString(), expires.toISOString());
    if (!held) return false;
    await this.deps.run(this.controller.signal);
    return true;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.current = this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) => {
          if (!this.controller.signal.aborted) this.deps.logger.warn({ err: error, task: this.options.name }, "periodic task failed");
        })
        .finally(() => {
          this.current = null;
          if (!this.controller.signal.aborted) this.schedule(this.options.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
