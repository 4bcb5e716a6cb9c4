/**
 * EIP-3076 slashing protection: interchange files (parse, validate, merge, minify, serialise) and
 * an in-memory history that answers whether a block or attestation is safe to sign.
 */
export { InvalidInterchangeError, type InterchangeErrorCode, type InterchangeErrorDetails } from "./errors.js";
export { SlashingProtectionHistory, type ImportMode, type ImportOptions, type ImportReport } from "./history.js";
export type { AttestationFinding, BlockFinding, ImportFinding } from "./importConflicts.js";
export { mergeInterchanges } from "./merge.js";
export { minifyInterchange } from "./minify.js";
export { parseInterchangeJson, readInterchange } from "./parse.js";
export { interchangeToJson, serializeInterchange, type InterchangeJson, type InterchangeRecordJson } from "./serialize.js";
export {
  INTERCHANGE_FORMAT_VERSION,
  MAX_UINT64,
  type BlsPubkey,
  type Interchange,
  type InterchangeRecord,
  type Root,
  type SignedAttestation,
  type SignedBlock,
  type Uint64,
} from "./types.js";
export type { AttestationRefusal, AttestationVerdict, BlockRefusal, BlockVerdict, RefusalReason, SafeToSign } from "./verdict.js";
