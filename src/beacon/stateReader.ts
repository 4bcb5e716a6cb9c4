/**
 * Reads a BeaconState from its SSZ bytes as they arrive, keeping only what the monitor needs:
 * per validator its status epochs, effective and actual balance, slashed flag, credential type,
 * participation flags and inactivity score; plus the slot, the chain's genesis root and the
 * checkpoints. A mainnet state is ~300 MB, mostly the validator registry (121 bytes × 2.2M); here
 * each validator record is decoded into a few typed arrays and dropped, so memory stays at about
 * 60 bytes per validator and nothing builds a tree.
 *
 * How: the fixed part (a few MB) is buffered whole; its 4-byte offsets give every list's byte
 * range, so the arrays are allocated at their exact size before the lists arrive, and every later
 * chunk is routed by absolute position to the decoder of the field it belongs to. Elements split
 * across two chunks go through a small carry buffer.
 */
import { StakeopsError } from "../errors.js";
import type { ForkName } from "./chainSpec.js";
import { PENDING_PARTIAL_WITHDRAWAL_SIZE, VALIDATOR_SIZE, type StateLayout } from "./stateLayout.js";

export class StateReadError extends StakeopsError<"STATE_MALFORMED" | "STATE_TRUNCATED" | "STATE_UNSUPPORTED_FORK"> {}

/** Epochs are uint64 on the wire; FAR_FUTURE_EPOCH (2^64-1) and anything ≥ 2^32-1 read as this. */
export const FAR_FUTURE = 0xffff_ffff;

/** Participation flag bits (altair): the spec's TIMELY_SOURCE/TARGET/HEAD flag indices. */
export const FLAG_SOURCE = 1;
export const FLAG_TARGET = 2;
export const FLAG_HEAD = 4;

export interface StateSnapshot {
  readonly fork: ForkName;
  readonly slot: number;
  readonly genesisValidatorsRoot: string;
  readonly currentJustifiedEpoch: number;
  readonly finalizedEpoch: number;
  readonly validatorCount: number;
  readonly effectiveBalance: Float64Array;
  readonly balance: Float64Array;
  readonly slashed: Uint8Array;
  /** First byte of the withdrawal credentials: 0x00 BLS, 0x01 execution address, 0x02 compounding. */
  readonly credentialType: Uint8Array;
  readonly activationEligibilityEpoch: Uint32Array;
  readonly activationEpoch: Uint32Array;
  readonly exitEpoch: Uint32Array;
  readonly withdrawableEpoch: Uint32Array;
  readonly previousParticipation: Uint8Array;
  readonly currentParticipation: Uint8Array;
  readonly inactivityScores: Float64Array;
  /** Validators with a pending partial withdrawal (electra); empty before electra. */
  readonly pendingPartialWithdrawals: ReadonlySet<number>;
  /** Indices found for the pubkeys the caller asked about (lower-case 0x-hex). */
  readonly foundPubkeys: ReadonlyMap<string, number>;
}

export interface StateReaderOptions {
  readonly layout: StateLayout;
  /** Pubkeys (0x-hex, lower case) whose index the caller wants; only validators at index ≥ pubkeysFrom are looked at. */
  readonly wantedPubkeys?: ReadonlySet<string>;
  /** The registry is append-only: indices below this were resolved before and are skipped. */
  readonly pubkeysFrom?: number;
  /** Content-Length when the server sent one: checked against the offsets. */
  readonly expectedLength?: number;
}

type Sink = (bytes: Buffer, view: DataView, offset: number, index: number) => void;

/** Decodes fixed-size elements of one list, whatever the chunk boundaries. */
class ElementDecoder {
  private readonly carry: Buffer;
  private carried = 0;
  private index = 0;

  constructor(
    readonly start: number,
    readonly end: number,
    private readonly size: number,
    private readonly sink: Sink,
  ) {
    this.carry = Buffer.alloc(size);
  }

  get complete(): boolean {
    return this.index * this.size === this.end - this.start;
  }

  /** `bytes[from, to)` are this field's bytes, in order. */
  feed(bytes: Buffer, view: DataView, from: number, to: number): void {
    let at = from;
    if (this.carried > 0) {
      const take = Math.min(this.size - this.carried, to - at);
      bytes.copy(this.carry, this.carried, at, at + take);
      this.carried += take;
      at += take;
      if (this.carried < this.size) return;
      this.sink(this.carry, new DataView(this.carry.buffer, this.carry.byteOffset, this.size), 0, this.index++);
      this.carried = 0;
    }
    const size = this.size;
    const sink = this.sink;
    while (at + size <= to) {
      sink(bytes, view, at, this.index++);
      at += size;
    }
    if (at < to) {
      bytes.copy(this.carry, 0, at, to);
      this.carried = to - at;
    }
  }
}

