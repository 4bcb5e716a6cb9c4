/**
 * The SSZ BeaconState of a slot, as a list of byte segments to stream, never one buffer: at 2.2M
 * validators the state is about 310 MB, 266 MB of which (the validator records) never change and are
 * built once by the registry. Per request the fixed part (2.7 MB of roots, randao mixes, sync
 * committees…) and the participation lists are built; balances and inactivity scores are built once
 * per epoch.
 *
 * Assembly follows SSZ's container rule: fields in declaration order, each fixed-size field inline
 * in the fixed part, each variable-size one as a 4-byte little-endian offset there and its bytes
 * after the fixed part, in order. Small fields are serialized with their own @lodestar/types field
 * type. The large lists and vectors are written directly, in the layout their types define
 * (elements of a fixed size concatenated, uint64 little-endian, no length prefix): faster than
 * building millions of JS values for the types to serialize, and the round-trip test against
 * ssz.electra.BeaconState.deserialize/serialize shows the bytes are the same.
 */
import { BitArray, type Type } from "@chainsafe/ssz";
import { EPOCHS_PER_HISTORICAL_VECTOR, EPOCHS_PER_SLASHINGS_VECTOR, MAX_SEED_LOOKAHEAD, SLOTS_PER_HISTORICAL_ROOT } from "@lodestar/params";
import { ssz, type fulu } from "@lodestar/types";
import { FORKS, MAINNET_GENESIS_VALIDATORS_ROOT, SLOTS_PER_EPOCH, type SimulatedFork } from "./chainConfig.js";
import { epochOf, startSlotOf } from "./chainLayout.js";
import type { ChainModel } from "./chainModel.js";
import { eth1Data, executionPayloadHeader, fakeSignature, randaoMix } from "./blocks.js";
import { Lru } from "./lru.js";
import { simulatedPubkey } from "./pubkeys.js";
import { bytesFrom } from "./random.js";

export interface SerializedState {
  readonly slot: number;
  readonly fork: SimulatedFork;
  /** Total bytes (the Content-Length). */
  readonly length: number;
  /** The state's bytes, in order. Large segments are shared between answers: never modify them. */
  readonly segments: readonly Uint8Array[];
}

/** Fields written directly rather than through their type (see the module comment). */
type RawField =
  | "blockRoots"
  | "stateRoots"
  | "randaoMixes"
  | "validators"
  | "balances"
  | "previousEpochParticipation"
  | "currentEpochParticipation"
  | "inactivityScores";

type SmallFields = Omit<fulu.BeaconState, RawField>;

const TAG_HISTORICAL = 31;
const TAG_SYNC_AGGREGATE = 32;
const TAG_PENDING_DEPOSIT = 33;
/** historical_roots stopped growing at Capella (historical_summaries took over). */
const FROZEN_HISTORICAL_ROOTS = Math.floor((FORKS.capella.epoch * SLOTS_PER_EPOCH) / SLOTS_PER_HISTORICAL_ROOT);

export function stateType(fork: SimulatedFork): typeof ssz.electra.BeaconState | typeof ssz.fulu.BeaconState {
  return fork === "fulu" ? ssz.fulu.BeaconState : ssz.electra.BeaconState;
}

/** JSON of serialized state bytes, through lodestar's type for the fork (small states only). */
export function stateJson(fork: SimulatedFork, bytes: Uint8Array): unknown {
  if (fork === "fulu") return ssz.fulu.BeaconState.toJson(ssz.fulu.BeaconState.deserialize(bytes));
  return ssz.electra.BeaconState.toJson(ssz.electra.BeaconState.deserialize(bytes));
}

export class StateAssembler {
  private readonly balanceBytes = new Lru<number, Buffer>(2);
  private readonly scoreBytes = new Lru<number, Buffer>(2);
  private readonly randaoBytes = new Lru<number, Buffer>(2);
  private zeroScores: Buffer | null = null;

  constructor(private readonly model: ChainModel) {
    model.onChange((fromSlot) => {
      const epoch = epochOf(fromSlot);
      this.balanceBytes.deleteWhere((e) => e > epoch);
      this.scoreBytes.deleteWhere((e) => e > epoch);
    });
  }

