/**
 * Several beacon nodes behind one door: each request goes to one node at a time, healthy nodes
 * first in the configured order; transient failures (no connection, timeout, 5xx, 429) are retried
 * in later rounds with exponential backoff, and every other node is tried before the first one is
 * asked again, so one dead node costs one timeout per round, not several.
 *
 * Per node it keeps the bookkeeping an operator wants to see (consecutive failures, last error,
 * last success) and reports every HTTP exchange to `onRequest` for metrics.
 *
 * What the pool runs is an operation on one node, not a single request: an operation may ask the
 * same node twice (a current endpoint, then the old form when the node does not serve the new one),
 * and fallbacks must not mix the answers of two nodes.
 */
import { InputError } from "../errors.js";
import { JsonFieldError } from "../util/jsonFields.js";
import { isStakeopsError } from "../errors.js";
import {
  StreamInterrupted,
  endpointUrl,
  exchange,
  exchangeStream,
  excerpt,
  httpEndpoint,
  sleep as defaultSleep,
  type HttpEndpoint,
  type HttpOutcome,
} from "../util/http.js";
import { BeaconError, type BeaconErrorCode, type BeaconFailure } from "./errors.js";

export interface BeaconRequest {
  readonly method: "GET" | "POST";
  /** Route template: `/eth/v1/beacon/states/{state_id}/validators`. Metrics and errors use it as is. */
  readonly route: string;
  /** Values for the template's `{name}` placeholders (URL-encoded here). */
  readonly params?: Readonly<Record<string, string | number>>;
  readonly query?: URLSearchParams;
  /** Sent as JSON. */
  readonly body?: unknown;
}

export interface BeaconRequestEvent {
  /** host:port of the node, never its URL (which may hold credentials). */
  readonly node: string;
  readonly method: string;
  /** The route template, so that metric label values stay few. */
  readonly endpoint: string;
  /** HTTP status, or how the exchange ended without one. */
  readonly status: number | "timeout" | "unreachable" | "aborted";
  readonly seconds: number;
}

export interface BeaconNodeHealth {
  readonly node: string;
  readonly consecutiveFailures: number;
  /** Milliseconds since the Unix epoch (the injected clock) of the last good answer; null if none yet. */
  readonly lastSuccessAt: number | null;
  readonly lastError: { readonly code: BeaconErrorCode; readonly message: string; readonly at: number } | null;
}

/** One node, as an operation sees it: requests go to this node only. */
export interface BeaconNodeSession {
  readonly node: string;
  /** Sends the request and parses the JSON answer with `parse`, which throws JsonFieldError on a wrong shape. */
  request<T>(request: BeaconRequest, parse: (json: unknown) => T): Promise<T>;
  /**
   * Sends the request asking for `accept` (SSZ) and hands a 2xx body to `consume` as it streams
   * in. A node that answers JSON instead counts as not serving the form (BEACON_NOT_SUPPORTED), so
   * callers can fall back. A StakeopsError thrown by `consume` (a malformed body) becomes
   * BEACON_BAD_RESPONSE; a connection lost part-way is transient, like no connection at all.
   */
  stream<T>(request: BeaconRequest, accept: string, consume: (body: AsyncIterable<Uint8Array>, headers: Headers) => Promise<T>): Promise<T>;
}

export interface BeaconNodePoolOptions {
  readonly urls: readonly string[];
  /** Per HTTP exchange, body included. */
  readonly timeoutMs?: number;
  /** Rounds after the first one in which nodes that failed transiently are asked again. */
  readonly retries?: number;
  /** Wait before the first retry round; doubles every round up to maxBackoffMs. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Per streamed exchange (a whole BeaconState: ~300 MB on mainnet), body included. */
  readonly streamTimeoutMs?: number;
}

export interface BeaconNodePoolDependencies {
  readonly onRequest?: (event: BeaconRequestEvent) => void;
  /** Wall clock in milliseconds, for health timestamps and durations. */
  readonly now?: () => number;
  /** Resolves false when the signal aborted the wait. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
}

/** A beacon node answers most reads in well under a second; a state read on mainnet can take a few. */
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRIES = 2;
export const DEFAULT_BACKOFF_MS = 250;
export const DEFAULT_MAX_BACKOFF_MS = 5_000;
export const DEFAULT_STREAM_TIMEOUT_MS = 120_000;

/** What to do after a failure on one node. */
type Handling = "retry" | "next-node" | "stop";

interface NodeState {
  readonly endpoint: HttpEndpoint;
  readonly position: number;
  consecutiveFailures: number;
  lastSuccessAt: number | null;
  lastError: BeaconNodeHealth["lastError"];
}

export class BeaconNodePool {
  private readonly nodes: NodeState[];
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly streamTimeoutMs: number;
  private readonly onRequest: (event: BeaconRequestEvent) => void;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<boolean>;

