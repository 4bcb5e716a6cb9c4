/**
 * The standard Keymanager API of a validator client (bearer token), as stakeops uses it.
 * Implemented by keymanagerClient.ts. Pubkeys are 0x-prefixed lower-case hex strings.
 */
import type { SignedVoluntaryExitJson } from "../exit/signedExit.js";
export interface RemoteKeystore {
  readonly pubkey: string;
  readonly derivationPath: string | null;
  readonly readonly: boolean;
}

export interface RemoteSignerKey {
  readonly pubkey: string;
  readonly url: string | null;
  readonly readonly: boolean;
}

export type ImportStatus = "imported" | "duplicate" | "error";
export type DeleteStatus = "deleted" | "not_active" | "not_found" | "error";

export interface ImportKeystoresRequest {
  /** EIP-2335 keystores as JSON strings, and one password per keystore. */
  readonly keystores: readonly string[];
  readonly passwords: readonly string[];
  /** EIP-3076 interchange JSON string for these keys, if any. */
  readonly slashingProtection?: string;
}

export interface DeleteKeystoresResult {
  /** One per requested pubkey, in request order. */
  readonly statuses: readonly { readonly status: DeleteStatus; readonly message: string }[];
  /** EIP-3076 interchange JSON string the client returned for the deleted keys. */
  readonly slashingProtection: string;
}

export interface KeymanagerApi {
  listKeystores(signal?: AbortSignal): Promise<RemoteKeystore[]>;
  /** null when the client does not serve /eth/v1/remotekeys (404). */
  listRemoteKeys(signal?: AbortSignal): Promise<RemoteSignerKey[] | null>;
  /** One status per keystore, in request order. */
  importKeystores(request: ImportKeystoresRequest, signal?: AbortSignal): Promise<{ readonly status: ImportStatus; readonly message: string }[]>;
  deleteKeystores(pubkeys: readonly string[], signal?: AbortSignal): Promise<DeleteKeystoresResult>;
  /** A voluntary exit signed by the client for a key it holds; null where the client has no such route. */
  signVoluntaryExit(pubkey: string, epoch: number, signal?: AbortSignal): Promise<SignedVoluntaryExitJson | null>;
}
