/**
 * One HTTP exchange with a deadline, reported as a plain outcome (an answer, a timeout, an abort, or
 * no connection) for the API clients to turn into their own typed errors and retry policy.
 *
 * URLs given to stakeops may carry credentials (`https://user:pass@host`, or an API key in the
 * path, as hosted beacon endpoints do), so a URL is never shown: errors and metrics name an
 * endpoint by its host and port alone, and user-info becomes a Basic Authorization header.
 */
import { InputError } from "../errors.js";

export interface HttpEndpoint {
  /** Base URL without user-info; request paths are appended to its path. Never shown. */
  readonly base: URL;
  /** host:port: safe to log, to put in errors and in metric labels. */
  readonly label: string;
  /** Headers every request to this endpoint carries (Basic auth from the URL's user-info). */
  readonly headers: Readonly<Record<string, string>>;
}

/** `what` names the setting for the error ("beacon node URL 2"); the URL itself is never echoed. */
export function httpEndpoint(url: string, what: string): HttpEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError("INVALID_ARGUMENT", `${what} is not a valid URL`, { what });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new InputError("INVALID_ARGUMENT", `${what} must be an http:// or https:// URL`, { what });
  }
  const headers: Record<string, string> = {};
  if (parsed.username !== "" || parsed.password !== "") {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    parsed.username = "";
    parsed.password = "";
  }
  parsed.hash = "";
  return { base: parsed, label: parsed.host, headers };
}

/** The base URL's path and query, joined with an API path and extra query parameters. */
export function endpointUrl(endpoint: HttpEndpoint, path: string, query?: URLSearchParams): URL {
  const url = new URL(endpoint.base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${path}`;
  if (query !== undefined) for (const [key, value] of query) url.searchParams.append(key, value);
  return url;
}

export interface HttpExchange {
  readonly url: URL;
  readonly method: "GET" | "POST" | "DELETE";
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text; sent with content-type application/json. */
  readonly body?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export type HttpOutcome =
  | { readonly kind: "answered"; readonly status: number; readonly body: string }
  | { readonly kind: "timeout" }
  | { readonly kind: "aborted" }
  /** No answer at all: refused, reset, DNS. `reason` is the system error code when there is one (ECONNREFUSED). */
  | { readonly kind: "unreachable"; readonly reason: string; readonly cause: unknown };

/** Never throws: every way the exchange can end is an outcome. The deadline covers reading the body too. */
export async function exchange(request: HttpExchange): Promise<HttpOutcome> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), request.timeoutMs);
  const signal = request.signal === undefined ? deadline.signal : AbortSignal.any([request.signal, deadline.signal]);
  try {
    if (request.signal?.aborted === true) return { kind: "aborted" };
    const response = await fetch(request.url, {
      method: request.method,
      headers: {
        accept: "application/json",
        ...(request.body === undefined ? {} : { "content-type": "application/json" }),
        ...request.headers,
      },
      ...(request.body === undefined ? {} : { body: request.body }),
      // A redirect is reported as its status, not followed: following could carry credentials elsewhere.
      redirect: "manual",
      signal,
    });
    return { kind: "answered", status: response.status, body: await response.text() };
  } catch (cause) {
    if (request.signal?.aborted === true) return { kind: "aborted" };
    if (deadline.signal.aborted) return { kind: "timeout" };
    return { kind: "unreachable", reason: systemErrorCode(cause) ?? "connection failed", cause };
  } finally {
    clearTimeout(timer);
  }
}

export interface HttpStreamExchange extends HttpExchange {
  /** Accept header, e.g. application/octet-stream for SSZ. */
  readonly accept: string;
}

export type HttpStreamOutcome =
  | { readonly kind: "streaming"; readonly status: number; readonly headers: Headers; readonly body: AsyncIterable<Uint8Array> }
  | HttpOutcome;

/**
 * Like `exchange`, for large binary answers: a 2xx answer is handed over as a stream of chunks
 * (`kind: "streaming"`) for the caller to consume within `consume`; anything else is read as text.
 * The deadline covers the whole body. Failures while streaming (deadline, abort, a connection cut
 * mid-body) surface as the outcome of `consume` failing, classified by `streamFailure`.
 */
export async function exchangeStream<T>(
  request: HttpStreamExchange,
  consume: (outcome: HttpStreamOutcome) => Promise<T>,
): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), request.timeoutMs);
  const signal = request.signal === undefined ? deadline.signal : AbortSignal.any([request.signal, deadline.signal]);
  const failure = (cause: unknown): HttpOutcome => {
    if (request.signal?.aborted === true) return { kind: "aborted" };
    if (deadline.signal.aborted) return { kind: "timeout" };
    return { kind: "unreachable", reason: systemErrorCode(cause) ?? "connection failed", cause };
  };
  try {
    if (request.signal?.aborted === true) return await consume({ kind: "aborted" });
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers: { accept: request.accept, ...(request.body === undefined ? {} : { "content-type": "application/json" }), ...request.headers },
        ...(request.body === undefined ? {} : { body: request.body }),
        redirect: "manual",
        signal,
      });
    } catch (cause) {
      return await consume(failure(cause));
    }
    if (response.status < 200 || response.status > 299 || response.body === null) {
      let text: string;
      try {
        text = await response.text();
      } catch (cause) {
        return await consume(failure(cause));
      }
      return await consume({ kind: "answered", status: response.status, body: text });
    }
    const body = response.body;
    const chunks: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        const reader = body.getReader();
        try {
          for (;;) {
            let next: Awaited<ReturnType<typeof reader.read>>;
            try {
              next = await reader.read();
            } catch (cause) {
              throw new StreamInterrupted(failure(cause));
            }
            if (next.done) return;
            yield next.value;
          }
        } finally {
          reader.releaseLock();
          await body.cancel().catch(() => undefined);
        }
      },
    };
    return await consume({ kind: "streaming", status: response.status, headers: response.headers, body: chunks });
  } finally {
    clearTimeout(timer);
  }
}

/** Thrown out of a streaming body when the exchange failed part-way: how it ended is `outcome`. */
export class StreamInterrupted extends Error {
  constructor(readonly outcome: HttpOutcome) {
    super(`stream interrupted (${outcome.kind})`);
    this.name = "StreamInterrupted";
  }
}

/** fetch wraps the socket error: `TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } })`. */
function systemErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]+$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

/** A sleep that ends early, resolving false, when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A short, single-line excerpt of text a server sent back, for error details. `secrets` (a token,
 * passwords that were in the request) are cut out first, in case the server echoes them.
 */
export function excerpt(text: string, secrets: readonly string[] = [], max = 200): string {
  let clean = text;
  for (const secret of secrets) if (secret !== "") clean = clean.split(secret).join("[redacted]");
  clean = clean.replace(/\s+/g, " ").trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
