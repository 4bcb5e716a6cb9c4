/**
 * KeymanagerApi over the standard Keymanager API of one validator client (`/eth/v1/keystores`,
 * `/eth/v1/remotekeys`, bearer token).
 *
 * No retries: importing and deleting keys change the client's state, and whether a retry is safe
 * depends on what the caller is doing (a key migration decides that, not the transport). Reads are
 * cheap for the caller to repeat.
 *
 * The token and the keystore passwords travel in requests only. They are cut out of anything the
 * client sends back before it reaches an error or a status message.
 */
import { InputError } from "../errors.js";
import { endpointUrl, exchange, excerpt, httpEndpoint, type HttpEndpoint } from "../util/http.js";
import { JsonFieldError } from "../util/jsonFields.js";
import { KeymanagerError } from "./errors.js";
import type {
  DeleteKeystoresResult,
  ImportKeystoresRequest,
  ImportStatus,
  KeymanagerApi,
  RemoteKeystore,
  RemoteSignerKey,
} from "./keymanagerApi.js";
import type { SignedVoluntaryExitJson } from "../exit/signedExit.js";
import { readDeleteResult, readImportStatuses, readKeystoreList, readRemoteKeyList, readSignedVoluntaryExit } from "./responses.js";

export const KEYMANAGER_ROUTES = {
  keystores: "/eth/v1/keystores",
  remoteKeys: "/eth/v1/remotekeys",
  voluntaryExit: "/eth/v1/validator/{pubkey}/voluntary_exit",
} as const;

export interface KeymanagerClientOptions {
  readonly url: string;
  /** Bearer token; undefined for a client run with authentication off. */
  readonly token?: string;
  /** Listing keys. */
  readonly timeoutMs?: number;
  /**
   * Importing and deleting: the client decrypts every keystore inside the request (scrypt at the
   * EIP-2335 default costs about a second per key) and writes its slashing-protection database.
   */
  readonly writeTimeoutMs?: number;
}

export const DEFAULT_KEYMANAGER_TIMEOUT_MS = 10_000;
export const DEFAULT_KEYMANAGER_WRITE_TIMEOUT_MS = 300_000;

const PUBKEY = /^0x[0-9a-fA-F]{96}$/;
/** RFC 6750 b64token characters; anything else would break (or smuggle) the header. */
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

interface Call {
  readonly method: "GET" | "POST" | "DELETE";
  /** The route template: named in errors and metrics. */
  readonly route: string;
  /** The path actually requested, when the route has placeholders. */
  readonly path?: string;
  readonly query?: URLSearchParams;
  readonly body?: unknown;
  readonly timeoutMs: number;
  /** Secrets in this request besides the token (passwords), to cut out of answers. */
  readonly secrets?: readonly string[];
}

export class KeymanagerClient implements KeymanagerApi {
  private readonly endpoint: HttpEndpoint;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly writeTimeoutMs: number;

  constructor(options: KeymanagerClientOptions) {
    this.endpoint = httpEndpoint(options.url, "Keymanager API URL");
    if (options.token !== undefined && !TOKEN.test(options.token)) {
      throw new InputError("INVALID_ARGUMENT", "the Keymanager API token is empty or has characters a bearer token cannot have", {
        what: "Keymanager API token",
      });
    }
    this.token = options.token;
    this.timeoutMs = positive(options.timeoutMs ?? DEFAULT_KEYMANAGER_TIMEOUT_MS);
    this.writeTimeoutMs = positive(options.writeTimeoutMs ?? DEFAULT_KEYMANAGER_WRITE_TIMEOUT_MS);
  }

  /** host:port of the validator client, for messages and metrics. */
  get label(): string {
    return this.endpoint.label;
  }

  async listKeystores(signal?: AbortSignal): Promise<RemoteKeystore[]> {
    const answer = await this.call({ method: "GET", route: KEYMANAGER_ROUTES.keystores, timeoutMs: this.timeoutMs }, signal);
    return this.parse(answer, (json) => readKeystoreList(json));
  }

  async listRemoteKeys(signal?: AbortSignal): Promise<RemoteSignerKey[] | null> {
    const call: Call = { method: "GET", route: KEYMANAGER_ROUTES.remoteKeys, timeoutMs: this.timeoutMs };
    const answer = await this.call(call, signal, { allowNotFound: true });
    // Clients without remote-signer support do not serve the route at all.
    if (answer.status === 404) return null;
    return this.parse(answer, (json) => readRemoteKeyList(json));
  }

  async importKeystores(
    request: ImportKeystoresRequest,
    signal?: AbortSignal,
  ): Promise<{ readonly status: ImportStatus; readonly message: string }[]> {
    if (request.keystores.length !== request.passwords.length) {
      throw new InputError(
        "INVALID_ARGUMENT",
        `one password per keystore is needed: ${request.keystores.length} keystores, ${request.passwords.length} passwords`,
        { keystores: request.keystores.length, passwords: request.passwords.length },
      );
    }
    if (request.keystores.length === 0) return [];
    const body = {
      keystores: request.keystores,
      passwords: request.passwords,
      ...(request.slashingProtection === undefined ? {} : { slashing_protection: request.slashingProtection }),
    };
    const secrets = request.passwords;
    const answer = await this.call(
      { method: "POST", route: KEYMANAGER_ROUTES.keystores, body, timeoutMs: this.writeTimeoutMs, secrets },
      signal,
    );
    return this.parse(answer, (json) => readImportStatuses(json, request.keystores.length, (text) => this.clean(text, secrets)));
  }

