/**
 * Strict readers for the Beacon API answers the epoch monitor uses: block headers, blocks,
 * committees, proposer duties, sync committees, finality checkpoints and attestation rewards.
 * Like responses.ts, every shape error names the path of the bad field.
 *
 * Blocks are read into a summary that keeps only what performance needs (proposer, parent root,
 * attestations with their bits as bytes, sync bits, slashings), for every fork from altair on:
 * `committee_bits` exists from electra, `sync_aggregate` from altair.
 */
import { JsonFieldError, asObject, field, objectField, stringField, type JsonObject } from "../util/jsonFields.js";
import { arrayField, asString, booleanField, item } from "../util/jsonValues.js";
import { hexField, uintField } from "./responses.js";

export interface BlockHeaderSummary {
  readonly root: string;
  readonly slot: number;
  readonly canonical: boolean;
  readonly parentRoot: string;
}

export interface AttestationSummary {
  readonly slot: number;
  /** data.index: the committee before electra, always 0 from electra. */
  readonly index: number;
  /** Electra: the committees this aggregate covers, ascending; null before electra. */
  readonly committees: readonly number[] | null;
  /** SSZ bitlist bytes (with the length bit). */
  readonly aggregationBits: Uint8Array;
  readonly beaconBlockRoot: string;
  readonly sourceEpoch: number;
  readonly targetEpoch: number;
  readonly targetRoot: string;
}

export interface BlockSummary {
  readonly slot: number;
  readonly proposerIndex: number;
  readonly parentRoot: string;
  readonly attestations: readonly AttestationSummary[];
  /** Bitvector bytes of the sync aggregate (altair on). */
  readonly syncBits: Uint8Array | null;
  /** Validators named in the block's proposer slashings. */
  readonly proposerSlashed: readonly number[];
  /** Validators in both attestations of each attester slashing (the slashable ones). */
  readonly attesterSlashed: readonly number[];
}

export interface Committee {
  readonly slot: number;
  readonly index: number;
  readonly validators: Uint32Array;
}

export interface ProposerDuty {
  readonly slot: number;
  readonly validatorIndex: number;
}

export interface FinalityCheckpoints {
  readonly previousJustifiedEpoch: number;
  readonly currentJustifiedEpoch: number;
  readonly finalizedEpoch: number;
}

/**
 * The rewards API's answer for an epoch, Gwei: each validator's net attestation reward (negative
 * means a penalty), and the ideal reward per effective balance (the answer gives it per balance,
 * not per validator).
 */
export interface AttestationRewards {
  readonly earned: ReadonlyMap<number, number>;
  readonly idealByEffectiveBalance: ReadonlyMap<number, number>;
}

export function readHeader(json: unknown): BlockHeaderSummary {
  const data = objectField(asObject(json, "body"), "data", "");
  const message = objectField(objectField(data, "header", "data"), "message", "data.header");
  return {
    root: hexField(data, "root", "data", 32),
    canonical: booleanField(data, "canonical", "data"),
    slot: uintField(message, "slot", "data.header.message"),
    parentRoot: hexField(message, "parent_root", "data.header.message", 32),
  };
}

export function readBlock(json: unknown): BlockSummary {
  const data = objectField(asObject(json, "body"), "data", "");
  const message = objectField(data, "message", "data");
  const path = "data.message";
  const body = objectField(message, "body", path);
  const bodyPath = `${path}.body`;
  const attestations = arrayField(body, "attestations", bodyPath).map((entry, i) => readAttestation(asObject(entry, item(`${bodyPath}.attestations`, i)), item(`${bodyPath}.attestations`, i)));
  let syncBits: Uint8Array | null = null;
  if (Object.hasOwn(body, "sync_aggregate")) {
    const aggregate = objectField(body, "sync_aggregate", bodyPath);
    syncBits = bytesField(aggregate, "sync_committee_bits", `${bodyPath}.sync_aggregate`);
  }
  const proposerSlashed = arrayField(body, "proposer_slashings", bodyPath).map((entry, i) => {
    const p = item(`${bodyPath}.proposer_slashings`, i);
    const header = objectField(objectField(asObject(entry, p), "signed_header_1", p), "message", `${p}.signed_header_1`);
    return uintField(header, "proposer_index", `${p}.signed_header_1.message`);
  });
  const attesterSlashed = arrayField(body, "attester_slashings", bodyPath).flatMap((entry, i) => {
    const p = item(`${bodyPath}.attester_slashings`, i);
    const o = asObject(entry, p);
    const indices = (key: string): number[] =>
      arrayField(objectField(o, key, p), "attesting_indices", `${p}.${key}`).map((v, j) => uintValue(v, item(`${p}.${key}.attesting_indices`, j)));
    const second = new Set(indices("attestation_2"));
    return indices("attestation_1").filter((index) => second.has(index));
  });
  return {
    slot: uintField(message, "slot", path),
    proposerIndex: uintField(message, "proposer_index", path),
    parentRoot: hexField(message, "parent_root", path, 32),
    attestations,
    syncBits,
    proposerSlashed,
    attesterSlashed,
  };
}

