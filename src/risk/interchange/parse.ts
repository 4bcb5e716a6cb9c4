/**
 * Strict reading of EIP-3076 interchange files, version 5 (complete and minimal forms are the same
 * schema). Every failure names the field by JSON path, the record and its pubkey when known, what
 * the field must be and what it is, so an operator can fix the file without guessing.
 *
 * Choices where the EIP leaves room:
 * - Fields the schema does not define are ignored (a client may add its own); fields it requires
 *   are required, `signed_blocks: []` included.
 * - An absent or null `signing_root` both mean "unknown", the conservative reading.
 * - Hex must carry 0x (the schema's own wording); it is kept in lower case.
 * - Several records for the same pubkey are kept as they are; they mean their union (merge.ts).
 */
import { describe, isJsonObject, type JsonObject } from "../../util/jsonFields.js";
import { item } from "../../util/jsonValues.js";
import { InvalidInterchangeError } from "./errors.js";
import type { Interchange, InterchangeRecord, Root, SignedAttestation, SignedBlock, Uint64 } from "./types.js";
import { INTERCHANGE_FORMAT_VERSION } from "./types.js";
import { parseDecimalUint64 } from "./uint64.js";

interface RecordContext {
  readonly record?: number;
  readonly pubkey?: string;
}

const MISSING: unique symbol = Symbol("missing");
type Member = unknown;

/** 0x and exactly 2·n hex digits, for the two sizes the format uses (roots, pubkeys). */
const HEX_OF_BYTES: Readonly<Record<32 | 48, RegExp>> = { 32: /^0x[0-9a-fA-F]{64}$/, 48: /^0x[0-9a-fA-F]{96}$/ };

/** JSON text to an interchange; see readInterchange. */
export function parseInterchangeJson(text: string): Interchange {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidInterchangeError(
      "INTERCHANGE_NOT_JSON",
      `the slashing protection interchange is not JSON (${reason}); an EIP-3076 file is one JSON object with "metadata" and "data"`,
      {},
    );
  }
  return readInterchange(json);
}

/** Already parsed JSON (e.g. a request body) to an interchange. */
export function readInterchange(json: unknown): Interchange {
  const document = objectAt(json, "", {}, 'an object with "metadata" and "data"');
  const metadata = objectAt(
    member(document, "metadata"),
    "metadata",
    {},
    'an object with "interchange_format_version" and "genesis_validators_root"',
  );
  checkVersion(member(metadata, "interchange_format_version"));
  const genesisValidatorsRoot = hexAt(
    member(metadata, "genesis_validators_root"),
    "metadata.genesis_validators_root",
    32,
    "the chain's genesis validators root",
    {},
  );
  const data = arrayAt(member(document, "data"), "data", {}, "write [] for an interchange without keys");
  return { genesisValidatorsRoot, data: data.map((record, index) => readRecord(record, index)) };
}

function checkVersion(version: Member): void {
  const path = "metadata.interchange_format_version";
  if (typeof version !== "string") {
    malformed(path, `the string "${INTERCHANGE_FORMAT_VERSION}"`, version, {}, "EIP-3076 writes the version as a string");
  }
  if (version !== INTERCHANGE_FORMAT_VERSION) {
    throw new InvalidInterchangeError(
      "INTERCHANGE_VERSION_UNSUPPORTED",
      `${path}: stakeops reads EIP-3076 interchange version ${INTERCHANGE_FORMAT_VERSION} only, got ${describe(version)}; ` +
        "export the slashing protection again with a client release that writes version 5",
      { path, expected: `"${INTERCHANGE_FORMAT_VERSION}"`, actual: describe(version) },
    );
  }
}

