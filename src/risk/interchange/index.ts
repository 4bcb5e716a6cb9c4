/**
 * EIP-3076 slashing protection: interchange files (parse, validate, merge, minify, serialise).
 */
export { InvalidInterchangeError, type InterchangeErrorCode, type InterchangeErrorDetails } from "./errors.js";
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
