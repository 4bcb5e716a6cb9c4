/**
 * Validator clients of an operator: registered by Keymanager URL and token (the token is checked
 * against the client before anything is stored, then kept encrypted and never shown again).
 */
import { randomUUID } from "node:crypto";
import { StakeopsError, isStakeopsError } from "../errors.js";
import { isoNow, type Clock } from "../registry/clock.js";
import type { SecretBox } from "../registry/secretBox.js";
import { isUniqueViolation } from "../store/constraint.js";
import type { ValidatorClientRow, ValidatorClientsRepository } from "../store/validatorClients.js";
import type { KeymanagerApi } from "./keymanagerApi.js";

export type ValidatorClientErrorCode =
  | "VALIDATOR_CLIENT_NOT_FOUND"
  | "VALIDATOR_CLIENT_URL_INVALID"
  | "VALIDATOR_CLIENT_URL_TAKEN"
  | "VALIDATOR_CLIENT_UNUSABLE";

export class ValidatorClientError extends StakeopsError<ValidatorClientErrorCode> {}

export type KeymanagerFactory = (endpoint: { readonly url: string; readonly token: string }) => KeymanagerApi;

export interface ValidatorClient {
  readonly id: string;
  readonly operatorId: string;
  readonly url: string;
  readonly createdAt: string;
  readonly lastPolledAt: string | null;
  readonly lastError: string | null;
}

export interface ValidatorClientServiceDependencies {
  readonly clients: ValidatorClientsRepository;
  readonly secrets: SecretBox;
  readonly keymanager: KeymanagerFactory;
  readonly clock: Clock;
}

export class ValidatorClientService {
  constructor(private readonly deps: ValidatorClientServiceDependencies) {}

  async register(operatorId: string, url: string, token: string): Promise<ValidatorClient> {
    const normalized = normalizeUrl(url);
    try {
      await this.deps.keymanager({ url: normalized, token }).listKeystores();
    } catch (error) {
      if (!isStakeopsError(error)) throw error;
      throw new ValidatorClientError(
        "VALIDATOR_CLIENT_UNUSABLE",
        `the Keymanager API at ${normalized} did not answer GET /eth/v1/keystores with this token: ${error.message}`,
        { url: normalized, cause: error.code },
        { cause: error },
      );
    }
    const row: ValidatorClientRow = {
      id: randomUUID(),
      operator_id: operatorId,
      url: normalized,
      token_encrypted: this.deps.secrets.seal(token),
      created_at: isoNow(this.deps.clock),
      last_polled_at: null,
      last_error: null,
    };
    try {
      await this.deps.clients.insert(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ValidatorClientError("VALIDATOR_CLIENT_URL_TAKEN", `a validator client with URL ${normalized} is already registered`, { url: normalized });
      }
      throw error;
    }
    return toValidatorClient(row);
  }

  async get(id: string): Promise<ValidatorClient> {
    return toValidatorClient(await this.row(id));
  }

  async list(operatorId?: string): Promise<ValidatorClient[]> {
    return (await this.deps.clients.list(operatorId)).map(toValidatorClient);
  }

  /** A Keymanager client for a registered validator client (decrypts its token). */
  async api(id: string): Promise<{ client: ValidatorClient; api: KeymanagerApi }> {
    const row = await this.row(id);
    return { client: toValidatorClient(row), api: this.deps.keymanager({ url: row.url, token: this.deps.secrets.open(row.token_encrypted) }) };
  }

  private async row(id: string): Promise<ValidatorClientRow> {
    const row = await this.deps.clients.findById(id);
    if (row === undefined) throw new ValidatorClientError("VALIDATOR_CLIENT_NOT_FOUND", `no validator client with id ${id}`, { validatorClientId: id });
    return row;
  }
}

function normalizeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidatorClientError("VALIDATOR_CLIENT_URL_INVALID", `"${url}" is not a URL`, {});
  }
  if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.username !== "" || parsed.password !== "" || parsed.search !== "") {
    throw new ValidatorClientError(
      "VALIDATOR_CLIENT_URL_INVALID",
      "the Keymanager URL must be http(s)://host:port[/path] without credentials or query; the token goes in the token field",
      {},
    );
  }
  return parsed.toString().replace(/\/+$/, "");
}

function toValidatorClient(row: ValidatorClientRow): ValidatorClient {
  return { id: row.id, operatorId: row.operator_id, url: row.url, createdAt: row.created_at, lastPolledAt: row.last_polled_at, lastError: row.last_error };
}
