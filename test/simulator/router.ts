/**
 * Routes of the simulator's HTTP server, by the Beacon API's own path templates
 * (`/eth/v1/beacon/headers/{block_id}`), which also name routes in request counts and fault filters.
 * Handlers return a Reply; the server writes it (and may delay, fail or cut it, see faults.ts).
 */
import type { IncomingHttpHeaders } from "node:http";

export interface SimRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type ReplyBody =
  | { readonly kind: "json"; readonly value: unknown }
  /** Text already serialized (cached JSON). */
  | { readonly kind: "text"; readonly text: string; readonly contentType: string }
  | { readonly kind: "bytes"; readonly segments: readonly Uint8Array[]; readonly length: number; readonly contentType: string }
  /** Produced piece by piece (answers too big for one string), sent chunked. */
  | { readonly kind: "stream"; readonly chunks: Iterable<string>; readonly contentType: string };

export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: ReplyBody;
}

export type Handler = (request: SimRequest) => Reply | Promise<Reply>;

/** An answer with an HTTP error status and the Beacon API's error body `{code, message}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function json(value: unknown, headers?: Readonly<Record<string, string>>, status = 200): Reply {
  return headers === undefined ? { status, body: { kind: "json", value } } : { status, headers, body: { kind: "json", value } };
}

export function errorReply(status: number, message: string): Reply {
  return { status, body: { kind: "json", value: { code: status, message } } };
}

interface Route {
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: Handler;
}

export type RouteMatch =
  | { readonly kind: "found"; readonly template: string; readonly params: Record<string, string>; readonly handler: Handler }
  | { readonly kind: "wrong-method"; readonly template: string }
  | { readonly kind: "none" };

export class Router {
  private readonly routes: Route[] = [];

  add(method: "GET" | "POST", template: string, handler: Handler): this {
    const names: string[] = [];
    const source = template
      .split(/(\{[a-z_]+\})/)
      .map((part) => {
        const name = /^\{([a-z_]+)\}$/.exec(part)?.[1];
        if (name === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
        names.push(name);
        return "([^/]+)";
      })
      .join("");
    this.routes.push({ method, template, pattern: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  match(method: string, path: string): RouteMatch {
    let template: string | null = null;
    for (const route of this.routes) {
      const found = route.pattern.exec(path);
      if (found === null) continue;
      if (route.method !== method) {
        template ??= route.template;
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(found[i + 1] ?? "")));
      return { kind: "found", template: route.template, params, handler: route.handler };
    }
    return template === null ? { kind: "none" } : { kind: "wrong-method", template };
  }
}