  constructor(options: BeaconNodePoolOptions, dependencies: BeaconNodePoolDependencies = {}) {
    if (options.urls.length === 0) throw new InputError("INVALID_ARGUMENT", "at least one beacon node URL is required", {});
    const endpoints = options.urls.map((url, i) => httpEndpoint(url, `beacon node URL ${i + 1}`));
    // Two URLs on one host:port (different paths or keys) still need labels that tell them apart.
    const labels = endpoints.map((e) => e.label);
    this.nodes = endpoints.map((endpoint, position) => ({
      endpoint:
        labels.indexOf(endpoint.label) === labels.lastIndexOf(endpoint.label)
          ? endpoint
          : { ...endpoint, label: `${endpoint.label}#${position + 1}` },
      position,
      consecutiveFailures: 0,
      lastSuccessAt: null,
      lastError: null,
    }));
    this.timeoutMs = checked(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, "beacon timeout", (v) => Number.isFinite(v) && v > 0);
    this.retries = checked(options.retries ?? DEFAULT_RETRIES, "beacon retries", (v) => Number.isSafeInteger(v) && v >= 0);
    this.backoffMs = checked(options.backoffMs ?? DEFAULT_BACKOFF_MS, "beacon backoff", (v) => Number.isFinite(v) && v >= 0);
    this.maxBackoffMs = checked(options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS, "beacon max backoff", (v) => Number.isFinite(v) && v >= 0);
    this.streamTimeoutMs = checked(options.streamTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS, "beacon stream timeout", (v) => Number.isFinite(v) && v > 0);
    this.onRequest = dependencies.onRequest ?? (() => {});
    this.now = dependencies.now ?? Date.now;
    this.sleep = dependencies.sleep ?? defaultSleep;
  }

  nodeHealth(): BeaconNodeHealth[] {
    return this.nodes.map((n) => ({
      node: n.endpoint.label,
      consecutiveFailures: n.consecutiveFailures,
      lastSuccessAt: n.lastSuccessAt,
      lastError: n.lastError,
    }));
  }

  /** Runs `operation` once on every node (no retries), for checks that compare nodes. */
  async eachNode<T>(operation: (session: BeaconNodeSession) => Promise<T>, signal?: AbortSignal): Promise<{ node: string; result?: T; error?: BeaconError }[]> {
    return Promise.all(
      this.nodes.map(async (node) => {
        try {
          return { node: node.endpoint.label, result: await operation(this.session(node, signal)) };
        } catch (error) {
          if (!(error instanceof BeaconError)) throw error;
          return { node: node.endpoint.label, error };
        }
      }),
    );
  }