  async deleteKeystores(pubkeys: readonly string[], signal?: AbortSignal): Promise<DeleteKeystoresResult> {
    const normalized = pubkeys.map(normalize);
    const answer = await this.call(
      { method: "DELETE", route: KEYMANAGER_ROUTES.keystores, body: { pubkeys: normalized }, timeoutMs: this.writeTimeoutMs },
      signal,
    );
    return this.parse(answer, (json) => readDeleteResult(json, normalized.length, (text) => this.clean(text)));
  }

  /**
   * Asks the client to sign a voluntary exit for a key it holds (the Keymanager API's
   * voluntary_exit route); null when the client has no such route (Lodestar 1.5, for one).
   */
  async signVoluntaryExit(pubkey: string, epoch: number, signal?: AbortSignal): Promise<SignedVoluntaryExitJson | null> {
    const normalized = normalize(pubkey);
    const call: Call = {
      method: "POST",
      route: KEYMANAGER_ROUTES.voluntaryExit,
      path: KEYMANAGER_ROUTES.voluntaryExit.replace("{pubkey}", normalized),
      query: new URLSearchParams({ epoch: String(epoch) }),
      timeoutMs: this.timeoutMs,
    };
    const answer = await this.call(call, signal, { allowNotFound: true });
    if (answer.status === 404) return null;
    return this.parse(answer, (json) => readSignedVoluntaryExit(json));
  }

  private async call(
    call: Call,
    signal: AbortSignal | undefined,
    options: { allowNotFound?: boolean } = {},
  ): Promise<{ readonly call: Call; readonly status: number; readonly body: string }> {
    const outcome = await exchange({
      url: endpointUrl(this.endpoint, call.path ?? call.route, call.query),
      method: call.method,
      headers: { ...this.endpoint.headers, ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }) },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      timeoutMs: call.timeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    const where = `Keymanager API ${this.endpoint.label}: ${call.method} ${call.route}`;
    const base = { node: this.endpoint.label, method: call.method, endpoint: call.route };
    switch (outcome.kind) {
      case "aborted":
        throw new KeymanagerError("KEYMANAGER_ABORTED", `${where}: aborted`, base);
      case "timeout":
        throw new KeymanagerError("KEYMANAGER_TIMEOUT", `${where}: no answer within ${call.timeoutMs / 1000} s`, base);
      case "unreachable":
        // The cause is kept for debugging; it holds the socket error, not the request.
        throw new KeymanagerError(
          "KEYMANAGER_UNREACHABLE",
          `${where}: no connection (${outcome.reason})`,
          { ...base, reason: outcome.reason },
          {
            cause: outcome.cause,
          },
        );
      case "answered":
        break;
    }
    const { status } = outcome;
    if (status >= 200 && status <= 299) return { call, status, body: outcome.body };
    if (status === 404 && options.allowNotFound === true) return { call, status, body: outcome.body };
    const reason = this.clean(serverMessage(outcome.body), call.secrets);
    if (status === 401 || status === 403) {
      throw new KeymanagerError(
        "KEYMANAGER_UNAUTHORIZED",
        `${where}: HTTP ${status}, the bearer token was refused${this.token === undefined ? " (none was given)" : ""}`,
        { ...base, status, reason },
      );
    }
    throw new KeymanagerError("KEYMANAGER_HTTP_ERROR", `${where}: HTTP ${status}${reason === "" ? "" : `: ${reason}`}`, {
      ...base,
      status,
      reason,
    });
  }

  private parse<T>(answer: { readonly call: Call; readonly status: number; readonly body: string }, read: (json: unknown) => T): T {
    const { call, status, body } = answer;
    const where = `Keymanager API ${this.endpoint.label}: ${call.method} ${call.route}`;
    const base = { node: this.endpoint.label, method: call.method, endpoint: call.route, status };
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new KeymanagerError("KEYMANAGER_BAD_RESPONSE", `${where}: the answer is not JSON`, {
        ...base,
        reason: this.clean(excerpt(body, [], 80), call.secrets),
      });
    }
    try {
      return read(json);
    } catch (error) {
      if (!(error instanceof JsonFieldError)) throw error;
      const reason = this.clean(error.message, call.secrets);
      throw new KeymanagerError("KEYMANAGER_BAD_RESPONSE", `${where}: unexpected answer: ${reason}`, { ...base, reason });
    }
  }

  private clean(text: string, secrets: readonly string[] = []): string {
    return excerpt(text, [...(this.token === undefined ? [] : [this.token]), ...secrets]);
  }
}

/** Keymanager errors are `{"message": "..."}` (Lodestar: `{"error": "..."}`); anything else is shown shortened. */
function serverMessage(body: string): string {
  try {
    const json: unknown = JSON.parse(body);
    if (typeof json === "object" && json !== null) {
      for (const key of ["message", "error"]) {
        const value: unknown = (json as Record<string, unknown>)[key];
        if (typeof value === "string") return value;
      }
    }
  } catch {
    // not JSON: the raw text
  }
  return body;
}

function positive(value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InputError("INVALID_ARGUMENT", "Keymanager API timeouts must be positive numbers", { what: "Keymanager API timeout" });
  }
  return value;
}

function normalize(pubkey: string): string {
  if (!PUBKEY.test(pubkey)) {
    throw new InputError("INVALID_HEX", `a validator pubkey must be 0x and 48 bytes of hex (got "${pubkey.slice(0, 20)}…")`, {
      what: "validator pubkey",
    });
  }
  return pubkey.toLowerCase();
}
