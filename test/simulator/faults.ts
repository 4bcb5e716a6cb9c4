/**
 * Faults of the simulated node, settable at any time (from a test, or over /_sim/faults from another
 * process), and the request counts tests assert on.
 *
 * Per-request faults (latency, failures, truncation) apply to every Beacon API route, or only to
 * those matching `paths`: a route template (`/eth/v2/debug/beacon/states/{state_id}`) or a path
 * prefix (`/eth/v1/beacon/headers`). Node-state faults (syncing, optimistic, el_offline) show in
 * the answers themselves. Failure draws come from a seeded generator, so a run repeats.
 */
import { generator } from "./random.js";

export interface FaultSettings {
  /** Added before every matching request is answered. */
  readonly latencyMs: number;
  /** Share of matching requests answered with failStatus. */
  readonly failRate: number;
  readonly failStatus: number;
  /** null: every route. */
  readonly paths: readonly string[] | null;
  /** The node reports it is syncing (sync_distance below), answers validator duties with 503. */
  readonly syncing: boolean;
  readonly syncDistance: number;
  /** execution_optimistic / is_optimistic true everywhere. */
  readonly optimistic: boolean;
  readonly elOffline: boolean;
}

export type FaultUpdate = Partial<FaultSettings>;

/** What to do with one request. */
export interface FaultDecision {
  readonly latencyMs: number;
  /** HTTP status to fail with, or null. */
  readonly failStatus: number | null;
  /** Send the headers and part of the body, then destroy the socket. */
  readonly truncate: boolean;
}

interface Pending {
  remaining: number;
  readonly status: number;
  readonly path: string | null;
}

const DEFAULTS: FaultSettings = {
  latencyMs: 0,
  failRate: 0,
  failStatus: 503,
  paths: null,
  syncing: false,
  syncDistance: 64,
  optimistic: false,
  elOffline: false,
};

export class SimulatorFaults {
  private settings: FaultSettings = DEFAULTS;
  private readonly failures: Pending[] = [];
  private readonly truncations: Pending[] = [];
  private readonly draw: () => number;

  constructor(seed: number) {
    this.draw = generator(seed ^ 0x5eed_fa17);
  }

  get current(): FaultSettings {
    return this.settings;
  }

  get syncing(): boolean {
    return this.settings.syncing;
  }

  get optimistic(): boolean {
    return this.settings.optimistic;
  }

  set(update: FaultUpdate): void {
    const next = { ...this.settings, ...update };
    if (!(next.failRate >= 0 && next.failRate <= 1)) throw new RangeError("failRate must be between 0 and 1");
    if (!(next.latencyMs >= 0)) throw new RangeError("latencyMs must not be negative");
    checkStatus(next.failStatus);
    this.settings = next;
  }

  /** The next `count` matching requests (of `path` if given) fail with `status`. */
  failNext(count: number, status = 503, path?: string): void {
    checkStatus(status);
    if (!Number.isSafeInteger(count) || count < 1) return;
    this.failures.push({ remaining: count, status, path: path ?? null });
  }

  /** The next `count` matching requests get their headers and part of the body, then a destroyed socket. */
  truncateNext(count: number, path?: string): void {
    if (!Number.isSafeInteger(count) || count < 1) return;
    this.truncations.push({ remaining: count, status: 200, path: path ?? null });
  }

  /** Back to a healthy node. */
  clear(): void {
    this.settings = DEFAULTS;
    this.failures.length = 0;
    this.truncations.length = 0;
  }

  decide(template: string | null, path: string): FaultDecision {
    const matches = (filter: string | null): boolean => filter === null || filter === template || path.startsWith(filter);
    const applies = this.settings.paths === null || this.settings.paths.some((p) => matches(p));
    const failure = take(this.failures, matches);
    let failStatus = failure?.status ?? null;
    if (failStatus === null && applies && this.settings.failRate > 0 && this.draw() / 0x1_0000_0000 < this.settings.failRate) {
      failStatus = this.settings.failStatus;
    }
    return {
      latencyMs: applies ? this.settings.latencyMs : 0,
      failStatus,
      truncate: failStatus === null && take(this.truncations, matches) !== null,
    };
  }
}

function take(queue: Pending[], matches: (filter: string | null) => boolean): Pending | null {
  const pending = queue.find((p) => p.remaining > 0 && matches(p.path));
  if (pending === undefined) return null;
  pending.remaining--;
  if (pending.remaining === 0) queue.splice(queue.indexOf(pending), 1);
  return pending;
}

function checkStatus(status: number): void {
  if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError(`a failure status must be 4xx or 5xx, got ${status}`);
}

/** Requests received, by route template and by concrete path (control requests are not counted). */
export class RequestLog {
  private readonly routes = new Map<string, number>();
  private readonly paths = new Map<string, number>();
  private totalCount = 0;

  record(template: string | null, path: string): void {
    this.totalCount++;
    if (template !== null) this.routes.set(template, (this.routes.get(template) ?? 0) + 1);
    this.paths.set(path, (this.paths.get(path) ?? 0) + 1);
  }

  get total(): number {
    return this.totalCount;
  }

  /** Requests to a route template (`/eth/v1/beacon/headers/{block_id}`) or to one exact path. */
  count(routeOrPath: string): number {
    return this.routes.get(routeOrPath) ?? this.paths.get(routeOrPath) ?? 0;
  }

  byRoute(): Record<string, number> {
    return Object.fromEntries(this.routes);
  }

  reset(): void {
    this.routes.clear();
    this.paths.clear();
    this.totalCount = 0;
  }
}