export class StateReader {
  private readonly layout: StateLayout;
  private readonly wanted: ReadonlySet<string>;
  private readonly pubkeysFrom: number;
  private readonly expectedLength: number | undefined;
  private readonly fixed: Buffer;
  private received = 0;
  private decoders: ElementDecoder[] = [];
  private snapshot: Mutable<StateSnapshot> | null = null;
  private readonly found = new Map<string, number>();
  private readonly partial = new Set<number>();

  constructor(options: StateReaderOptions) {
    this.layout = options.layout;
    this.wanted = options.wantedPubkeys ?? new Set();
    this.pubkeysFrom = options.pubkeysFrom ?? 0;
    this.expectedLength = options.expectedLength;
    if (this.layout.fork === "phase0") {
      throw new StateReadError("STATE_UNSUPPORTED_FORK", "phase0 states have no participation flags; the monitor needs altair or later", { fork: "phase0" });
    }
    this.fixed = Buffer.alloc(this.layout.fixedPartSize);
  }

  push(chunk: Uint8Array): void {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.received < this.fixed.length) {
      const take = Math.min(this.fixed.length - this.received, bytes.length);
      bytes.copy(this.fixed, this.received, 0, take);
      this.received += take;
      bytes = bytes.subarray(take);
      if (this.received === this.fixed.length) this.startLists();
      if (bytes.length === 0) return;
    }
    const chunkStart = this.received;
    const chunkEnd = chunkStart + bytes.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const decoder of this.decoders) {
      const from = Math.max(decoder.start, chunkStart);
      const to = Math.min(decoder.end, chunkEnd);
      if (from < to) decoder.feed(bytes, view, from - chunkStart, to - chunkStart);
    }
    this.received = chunkEnd;
  }

  /** After the last chunk: the snapshot, or an error saying what is missing. */
  finish(): StateSnapshot {
    if (this.snapshot === null) {
      throw new StateReadError("STATE_TRUNCATED", `the state ended after ${this.received} bytes, inside its ${this.fixed.length}-byte fixed part`, {
        received: this.received,
      });
    }
    if (this.expectedLength !== undefined && this.received !== this.expectedLength) {
      throw new StateReadError("STATE_TRUNCATED", `the state ended after ${this.received} of ${this.expectedLength} bytes`, {
        received: this.received,
        expected: this.expectedLength,
      });
    }
    for (const decoder of this.decoders) {
      if (!decoder.complete) {
        throw new StateReadError("STATE_TRUNCATED", `the state ended after ${this.received} bytes, inside a list that runs to byte ${decoder.end}`, {
          received: this.received,
        });
      }
    }
    this.snapshot.foundPubkeys = this.found;
    this.snapshot.pendingPartialWithdrawals = this.partial;
    return this.snapshot;
  }

  private startLists(): void {
    const { layout } = this;
    const f = this.fixed;
    const u64 = (name: string, within = 0): number => readUint64(f, this.fixedOffset(name) + within);
    const ranges = this.listRanges();
    const range = (name: string): { start: number; end: number } => {
      const r = ranges.get(name);
      if (r === undefined) throw new Error(`state layout has no list ${name}`);
      return r;
    };
    const validators = range("validators");
    const count = elementCount(validators, VALIDATOR_SIZE, "validators");
    const expectCount = (name: string, size: number): void => {
      const r = range(name);
      const n = r.end === Infinity ? count : elementCount(r, size, name);
      if (n !== count) {
        throw new StateReadError("STATE_MALFORMED", `the state has ${count} validators but ${n} entries in ${name}`, { field: name, validators: count, entries: n });
      }
      if (r.end === Infinity) r.end = r.start + count * size;
    };
    expectCount("balances", 8);
    expectCount("previous_epoch_participation", 1);
    expectCount("current_epoch_participation", 1);
    expectCount("inactivity_scores", 8);

    const s: Mutable<StateSnapshot> = {
      fork: layout.fork,
      slot: u64("slot"),
      genesisValidatorsRoot: `0x${f.toString("hex", this.fixedOffset("genesis_validators_root"), this.fixedOffset("genesis_validators_root") + 32)}`,
      currentJustifiedEpoch: u64("current_justified_checkpoint"),
      finalizedEpoch: u64("finalized_checkpoint"),
      validatorCount: count,
      effectiveBalance: new Float64Array(count),
      balance: new Float64Array(count),
      slashed: new Uint8Array(count),
      credentialType: new Uint8Array(count),
      activationEligibilityEpoch: new Uint32Array(count),
      activationEpoch: new Uint32Array(count),
      exitEpoch: new Uint32Array(count),
      withdrawableEpoch: new Uint32Array(count),
      previousParticipation: new Uint8Array(count),
      currentParticipation: new Uint8Array(count),
      inactivityScores: new Float64Array(count),
      pendingPartialWithdrawals: this.partial,
      foundPubkeys: this.found,
    };
    this.snapshot = s;
    const wanted = this.wanted;
    const from = this.pubkeysFrom;
    const found = this.found;
    const lookup = wanted.size > 0;
    this.decoders.push(
      new ElementDecoder(validators.start, validators.end, VALIDATOR_SIZE, (b, v, o, i) => {
        // Validator: pubkey 48 | withdrawal_credentials 32 | effective_balance 8 | slashed 1 |
        // activation_eligibility_epoch 8 | activation_epoch 8 | exit_epoch 8 | withdrawable_epoch 8
        if (lookup && i >= from) {
          const pubkey = `0x${b.toString("hex", o, o + 48)}`;
          if (wanted.has(pubkey)) found.set(pubkey, i);
        }
        s.credentialType[i] = b[o + 48] as number;
        s.effectiveBalance[i] = v.getUint32(o + 80, true) + v.getUint32(o + 84, true) * 0x1_0000_0000;
        s.slashed[i] = b[o + 88] as number;
        s.activationEligibilityEpoch[i] = epochAt(v, o + 89);
        s.activationEpoch[i] = epochAt(v, o + 97);
        s.exitEpoch[i] = epochAt(v, o + 105);
        s.withdrawableEpoch[i] = epochAt(v, o + 113);
      }),
      fixedList(range("balances"), 8, (_b, v, o, i) => {
        s.balance[i] = v.getUint32(o, true) + v.getUint32(o + 4, true) * 0x1_0000_0000;
      }),
      fixedList(range("previous_epoch_participation"), 1, (b, _v, o, i) => {
        s.previousParticipation[i] = b[o] as number;
      }),
      fixedList(range("current_epoch_participation"), 1, (b, _v, o, i) => {
        s.currentParticipation[i] = b[o] as number;
      }),
      fixedList(range("inactivity_scores"), 8, (_b, v, o, i) => {
        s.inactivityScores[i] = v.getUint32(o, true) + v.getUint32(o + 4, true) * 0x1_0000_0000;
      }),
    );
    if (ranges.has("pending_partial_withdrawals")) {
      const r = range("pending_partial_withdrawals");
      elementCount(r, PENDING_PARTIAL_WITHDRAWAL_SIZE, "pending_partial_withdrawals");
      this.decoders.push(
        new ElementDecoder(r.start, r.end, PENDING_PARTIAL_WITHDRAWAL_SIZE, (_b, v, o) => {
          this.partial.add(v.getUint32(o, true) + v.getUint32(o + 4, true) * 0x1_0000_0000);
        }),
      );
    }
  }

  /** Byte ranges of the variable fields; the last one's end is unknown (Infinity) until the stream ends. */
  private listRanges(): Map<string, { start: number; end: number }> {
    const names = this.layout.variableFields;
    const offsets = names.map((name) => this.fixed.readUInt32LE(this.fixedOffset(name)));
    if (offsets[0] !== this.fixed.length) {
      throw new StateReadError(
        "STATE_MALFORMED",
        `the state's first list starts at byte ${offsets[0]}, not at ${this.fixed.length} where the ${this.layout.fork} fixed part ends: wrong fork or preset?`,
        { fork: this.layout.fork, offset: offsets[0], fixedPartSize: this.fixed.length },
      );
    }
    const ranges = new Map<string, { start: number; end: number }>();
    names.forEach((name, i) => {
      const start = offsets[i] as number;
      const end = i + 1 < offsets.length ? (offsets[i + 1] as number) : this.expectedLength ?? Infinity;
      if (end < start) throw new StateReadError("STATE_MALFORMED", `the state's offsets go backwards at ${name}`, { field: name });
      ranges.set(name, { start, end });
    });
    return ranges;
  }

  private fixedOffset(name: string): number {
    const offset = this.layout.fixedOffsets.get(name);
    if (offset === undefined) throw new Error(`state layout has no field ${name}`);
    return offset;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function fixedList(range: { start: number; end: number }, size: number, sink: Sink): ElementDecoder {
  return new ElementDecoder(range.start, range.end, size, sink);
}

function elementCount(range: { start: number; end: number }, size: number, name: string): number {
  const length = range.end - range.start;
  if (length === Infinity) return Infinity;
  if (length % size !== 0) {
    throw new StateReadError("STATE_MALFORMED", `the state's ${name} take ${length} bytes, not a multiple of ${size}`, { field: name, length });
  }
  return length / size;
}

function epochAt(view: DataView, offset: number): number {
  const high = view.getUint32(offset + 4, true);
  const low = view.getUint32(offset, true);
  return high !== 0 || low === FAR_FUTURE ? FAR_FUTURE : low;
}

function readUint64(bytes: Buffer, offset: number): number {
  return bytes.readUInt32LE(offset) + bytes.readUInt32LE(offset + 4) * 0x1_0000_0000;
}

/** Reads a whole state from an async stream of chunks (an HTTP body). */
export async function readStateStream(chunks: AsyncIterable<Uint8Array>, options: StateReaderOptions): Promise<StateSnapshot> {
  const reader = new StateReader(options);
  for await (const chunk of chunks) reader.push(chunk);
  return reader.finish();
}
