/**
 * Strict readers for the Beacon API's JSON answers. Every check failure is a JsonFieldError with
 * the path of the bad field; the node pool turns it into BEACON_BAD_RESPONSE naming node and endpoint.
 *
 * The Beacon API writes uint64 values as decimal strings. Values stakeops keeps as numbers (slots,
 * epochs, indices, Gwei) all stay far below 2^53 on any real chain; one that does not is refused
 * rather than rounded. FAR_FUTURE_EPOCH (2^64-1) is the one large value with a meaning: "never".
 */
import { VALIDATOR_STATUSES, type BeaconGenesis, type BeaconSyncing, type BeaconValidator, type ValidatorStatus } from "./beaconApi.js";
import { JsonFieldError, asObject, describe, field, objectField, stringField, type JsonObject } from "../util/jsonFields.js";
import { arrayField, asString, booleanField, item, optionalBooleanField } from "../util/jsonValues.js";

export const FAR_FUTURE_EPOCH = "18446744073709551615";

const UINT = /^(0|[1-9][0-9]*)$/;
const STATUSES: ReadonlySet<string> = new Set<ValidatorStatus>(VALIDATOR_STATUSES);

export function readGenesis(json: unknown): BeaconGenesis {
  const data = objectField(asObject(json, "body"), "data", "");
  return {
    genesisTime: uintField(data, "genesis_time", "data"),
    genesisValidatorsRoot: hexField(data, "genesis_validators_root", "data", 32),
    genesisForkVersion: hexField(data, "genesis_fork_version", "data", 4),
  };
}

/**
 * Scalar config values are strings in the API. Since Fulu the spec also holds structured values
 * (BLOB_SCHEDULE, a list of objects); the interface promises strings, so those are left out
 * rather than refused. A scalar that is not a string is a malformed answer.
 */
export function readSpec(json: unknown): Readonly<Record<string, string>> {
  const data = objectField(asObject(json, "body"), "data", "");
  const spec: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (typeof value === "object" && value !== null) continue;
    spec[key] = asString(value, `data.${key}`);
  }
  return spec;
}

export function readSyncing(json: unknown): BeaconSyncing {
  const data = objectField(asObject(json, "body"), "data", "");
  return {
    headSlot: uintField(data, "head_slot", "data"),
    syncDistance: uintField(data, "sync_distance", "data"),
    isSyncing: booleanField(data, "is_syncing", "data"),
    // Added to the API later (is_optimistic with Bellatrix, el_offline in 2023): a node that does not
    // report them is read as "no" rather than refused, so older nodes keep working.
    isOptimistic: optionalBooleanField(data, "is_optimistic", "data") ?? false,
    elOffline: optionalBooleanField(data, "el_offline", "data") ?? false,
  };
}

/** `requested`: the lower-case pubkeys asked for; a validator outside that set means the node answered something else. */
export function readValidators(json: unknown, requested: ReadonlySet<string>): BeaconValidator[] {
  const data = arrayField(asObject(json, "body"), "data", "");
  const seen = new Set<number>();
  return data.map((entry, i) => {
    const path = item("data", i);
    const validator = readValidator(asObject(entry, path), path);
    if (!requested.has(validator.pubkey)) throw new JsonFieldError(`${path}.validator.pubkey`, `${validator.pubkey} was not asked for`);
    if (seen.has(validator.index)) throw new JsonFieldError(`${path}.index`, `validator ${validator.index} appears twice`);
    seen.add(validator.index);
    return validator;
  });
}

