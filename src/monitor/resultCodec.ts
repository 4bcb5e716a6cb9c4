/**
 * Packs one operator's per-validator results of one epoch into a single compressed blob: one row
 * per (epoch, operator) instead of one per (epoch, validator), which at 500,000 validators and 225
 * epochs a day would be 112M rows a day. Column-wise (all indices, then all flags, …) so that
 * deflate finds the repetition; ~31 bytes per validator before compression.
 *
 * Format v1: "SOP" 0x01 | count u32 | index u32[] | status u8[] | flags u8[] | delay u8[] |
 * proposal duties u8[] | proposed u8[] | sync duties u16[] | sync signed u16[] | earned i32[] |
 * ideal i32[] | balance f64[] | effective balance (whole ETH) u16[], little-endian, deflate-raw.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { StakeopsError } from "../errors.js";
import { VALIDATOR_STATUSES } from "../beacon/beaconApi.js";
import type { ValidatorEpochResult } from "./performance.js";

export class ResultCodecError extends StakeopsError<"RESULTS_CORRUPT"> {}

const MAGIC = [0x53, 0x4f, 0x50, 0x01];
const PER_VALIDATOR = 4 + 1 + 1 + 1 + 1 + 1 + 2 + 2 + 4 + 4 + 8 + 2;
const GWEI_PER_ETH = 1e9;

export function encodeResults(results: readonly ValidatorEpochResult[]): Buffer {
  const n = results.length;
  const raw = Buffer.alloc(8 + n * PER_VALIDATOR);
  MAGIC.forEach((b, i) => (raw[i] = b));
  raw.writeUInt32LE(n, 4);
  let at = 8;
  const column = (size: number, write: (r: ValidatorEpochResult, offset: number) => void): void => {
    for (const r of results) {
      write(r, at);
      at += size;
    }
  };
  column(4, (r, o) => raw.writeUInt32LE(r.index, o));
  column(1, (r, o) => raw.writeUInt8(VALIDATOR_STATUSES.indexOf(r.status), o));
  column(1, (r, o) => raw.writeUInt8(r.flags, o));
  column(1, (r, o) => raw.writeUInt8(clamp(r.inclusionDelay, 0, 255), o));
  column(1, (r, o) => raw.writeUInt8(clamp(r.proposalDuties, 0, 255), o));
  column(1, (r, o) => raw.writeUInt8(clamp(r.proposed, 0, 255), o));
  column(2, (r, o) => raw.writeUInt16LE(clamp(r.syncDuties, 0, 65535), o));
  column(2, (r, o) => raw.writeUInt16LE(clamp(r.syncParticipated, 0, 65535), o));
  column(4, (r, o) => raw.writeInt32LE(clamp(r.earnedGwei, -0x8000_0000, 0x7fff_ffff), o));
  column(4, (r, o) => raw.writeInt32LE(clamp(r.idealGwei, -0x8000_0000, 0x7fff_ffff), o));
  column(8, (r, o) => raw.writeDoubleLE(r.balanceGwei, o));
  column(2, (r, o) => raw.writeUInt16LE(clamp(Math.round(r.effectiveBalanceGwei / GWEI_PER_ETH), 0, 65535), o));
  return deflateRawSync(raw, { level: 1 });
}

export function decodeResults(blob: Uint8Array): ValidatorEpochResult[] {
  let raw: Buffer;
  try {
    raw = inflateRawSync(blob);
  } catch (cause) {
    throw new ResultCodecError("RESULTS_CORRUPT", "stored validator results do not decompress", {}, { cause });
  }
  if (raw.length < 8 || MAGIC.some((b, i) => raw[i] !== b)) throw new ResultCodecError("RESULTS_CORRUPT", "stored validator results have an unknown format", {});
  const n = raw.readUInt32LE(4);
  if (raw.length !== 8 + n * PER_VALIDATOR) throw new ResultCodecError("RESULTS_CORRUPT", "stored validator results have the wrong length", {});
  let at = 8;
  const column = <T>(size: number, read: (offset: number) => T): T[] => {
    const out: T[] = new Array<T>(n);
    for (let i = 0; i < n; i++, at += size) out[i] = read(at);
    return out;
  };
  const index = column(4, (o) => raw.readUInt32LE(o));
  const status = column(1, (o) => VALIDATOR_STATUSES[raw.readUInt8(o)] ?? "pending_initialized");
  const flags = column(1, (o) => raw.readUInt8(o));
  const delay = column(1, (o) => raw.readUInt8(o));
  const proposalDuties = column(1, (o) => raw.readUInt8(o));
  const proposed = column(1, (o) => raw.readUInt8(o));
  const syncDuties = column(2, (o) => raw.readUInt16LE(o));
  const syncParticipated = column(2, (o) => raw.readUInt16LE(o));
  const earned = column(4, (o) => raw.readInt32LE(o));
  const ideal = column(4, (o) => raw.readInt32LE(o));
  const balance = column(8, (o) => raw.readDoubleLE(o));
  const effective = column(2, (o) => raw.readUInt16LE(o) * GWEI_PER_ETH);
  return index.map((validatorIndex, i) => ({
    index: validatorIndex,
    status: status[i] as ValidatorEpochResult["status"],
    flags: flags[i] as number,
    inclusionDelay: delay[i] as number,
    proposalDuties: proposalDuties[i] as number,
    proposed: proposed[i] as number,
    syncDuties: syncDuties[i] as number,
    syncParticipated: syncParticipated[i] as number,
    earnedGwei: earned[i] as number,
    idealGwei: ideal[i] as number,
    balanceGwei: balance[i] as number,
    effectiveBalanceGwei: effective[i] as number,
  }));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(value)));
}