  assemble(slot: number): SerializedState {
    const { model } = this;
    const type = stateType(model.fork);
    const epoch = epochOf(slot);
    const participation = model.participationAt(slot);
    const raw: Record<RawField, Uint8Array> = {
      blockRoots: this.rootVector(slot, (s) => model.layout.blockRootAt(s)),
      stateRoots: this.rootVector(slot, (s) => model.layout.stateRootAt(s)),
      randaoMixes: this.randaoBytes.get(epoch, () => this.randaoMixes(epoch)),
      // List elements of a fixed size are just concatenated: the registry's region is the whole list.
      validators: model.registry.validatorsRegion(),
      balances: this.balanceBytes.get(epoch, () => uint64Bytes(model.balances(epoch))),
      previousEpochParticipation: participation.previous,
      currentEpochParticipation: participation.current,
      inactivityScores: this.scoreBytes.get(epoch, () => this.scoreList(epoch)),
    };
    const small = this.smallFields(slot);
    const fields = type.fieldsEntries;
    const fixedLength = fields.reduce((sum, { fieldType }) => sum + (fieldType.fixedSize ?? 4), 0);
    const fixed = Buffer.alloc(fixedLength);
    const variable: Uint8Array[] = [];
    let fixedAt = 0;
    let variableAt = fixedLength;
    for (const { fieldName, fieldType } of fields) {
      const bytes = fieldName in raw ? raw[fieldName as RawField] : serializeField(fieldType as Type<unknown>, small[fieldName as keyof SmallFields]);
      if (fieldType.fixedSize === null) {
        fixed.writeUInt32LE(variableAt, fixedAt);
        fixedAt += 4;
        variable.push(bytes);
        variableAt += bytes.length;
      } else {
        if (bytes.length !== fieldType.fixedSize) throw new Error(`state field ${fieldName}: ${bytes.length} bytes instead of ${fieldType.fixedSize}`);
        fixed.set(bytes, fixedAt);
        fixedAt += bytes.length;
      }
    }
    return { slot, fork: model.fork, length: variableAt, segments: [fixed, ...variable] };
  }

  /** Everything but the large fields, as the fulu state type's value (electra ignores proposerLookahead). */
  private smallFields(slot: number): SmallFields {
    const { model } = this;
    const { layout, finality } = model;
    const epoch = epochOf(slot);
    const latestSlot = layout.latestBlockSlot(slot);
    const latest = layout.header(latestSlot);
    if (latest === null) throw new Error(`no block at or before slot ${slot} in the simulated history`);
    const checkpoint = (e: number): { epoch: number; root: Uint8Array } => ({ epoch: e, root: layout.blockRootAt(startSlotOf(e)) });
    const fork =
      model.fork === "fulu"
        ? { previousVersion: hexBytes(FORKS.electra.version), currentVersion: hexBytes(FORKS.fulu.version), epoch: FORKS.fulu.epoch }
        : { previousVersion: hexBytes(FORKS.deneb.version), currentVersion: hexBytes(FORKS.electra.version), epoch: FORKS.electra.epoch };
    const bits = finality.justificationBits(epoch);
    const period = model.syncPeriodOf(epoch);
    const summaries = Math.max(0, Math.floor(slot / SLOTS_PER_HISTORICAL_ROOT) - FROZEN_HISTORICAL_ROOTS);
    const activationExitEpoch = epoch + 1 + MAX_SEED_LOOKAHEAD;
    return {
      genesisTime: model.genesisTime,
      genesisValidatorsRoot: hexBytes(MAINNET_GENESIS_VALIDATORS_ROOT),
      slot,
      fork,
      // After a block the header's state_root is zero until the next slot fills it in (process_slot).
      latestBlockHeader: {
        slot: latest.slot,
        proposerIndex: latest.proposerIndex,
        parentRoot: latest.parentRoot,
        stateRoot: latestSlot === slot ? new Uint8Array(32) : latest.stateRoot,
        bodyRoot: latest.bodyRoot,
      },
      historicalRoots: Array.from({ length: FROZEN_HISTORICAL_ROOTS }, (_, i) => bytesFrom(32, model.seed, TAG_HISTORICAL, i)),
      eth1Data: eth1Data(model),
      eth1DataVotes: [],
      eth1DepositIndex: model.validatorCount,
      slashings: this.slashings(),
      justificationBits: BitArray.fromBoolArray([0, 1, 2, 3].map((i) => ((bits >> i) & 1) === 1)),
      previousJustifiedCheckpoint: checkpoint(finality.justifiedEpoch(epoch - 1)),
      currentJustifiedCheckpoint: checkpoint(finality.justifiedEpoch(epoch)),
      finalizedCheckpoint: checkpoint(finality.finalizedEpoch(epoch)),
      currentSyncCommittee: this.syncCommittee(period),
      nextSyncCommittee: this.syncCommittee(period + 1),
      latestExecutionPayloadHeader: executionPayloadHeader(model, latest),
      nextWithdrawalIndex: slot * 16,
      nextWithdrawalValidatorIndex: (slot * 16) % model.validatorCount,
      historicalSummaries: Array.from({ length: summaries }, (_, i) => ({
        blockSummaryRoot: bytesFrom(32, model.seed, TAG_HISTORICAL, FROZEN_HISTORICAL_ROOTS + i, 1),
        stateSummaryRoot: bytesFrom(32, model.seed, TAG_HISTORICAL, FROZEN_HISTORICAL_ROOTS + i, 2),
      })),
      depositRequestsStartIndex: BigInt(model.validatorCount),
      depositBalanceToConsume: 0n,
      exitBalanceToConsume: 0n,
      earliestExitEpoch: activationExitEpoch,
      consolidationBalanceToConsume: 0n,
      earliestConsolidationEpoch: activationExitEpoch,
      pendingDeposits: pendingDeposits(model),
      pendingPartialWithdrawals: [],
      pendingConsolidations: [],
      proposerLookahead: Array.from({ length: 2 * SLOTS_PER_EPOCH }, (_, i) => model.proposer(startSlotOf(epoch) + i)),
    };
  }