function readRecord(value: unknown, index: number): InterchangeRecord {
  const path = item("data", index);
  const record = objectAt(value, path, { record: index }, 'an object with "pubkey", "signed_blocks" and "signed_attestations"');
  const pubkey = hexAt(member(record, "pubkey"), `${path}.pubkey`, 48, "a BLS public key", { record: index });
  const context = { record: index, pubkey };
  const blocksPath = `${path}.signed_blocks`;
  const attestationsPath = `${path}.signed_attestations`;
  const blocks = arrayAt(member(record, "signed_blocks"), blocksPath, context, "write [] when the key signed no block");
  const attestations = arrayAt(
    member(record, "signed_attestations"),
    attestationsPath,
    context,
    "write [] when the key signed no attestation",
  );
  return {
    pubkey,
    signedBlocks: blocks.map((block, i) => readBlock(block, item(blocksPath, i), context)),
    signedAttestations: attestations.map((attestation, i) => readAttestation(attestation, item(attestationsPath, i), context)),
  };
}

function readBlock(value: unknown, path: string, context: RecordContext): SignedBlock {
  const block = objectAt(value, path, context, 'an object with "slot" and, optionally, "signing_root"');
  const slot = uint64At(member(block, "slot"), `${path}.slot`, context);
  const signingRoot = optionalRootAt(member(block, "signing_root"), `${path}.signing_root`, context);
  return signingRoot === undefined ? { slot } : { slot, signingRoot };
}

function readAttestation(value: unknown, path: string, context: RecordContext): SignedAttestation {
  const attestation = objectAt(value, path, context, 'an object with "source_epoch", "target_epoch" and, optionally, "signing_root"');
  const sourceEpoch = uint64At(member(attestation, "source_epoch"), `${path}.source_epoch`, context);
  const targetEpoch = uint64At(member(attestation, "target_epoch"), `${path}.target_epoch`, context);
  const signingRoot = optionalRootAt(member(attestation, "signing_root"), `${path}.signing_root`, context);
  return signingRoot === undefined ? { sourceEpoch, targetEpoch } : { sourceEpoch, targetEpoch, signingRoot };
}

function member(object: JsonObject, key: string): Member {
  return Object.hasOwn(object, key) ? object[key] : MISSING;
}

function objectAt(value: Member, path: string, context: RecordContext, expected: string): JsonObject {
  if (!isJsonObject(value)) malformed(path, expected, value, context);
  return value;
}

function arrayAt(value: Member, path: string, context: RecordContext, hint: string): readonly unknown[] {
  if (!Array.isArray(value)) malformed(path, "an array", value, context, value === MISSING ? hint : undefined);
  return value;
}

function uint64At(value: Member, path: string, context: RecordContext): Uint64 {
  const parsed = typeof value === "string" ? parseDecimalUint64(value) : null;
  if (parsed === null) {
    malformed(
      path,
      'a uint64 as a decimal string, e.g. "81952"',
      value,
      context,
      typeof value === "number" ? "EIP-3076 writes integers as strings so that no reader rounds them; quote the number" : undefined,
    );
  }
  return parsed;
}

function hexAt(value: Member, path: string, bytes: 32 | 48, what: string, context: RecordContext): string {
  if (typeof value !== "string" || !HEX_OF_BYTES[bytes].test(value)) {
    malformed(path, `${what}: 0x and ${bytes * 2} hex digits (${bytes} bytes)`, value, context);
  }
  return value.toLowerCase();
}

function optionalRootAt(value: Member, path: string, context: RecordContext): Root | undefined {
  if (value === MISSING || value === null) return undefined;
  return hexAt(value, path, 32, "a signing root", context);
}

function malformed(path: string, expected: string, value: Member, context: RecordContext, hint?: string): never {
  const actual = value === MISSING ? "nothing (the field is missing)" : describe(value);
  const where = (path === "" ? "the interchange" : path) + (context.pubkey === undefined ? "" : ` (key ${shortKey(context.pubkey)})`);
  throw new InvalidInterchangeError(
    "INTERCHANGE_MALFORMED",
    `${where}: expected ${expected}, got ${actual}${hint === undefined ? "" : `; ${hint}`}`,
    { path, expected, actual, ...context },
  );
}

function shortKey(pubkey: string): string {
  return `${pubkey.slice(0, 10)}…${pubkey.slice(-6)}`;
}
