import { StakeopsError } from "../../errors.js";

export type InterchangeErrorCode =
  /** The text is not JSON at all (truncated download, a keystore given by mistake). */
  | "INTERCHANGE_NOT_JSON"
  /** JSON, but a field is missing or has the wrong type or format; `path` names it. */
  | "INTERCHANGE_MALFORMED"
  /** `metadata.interchange_format_version` is not "5", the only version EIP-3076 defines. */
  | "INTERCHANGE_VERSION_UNSUPPORTED"
  /** The interchange is for another chain: its `genesis_validators_root` differs. */
  | "INTERCHANGE_CHAIN_MISMATCH";

export interface InterchangeErrorDetails extends Readonly<Record<string, unknown>> {
  /** JSON path of the field at fault, e.g. `data[3].signed_blocks[0].slot`. */
  readonly path?: string;
  /** Index in `data` of the record at fault. */
  readonly record?: number;
  /** Pubkey of that record, when it could be read. */
  readonly pubkey?: string;
  /** What the field must be. */
  readonly expected?: string;
  /** What it is, shortened. */
  readonly actual?: string;
}

/**
 * An interchange that cannot be used: unreadable, not version 5, or for another chain. Carries no
 * verdict about signing; refusing to sign is a verdict (see verdict.ts), not an error.
 */
export class InvalidInterchangeError extends StakeopsError<InterchangeErrorCode, InterchangeErrorDetails> {}