  /** block_roots / state_roots: entry slot % SLOTS_PER_HISTORICAL_ROOT for each of the previous SLOTS_PER_HISTORICAL_ROOT slots. */
  private rootVector(slot: number, rootAt: (slot: number) => Uint8Array): Buffer {
    const out = Buffer.alloc(SLOTS_PER_HISTORICAL_ROOT * 32);
    for (let s = Math.max(0, slot - SLOTS_PER_HISTORICAL_ROOT); s < slot; s++) out.set(rootAt(s), (s % SLOTS_PER_HISTORICAL_ROOT) * 32);
    return out;
  }

  /** randao_mixes: entry e % EPOCHS_PER_HISTORICAL_VECTOR holds epoch e's mix, up to the current epoch. */
  private randaoMixes(epoch: number): Buffer {
    const out = Buffer.alloc(EPOCHS_PER_HISTORICAL_VECTOR * 32);
    for (let e = Math.max(0, epoch - EPOCHS_PER_HISTORICAL_VECTOR + 1); e <= epoch; e++) out.set(randaoMix(this.model.seed, e), (e % EPOCHS_PER_HISTORICAL_VECTOR) * 32);
    return out;
  }

  /** The slashed validators' effective balances, recorded at their exit epoch (slash_validator records at the slashing epoch). */
  private slashings(): number[] {
    const { registry } = this.model;
    const out = new Array<number>(EPOCHS_PER_SLASHINGS_VECTOR).fill(0);
    for (const index of registry.slashedIndices) {
      const record = registry.record(index);
      const at = record.exitEpoch % EPOCHS_PER_SLASHINGS_VECTOR;
      out[at] = (out[at] ?? 0) + record.effectiveBalance;
    }
    return out;
  }

  private syncCommittee(period: number): { pubkeys: Uint8Array[]; aggregatePubkey: Uint8Array } {
    const aggregatePubkey = bytesFrom(48, this.model.seed, TAG_SYNC_AGGREGATE, period);
    aggregatePubkey[0] = 0x80 | ((aggregatePubkey[0] ?? 0) & 0x3f);
    return { pubkeys: [...this.model.syncCommittee(period)].map((index) => simulatedPubkey(index)), aggregatePubkey };
  }

  private scoreList(epoch: number): Buffer {
    const scores = this.model.inactivityScores(epoch);
    if (scores !== null) return uint64Bytes(scores);
    this.zeroScores ??= Buffer.alloc(this.model.validatorCount * 8);
    return this.zeroScores;
  }
}

/** The pending deposits the model was given: whole-ETH deposits for pubkeys past the registry's end. */
export function pendingDeposits(model: ChainModel): fulu.BeaconState["pendingDeposits"] {
  return Array.from({ length: model.pendingDepositCount }, (_, k) => {
    const index = model.validatorCount + k;
    const credentials = new Uint8Array(32);
    credentials[0] = 1;
    credentials.set(bytesFrom(20, model.seed, TAG_PENDING_DEPOSIT, index), 12);
    return {
      pubkey: simulatedPubkey(index),
      withdrawalCredentials: credentials,
      amount: 32_000_000_000,
      signature: fakeSignature(model.seed, 5, index),
      slot: Math.max(0, model.anchorSlot - 1 - k),
    };
  });
}

/** A uint64 list's elements: little-endian, 8 bytes each (values are whole Gwei below 2^53). */
function uint64Bytes(values: Float64Array): Buffer {
  const out = Buffer.allocUnsafe(values.length * 8);
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? 0;
    out.writeUInt32LE(value % 0x1_0000_0000, i * 8);
    out.writeUInt32LE(Math.floor(value / 0x1_0000_0000), i * 8 + 4);
  }
  return out;
}

function serializeField(type: Type<unknown>, value: unknown): Uint8Array {
  if (value === undefined) throw new Error(`no value for state field of type ${type.typeName}`);
  return type.serialize(value);
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}