function readAttestation(o: JsonObject, path: string): AttestationSummary {
  const data = objectField(o, "data", path);
  const dataPath = `${path}.data`;
  let committees: number[] | null = null;
  if (Object.hasOwn(o, "committee_bits")) {
    const bits = bytesField(o, "committee_bits", path);
    committees = [];
    for (let bit = 0; bit < bits.length * 8; bit++) if (((bits[bit >> 3] as number) >> (bit & 7)) & 1) committees.push(bit);
  }
  return {
    slot: uintField(data, "slot", dataPath),
    index: uintField(data, "index", dataPath),
    committees,
    aggregationBits: bytesField(o, "aggregation_bits", path),
    beaconBlockRoot: hexField(data, "beacon_block_root", dataPath, 32),
    sourceEpoch: uintField(objectField(data, "source", dataPath), "epoch", `${dataPath}.source`),
    targetEpoch: uintField(objectField(data, "target", dataPath), "epoch", `${dataPath}.target`),
    targetRoot: hexField(objectField(data, "target", dataPath), "root", `${dataPath}.target`, 32),
  };
}

/** `{data:[{index, slot, validators:[…]}]}`; 1.1M indices on mainnet, so parsed without intermediate objects. */
export function readCommittees(json: unknown): Committee[] {
  const data = arrayField(asObject(json, "body"), "data", "");
  return data.map((entry, i) => {
    const path = item("data", i);
    const o = asObject(entry, path);
    const list = arrayField(o, "validators", path);
    const validators = new Uint32Array(list.length);
    for (let j = 0; j < list.length; j++) validators[j] = uintValue(list[j], `${path}.validators[${j}]`);
    return { slot: uintField(o, "slot", path), index: uintField(o, "index", path), validators };
  });
}

export function readProposerDuties(json: unknown): ProposerDuty[] {
  const data = arrayField(asObject(json, "body"), "data", "");
  return data.map((entry, i) => {
    const path = item("data", i);
    const o = asObject(entry, path);
    hexField(o, "pubkey", path, 48);
    return { slot: uintField(o, "slot", path), validatorIndex: uintField(o, "validator_index", path) };
  });
}

/** The sync committee's members in position order (a validator may hold several positions). */
export function readSyncCommittee(json: unknown): number[] {
  const data = objectField(asObject(json, "body"), "data", "");
  return arrayField(data, "validators", "data").map((v, i) => uintValue(v, item("data.validators", i)));
}

export function readFinality(json: unknown): FinalityCheckpoints {
  const data = objectField(asObject(json, "body"), "data", "");
  const epoch = (key: string): number => uintField(objectField(data, key, "data"), "epoch", `data.${key}`);
  return { previousJustifiedEpoch: epoch("previous_justified"), currentJustifiedEpoch: epoch("current_justified"), finalizedEpoch: epoch("finalized") };
}

/**
 * `/eth/v1/beacon/rewards/attestations/{epoch}`: earned = head + target + source (+ inclusion_delay
 * before altair) + inactivity of total_rewards; ideal = the same of ideal_rewards, per effective balance.
 */
export function readAttestationRewards(json: unknown): AttestationRewards {
  const data = objectField(asObject(json, "body"), "data", "");
  const ideal = new Map<number, number>();
  arrayField(data, "ideal_rewards", "data").forEach((entry, i) => {
    const path = item("data.ideal_rewards", i);
    const o = asObject(entry, path);
    ideal.set(uintField(o, "effective_balance", path), rewardSum(o, path, false));
  });
  const earned = new Map<number, number>();
  arrayField(data, "total_rewards", "data").forEach((entry, i) => {
    const path = item("data.total_rewards", i);
    const o = asObject(entry, path);
    earned.set(uintField(o, "validator_index", path), rewardSum(o, path, true));
  });
  return { earned, idealByEffectiveBalance: ideal };
}

function rewardSum(o: JsonObject, path: string, withInactivity: boolean): number {
  let sum = signedField(o, "head", path) + signedField(o, "target", path) + signedField(o, "source", path);
  if (Object.hasOwn(o, "inclusion_delay")) sum += signedField(o, "inclusion_delay", path);
  if (withInactivity && Object.hasOwn(o, "inactivity")) sum += signedField(o, "inactivity", path);
  return sum;
}

function signedField(o: JsonObject, key: string, path: string): number {
  const raw = field(o, key, path);
  const value = typeof raw === "number" ? String(raw) : asString(raw, `${path}.${key}`);
  if (!/^-?(0|[1-9][0-9]*)$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new JsonFieldError(`${path}.${key}`, `expected a decimal integer, got "${value.slice(0, 24)}"`);
  }
  return Number(value);
}

function uintValue(value: unknown, path: string): number {
  if (typeof value === "string" && /^(0|[1-9][0-9]{0,15})$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new JsonFieldError(path, "expected a decimal integer string");
}

function bytesField(o: JsonObject, key: string, path: string): Uint8Array {
  const value = stringField(o, key, path);
  if (!/^0x([0-9a-fA-F]{2})*$/.test(value)) throw new JsonFieldError(`${path}.${key}`, "expected 0x-prefixed hex bytes");
  return Buffer.from(value.slice(2), "hex");
}