  /**
   * Runs `operation` on one node after another until one succeeds. Throws the node's error when a
   * single node was asked, and otherwise an error listing how each node failed; its code is
   * BEACON_NOT_SUPPORTED only when every node said so.
   */
  async run<T>(operation: (session: BeaconNodeSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const lastFailure = new Map<NodeState, BeaconError>();
    // Nodes that failed before go last: a dead node should not cost a timeout on every call.
    let candidates = [...this.nodes].sort(
      (a, b) => Number(a.consecutiveFailures > 0) - Number(b.consecutiveFailures > 0) || a.position - b.position,
    );
    for (let round = 0; round <= this.retries && candidates.length > 0; round++) {
      if (round > 0) {
        const waited = await this.sleep(Math.min(this.backoffMs * 2 ** (round - 1), this.maxBackoffMs), signal);
        if (!waited) throw this.aborted(lastFailure);
      }
      const again: NodeState[] = [];
      for (const node of candidates) {
        try {
          return await operation(this.session(node, signal));
        } catch (error) {
          if (!(error instanceof BeaconError)) throw error;
          if (error.code === "BEACON_ABORTED") throw error;
          lastFailure.set(node, error);
          const handling = handlingOf(error);
          if (handling === "stop") throw error;
          if (handling === "retry") again.push(node);
        }
      }
      candidates = again;
    }
    throw combine([...lastFailure.values()]);
  }

  private session(node: NodeState, signal: AbortSignal | undefined): BeaconNodeSession {
    return {
      node: node.endpoint.label,
      request: (request, parse) => this.request(node, request, parse, signal),
      stream: (request, accept, consume) => this.stream(node, request, accept, consume, signal),
    };
  }

  private async request<T>(node: NodeState, request: BeaconRequest, parse: (json: unknown) => T, signal?: AbortSignal): Promise<T> {
    const started = this.now();
    const outcome = await exchange({
      url: endpointUrl(node.endpoint, fillRoute(request), request.query),
      method: request.method,
      headers: node.endpoint.headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      timeoutMs: this.timeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    this.onRequest({
      node: node.endpoint.label,
      method: request.method,
      endpoint: request.route,
      status: outcome.kind === "answered" ? outcome.status : outcome.kind,
      seconds: Math.max(0, this.now() - started) / 1000,
    });
    return this.keepingHealth(node, async () => this.interpret(node, request, outcome, parse));
  }

  private async stream<T>(
    node: NodeState,
    request: BeaconRequest,
    accept: string,
    consume: (body: AsyncIterable<Uint8Array>, headers: Headers) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const started = this.now();
    let status: BeaconRequestEvent["status"] = "unreachable";
    const where = `beacon node ${node.endpoint.label}: ${request.method} ${request.route}`;
    const base = { node: node.endpoint.label, endpoint: request.route, method: request.method };
    try {
      return await this.keepingHealth(node, () =>
        exchangeStream(
          {
            url: endpointUrl(node.endpoint, fillRoute(request), request.query),
            method: request.method,
            headers: node.endpoint.headers,
            accept,
            ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
            timeoutMs: this.streamTimeoutMs,
            ...(signal === undefined ? {} : { signal }),
          },
          async (outcome) => {
            if (outcome.kind !== "streaming") {
              status = outcome.kind === "answered" ? outcome.status : outcome.kind;
              return this.interpret(node, request, outcome, () => {
                throw new JsonFieldError("body", `expected ${accept}, got JSON`);
              });
            }
            status = outcome.status;
            const type = outcome.headers.get("content-type") ?? "";
            if (!type.startsWith(accept)) {
              throw new BeaconError("BEACON_NOT_SUPPORTED", `${where}: answered ${type === "" ? "without a content type" : type}, not ${accept}`, {
                ...base,
                status: outcome.status,
                reason: `content-type ${type}`,
              });
            }
            try {
              return await consume(outcome.body, outcome.headers);
            } catch (error) {
              if (error instanceof StreamInterrupted) {
                status = error.outcome.kind === "answered" ? error.outcome.status : error.outcome.kind;
                return this.interpret(node, request, error.outcome, () => {
                  throw new JsonFieldError("body", "interrupted");
                });
              }
              if (isStakeopsError(error) && !(error instanceof BeaconError)) {
                throw new BeaconError("BEACON_BAD_RESPONSE", `${where}: ${error.message}`, { ...base, status: outcome.status, reason: error.message }, { cause: error });
              }
              throw error;
            }
          },
        ),
      );
    } finally {
      this.onRequest({ node: node.endpoint.label, method: request.method, endpoint: request.route, status, seconds: Math.max(0, this.now() - started) / 1000 });
    }
  }

  private async keepingHealth<T>(node: NodeState, attempt: () => Promise<T>): Promise<T> {
    try {
      const result = await attempt();
      this.succeeded(node);
      return result;
    } catch (error) {
      this.failed(node, error);
      throw error;
    }
  }

  private succeeded(node: NodeState): void {
    node.consecutiveFailures = 0;
    node.lastSuccessAt = this.now();
  }

  private failed(node: NodeState, error: unknown): void {
    if (error instanceof BeaconError && countsAgainstHealth(error)) {
      node.consecutiveFailures++;
      node.lastError = { code: error.code, message: error.message, at: this.now() };
    } else if (error instanceof BeaconError && error.code === "BEACON_NOT_SUPPORTED") {
      // It answered, as the API allows: the node is fine, it just lacks this endpoint.
      this.succeeded(node);
    }
  }

  private interpret<T>(node: NodeState, request: BeaconRequest, outcome: HttpOutcome, parse: (json: unknown) => T): T {
    const where = `beacon node ${node.endpoint.label}: ${request.method} ${request.route}`;
    const base = { node: node.endpoint.label, endpoint: request.route, method: request.method };
    switch (outcome.kind) {
      case "aborted":
        throw new BeaconError("BEACON_ABORTED", `${where}: aborted`, base);
      case "timeout":
        throw new BeaconError("BEACON_TIMEOUT", `${where}: no answer within ${this.timeoutMs / 1000} s`, base);
      case "unreachable":
        throw new BeaconError(
          "BEACON_UNREACHABLE",
          `${where}: no connection (${outcome.reason})`,
          { ...base, reason: outcome.reason },
          { cause: outcome.cause },
        );
      case "answered":
        break;
    }
    const { status, body } = outcome;
    if (status === 404 || status === 405 || status === 501) {
      const reason = serverMessage(body);
      throw new BeaconError("BEACON_NOT_SUPPORTED", `${where}: not served by this node (HTTP ${status})`, { ...base, status, reason });
    }
    if (status < 200 || status > 299) {
      const reason = serverMessage(body);
      throw new BeaconError("BEACON_HTTP_ERROR", `${where}: HTTP ${status}${reason === "" ? "" : `: ${reason}`}`, {
        ...base,
        status,
        reason,
      });
    }
    // Writes (POST to a pool) answer 200 with no body at all: a success, read as null, not a malformed answer.
    let json: unknown = null;
    if (body.trim() !== "") {
      try {
        json = JSON.parse(body);
      } catch {
        throw new BeaconError("BEACON_BAD_RESPONSE", `${where}: the answer is not JSON`, { ...base, status, reason: excerpt(body, [], 80) });
      }
    }
    try {
      return parse(json);
    } catch (error) {
      if (!(error instanceof JsonFieldError)) throw error;
      throw new BeaconError(
        "BEACON_BAD_RESPONSE",
        `${where}: unexpected answer: ${error.message}`,
        { ...base, status, reason: error.message },
        { cause: error },
      );
    }
  }

  private aborted(lastFailure: Map<NodeState, BeaconError>): BeaconError {
    const last = [...lastFailure.values()].at(-1);
    return new BeaconError("BEACON_ABORTED", "beacon request aborted while waiting to retry", {
      endpoint: last?.details.endpoint ?? "",
      method: last?.details.method ?? "",
    });
  }
}

function handlingOf(error: BeaconError): Handling {
  switch (error.code) {
    case "BEACON_UNREACHABLE":
    case "BEACON_TIMEOUT":
      return "retry";
    case "BEACON_HTTP_ERROR": {
      const status = error.details.status ?? 0;
      // 400 says the request itself is wrong: every node would say the same.
      if (status === 400) return "stop";
      return status >= 500 || status === 408 || status === 429 ? "retry" : "next-node";
    }
    // Another node may serve the endpoint, or answer sanely; asking this one again would not help.
    case "BEACON_NOT_SUPPORTED":
    case "BEACON_BAD_RESPONSE":
      return "next-node";
    case "BEACON_ABORTED":
    case "BEACON_CHAINS_DIFFER":
      return "stop";
  }
}

function countsAgainstHealth(error: BeaconError): boolean {
  if (error.code === "BEACON_NOT_SUPPORTED" || error.code === "BEACON_ABORTED") return false;
  return !(error.code === "BEACON_HTTP_ERROR" && error.details.status === 400);
}

function combine(failures: readonly BeaconError[]): BeaconError {
  const last = failures.at(-1);
  if (last === undefined) throw new Error("BeaconNodePool.run: no node was tried");
  if (failures.length === 1) return last;
  const allUnsupported = failures.every((f) => f.code === "BEACON_NOT_SUPPORTED");
  // The most telling failure: a transient one if any (the endpoint may well exist there).
  const main = allUnsupported ? last : ([...failures].reverse().find((f) => f.code !== "BEACON_NOT_SUPPORTED") ?? last);
  const summary: BeaconFailure[] = failures.map((f) => ({
    node: f.details.node ?? "",
    code: f.code,
    ...(f.details.status === undefined ? {} : { status: f.details.status }),
  }));
  const message = allUnsupported
    ? `no beacon node serves ${main.details.method} ${main.details.endpoint}: ${failures.map((f) => f.message).join("; ")}`
    : `every beacon node failed: ${failures.map((f) => f.message).join("; ")}`;
  return new BeaconError(main.code, message, { ...main.details, failures: summary }, { cause: main });
}

function fillRoute(request: BeaconRequest): string {
  return request.route.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const value = request.params?.[name];
    if (value === undefined) throw new Error(`route ${request.route}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
}

/** Beacon nodes answer errors as `{"code": 404, "message": "..."}`; anything else is shown shortened. */
function serverMessage(body: string): string {
  try {
    const json: unknown = JSON.parse(body);
    if (typeof json === "object" && json !== null && "message" in json && typeof json.message === "string") {
      return excerpt(json.message);
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return excerpt(body, [], 120);
}

function checked(value: number, what: string, valid: (value: number) => boolean): number {
  if (!valid(value)) throw new InputError("INVALID_ARGUMENT", `${what} is out of range: ${String(value)}`, { what });
  return value;
}
