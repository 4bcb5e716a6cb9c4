/**
 * Strict readers for the Keymanager API's JSON answers; a wrong shape is a JsonFieldError naming the
 * field, which the client turns into KEYMANAGER_BAD_RESPONSE.
 */
import type { DeleteKeystoresResult, DeleteStatus, ImportStatus, RemoteKeystore, RemoteSignerKey } from "./keymanagerApi.js";
import type { SignedVoluntaryExitJson } from "../exit/signedExit.js";
import { JsonFieldError, asObject, describe, objectField, optionalStringField, stringField, type JsonObject } from "../util/jsonFields.js";
import { arrayField, item, optionalBooleanField } from "../util/jsonValues.js";

const IMPORT_STATUSES: ReadonlySet<string> = new Set<ImportStatus>(["imported", "duplicate", "error"]);
const DELETE_STATUSES: ReadonlySet<string> = new Set<DeleteStatus>(["deleted", "not_active", "not_found", "error"]);

export function readKeystoreList(json: unknown): RemoteKeystore[] {
  return dataArray(json).map((entry, i) => {
    const path = item("data", i);
    const o = asObject(entry, path);
    // Optional in the API; Lodestar writes "" when it does not know the path: both mean "no path".
    const derivationPath = optionalStringField(o, "derivation_path", path) ?? "";
    return {
      pubkey: pubkeyField(o, "validating_pubkey", path),
      derivationPath: derivationPath === "" ? null : derivationPath,
      readonly: optionalBooleanField(o, "readonly", path) ?? false,
    };
  });
}

export function readRemoteKeyList(json: unknown): RemoteSignerKey[] {
  return dataArray(json).map((entry, i) => {
    const path = item("data", i);
    const o = asObject(entry, path);
    const url = optionalStringField(o, "url", path) ?? "";
    return {
      pubkey: pubkeyField(o, "pubkey", path),
      url: url === "" ? null : url,
      readonly: optionalBooleanField(o, "readonly", path) ?? false,
    };
  });
}

/** One status per keystore sent, in order. `clean` cuts secrets out of the client's messages. */
export function readImportStatuses(
  json: unknown,
  expected: number,
  clean: (text: string) => string,
): { status: ImportStatus; message: string }[] {
  return statuses(dataArray(json), expected, IMPORT_STATUSES, clean) as { status: ImportStatus; message: string }[];
}

export function readDeleteResult(json: unknown, expected: number, clean: (text: string) => string): DeleteKeystoresResult {
  const body = asObject(json, "body");
  const result = statuses(arrayField(body, "data", ""), expected, DELETE_STATUSES, clean) as { status: DeleteStatus; message: string }[];
  const slashingProtection = stringField(body, "slashing_protection", "");
  checkInterchange(slashingProtection);
  return { statuses: result, slashingProtection };
}

function statuses(
  data: readonly unknown[],
  expected: number,
  allowed: ReadonlySet<string>,
  clean: (text: string) => string,
): { status: string; message: string }[] {
  if (data.length !== expected) throw new JsonFieldError("data", `expected ${expected} statuses (one per key sent), got ${data.length}`);
  return data.map((entry, i) => {
    const path = item("data", i);
    const o = asObject(entry, path);
    // The API's enums are lower case; some clients have written them in upper case.
    const status = stringField(o, "status", path).toLowerCase();
    if (!allowed.has(status)) throw new JsonFieldError(`${path}.status`, `unknown status ${describe(status)}`);
    return { status, message: clean(optionalStringField(o, "message", path) ?? "") };
  });
}

/** EIP-3076: `{metadata: {interchange_format_version, genesis_validators_root}, data: [...]}`. */
function checkInterchange(text: string): void {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new JsonFieldError("slashing_protection", "expected an EIP-3076 interchange JSON string, got text that is not JSON");
  }
  const o = asObject(json, "slashing_protection");
  const metadata = asObject(o.metadata, "slashing_protection.metadata");
  stringField(metadata, "interchange_format_version", "slashing_protection.metadata");
  arrayField(o, "data", "slashing_protection");
}

function dataArray(json: unknown): readonly unknown[] {
  return arrayField(asObject(json, "body"), "data", "");
}

function pubkeyField(o: JsonObject, key: string, path: string): string {
  const value = stringField(o, key, path);
  if (!/^0x[0-9a-fA-F]{96}$/.test(value))
    throw new JsonFieldError(`${path}.${key}`, `expected 0x and 48 bytes of hex, got ${describe(value)}`);
  return value.toLowerCase();
}

/** `{data: {message: {epoch, validator_index}, signature}}` of the voluntary_exit route. */
export function readSignedVoluntaryExit(json: unknown): SignedVoluntaryExitJson {
  const data = objectField(asObject(json, "body"), "data", "");
  const message = objectField(data, "message", "data");
  const uint = (key: string): string => {
    const value = stringField(message, key, "data.message");
    if (!/^(0|[1-9][0-9]{0,15})$/.test(value)) throw new JsonFieldError(`data.message.${key}`, "expected a decimal integer string");
    return value;
  };
  const signature = stringField(data, "signature", "data");
  if (!/^0x[0-9a-fA-F]{192}$/.test(signature)) throw new JsonFieldError("data.signature", "expected 0x and 96 bytes of hex");
  return { message: { epoch: uint("epoch"), validator_index: uint("validator_index") }, signature: signature.toLowerCase() };
}