function readValidator(o: JsonObject, path: string): BeaconValidator {
  const v = objectField(o, "validator", path);
  const vPath = `${path}.validator`;
  const status = stringField(o, "status", path);
  if (!STATUSES.has(status)) throw new JsonFieldError(`${path}.status`, `unknown validator status ${describe(status)}`);
  return {
    index: uintField(o, "index", path),
    pubkey: hexField(v, "pubkey", vPath, 48),
    status: status as ValidatorStatus,
    balanceGwei: uintField(o, "balance", path),
    effectiveBalanceGwei: uintField(v, "effective_balance", vPath),
    withdrawalCredentials: hexField(v, "withdrawal_credentials", vPath, 32),
    slashed: booleanField(v, "slashed", vPath),
    activationEligibilityEpoch: epochField(v, "activation_eligibility_epoch", vPath),
    activationEpoch: epochField(v, "activation_epoch", vPath),
    exitEpoch: epochField(v, "exit_epoch", vPath),
    withdrawableEpoch: epochField(v, "withdrawable_epoch", vPath),
  };
}

/** Electra `pending_deposits`: only the pubkeys matter here, but each entry is checked whole. */
export function readPendingDepositPubkeys(json: unknown): ReadonlySet<string> {
  const data = arrayField(asObject(json, "body"), "data", "");
  const pubkeys = new Set<string>();
  data.forEach((entry, i) => {
    const path = item("data", i);
    const o = asObject(entry, path);
    pubkeys.add(hexField(o, "pubkey", path, 48));
    hexField(o, "withdrawal_credentials", path, 32);
    uintField(o, "amount", path);
    hexField(o, "signature", path, 96);
    uintField(o, "slot", path);
  });
  return pubkeys;
}

/** Electra `pending_partial_withdrawals`: the validators that have one. */
export function readPendingPartialWithdrawalIndices(json: unknown): ReadonlySet<number> {
  const data = arrayField(asObject(json, "body"), "data", "");
  const indices = new Set<number>();
  data.forEach((entry, i) => {
    const path = item("data", i);
    const o = asObject(entry, path);
    indices.add(uintField(o, "validator_index", path));
    uintField(o, "amount", path);
  });
  return indices;
}

/**
 * Liveness answers, current (`index` as a string) and old (Lodestar 1.x before the POST form: a
 * number, and an `epoch` field). Exactly the requested indices, each once.
 */
export function readLiveness(json: unknown, requested: readonly number[]): Map<number, boolean> {
  const data = arrayField(asObject(json, "body"), "data", "");
  const wanted = new Set(requested);
  const live = new Map<number, boolean>();
  data.forEach((entry, i) => {
    const path = item("data", i);
    const o = asObject(entry, path);
    const raw = field(o, "index", path);
    const index = typeof raw === "number" && Number.isSafeInteger(raw) && raw >= 0 ? raw : uintField(o, "index", path);
    if (!wanted.has(index)) throw new JsonFieldError(`${path}.index`, `validator ${index} was not asked for`);
    if (live.has(index)) throw new JsonFieldError(`${path}.index`, `validator ${index} appears twice`);
    live.set(index, booleanField(o, "is_live", path));
  });
  const missing = requested.filter((index) => !live.has(index));
  if (missing.length > 0)
    throw new JsonFieldError("data", `no answer for validator${missing.length > 1 ? "s" : ""} ${missing.slice(0, 5).join(", ")}`);
  return live;
}

export function uintField(o: JsonObject, key: string, path: string): number {
  const value = stringField(o, key, path);
  if (!UINT.test(value)) throw new JsonFieldError(`${path}.${key}`, `expected a decimal integer string, got ${describe(value)}`);
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new JsonFieldError(`${path}.${key}`, `${value} is too large`);
  return number;
}

function epochField(o: JsonObject, key: string, path: string): number | null {
  return o[key] === FAR_FUTURE_EPOCH ? null : uintField(o, key, path);
}

/** 0x-prefixed hex of an exact length, returned lower-case. */
export function hexField(o: JsonObject, key: string, path: string, bytes: number): string {
  const value = stringField(o, key, path);
  if (value.length !== 2 + bytes * 2 || !/^0x[0-9a-fA-F]*$/.test(value)) {
    throw new JsonFieldError(`${path}.${key}`, `expected 0x and ${bytes} bytes of hex, got ${describe(value)}`);
  }
  return value.toLowerCase();
}
