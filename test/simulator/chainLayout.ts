/**
 * The shape of the simulated chain: which slots have a block, the blocks' headers and roots, the
 * state root of every slot, and which epochs are justified and finalized.
 *
 * A slot has a block unless a seeded draw misses it (missedSlotRate) or its proposer is offline;
 * `reorg` overrides one slot (another block, no block, or a block where there was none). Roots are
 * chained from the first slot of the simulated history (the anchor): each block root is the hash
 * tree root of its header, whose parent_root is the previous block's root, so a reorg changes every
 * later root. Before the anchor, roots are seeded stand-ins (the simulator has no older history,
 * like a checkpoint-synced node). The header's state_root and body_root are seeded stand-ins, not
 * the hash tree roots of the state and body the simulator serves: hashing a 2-million-validator
 * state for every slot would take far longer than serving it.
 */
import { ssz } from "@lodestar/types";
import { SLOTS_PER_EPOCH } from "./chainConfig.js";
import { Salt, bytesFrom, firstWord, uniform } from "./random.js";

export interface BlockHeader {
  readonly slot: number;
  readonly proposerIndex: number;
  readonly parentRoot: Uint8Array;
  readonly stateRoot: Uint8Array;
  readonly bodyRoot: Uint8Array;
  readonly root: Uint8Array;
  readonly rootHex: string;
  /** 0 for the original block of the slot, bumped by every reorg that replaces it. */
  readonly variant: number;
}

/** How a reorg changes a slot: another block, no block, or a block where there was none. */
export type ReorgChange = "replace" | "remove" | "add";

export interface ChainLayoutOptions {
  readonly seed: number;
  readonly anchorSlot: number;
  readonly missedSlotRate: number;
}

export interface ChainLayoutDependencies {
  readonly proposerOf: (slot: number) => number;
  /** True when the slot's proposer is offline in that slot's epoch: the block is missing. */
  readonly proposerOffline: (slot: number) => boolean;
}

export const epochOf = (slot: number): number => Math.floor(slot / SLOTS_PER_EPOCH);
export const startSlotOf = (epoch: number): number => epoch * SLOTS_PER_EPOCH;
export const toHex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString("hex")}`;

const TAG_PRE_ANCHOR_ROOT = 1;
const TAG_GENESIS = 4;
const TAG_EMPTY_SLOT_STATE_ROOT = 5;
const TAG_STATE_ROOT = 2;
const TAG_BODY_ROOT = 3;

export class ChainLayout {
  private readonly overrides = new Map<number, { exists: boolean; variant: number }>();
  /** From the anchor on: the block of each slot (null if none), computed in order, on demand. */
  private readonly headers: (BlockHeader | null)[] = [];
  private readonly latestBlockSlots: number[] = [];
  private readonly stateRoots: Uint8Array[] = [];
  private readonly slotByBlockRoot = new Map<string, number>();
  private readonly slotByStateRoot = new Map<string, number>();
  /** Headers of blocks a reorg took off the canonical chain, by root. */
  private readonly orphans = new Map<string, BlockHeader>();

  constructor(
    private readonly options: ChainLayoutOptions,
    private readonly dependencies: ChainLayoutDependencies,
  ) {}

  get anchorSlot(): number {
    return this.options.anchorSlot;
  }

  /** The genesis block's header: the simulator has no history there, but clients may ask for it by name. */
  genesisHeader(): BlockHeader {
    const message = {
      slot: 0,
      proposerIndex: 0,
      parentRoot: new Uint8Array(32),
      stateRoot: bytesFrom(32, this.options.seed, TAG_GENESIS, 1),
      bodyRoot: bytesFrom(32, this.options.seed, TAG_GENESIS, 2),
    };
    const root = ssz.phase0.BeaconBlockHeader.hashTreeRoot(message);
    return { ...message, root, rootHex: toHex(root), variant: 0 };
  }

  hasBlock(slot: number): boolean {
    const override = this.overrides.get(slot);
    if (override !== undefined) return override.exists;
    // The history starts with a block, so every state has a latest block header to show.
    if (slot === this.options.anchorSlot) return true;
    if (uniform(this.options.seed, Salt.missedSlot, slot) < this.options.missedSlotRate) return false;
    return slot < this.options.anchorSlot || !this.dependencies.proposerOffline(slot);
  }

  /** The block at exactly `slot`, null for an empty slot. Slots before the anchor have no header. */
  header(slot: number): BlockHeader | null {
    if (slot < this.options.anchorSlot) return null;
    this.computeUpTo(slot);
    return this.headers[slot - this.options.anchorSlot] ?? null;
  }

  /** Slot of the latest block at or before `slot`. */
  latestBlockSlot(slot: number): number {
    if (slot < this.options.anchorSlot) {
      let s = slot;
      while (s > 0 && !this.hasBlock(s)) s--;
      return s;
    }
    this.computeUpTo(slot);
    return this.latestBlockSlots[slot - this.options.anchorSlot] ?? slot;
  }

  /** The spec's get_block_root_at_slot: the root of the latest block at or before `slot`. */
  blockRootAt(slot: number): Uint8Array {
    const blockSlot = this.latestBlockSlot(slot);
    if (blockSlot < this.options.anchorSlot) return bytesFrom(32, this.options.seed, TAG_PRE_ANCHOR_ROOT, blockSlot);
    const header = this.header(blockSlot);
    if (header === null) throw new Error(`no block at slot ${blockSlot}`);
    return header.root;
  }

  /** Root of the state at `slot` (after that slot's block, if any). */
  stateRootAt(slot: number): Uint8Array {
    if (slot < this.options.anchorSlot) return bytesFrom(32, this.options.seed, TAG_STATE_ROOT, slot);
    this.computeUpTo(slot);
    const root = this.stateRoots[slot - this.options.anchorSlot];
    if (root === undefined) throw new Error(`no state root for slot ${slot}`);
    return root;
  }

  /** Canonical slot of a block root among computed slots; null if unknown. */
  slotOfBlockRoot(rootHex: string): number | null {
    return this.slotByBlockRoot.get(rootHex.toLowerCase()) ?? null;
  }

  slotOfStateRoot(rootHex: string): number | null {
    return this.slotByStateRoot.get(rootHex.toLowerCase()) ?? null;
  }

  orphan(rootHex: string): BlockHeader | null {
    return this.orphans.get(rootHex.toLowerCase()) ?? null;
  }

  /**
   * Changes one slot and drops everything computed from it on. Returns the change made: with no
   * `change` given, a slot with a block gets another block and an empty slot gets one.
   */
  reorg(slot: number, change?: ReorgChange): ReorgChange {
    if (slot < this.options.anchorSlot) throw new RangeError(`slot ${slot} is before the simulated history (${this.options.anchorSlot})`);
    const had = this.hasBlock(slot);
    const made: ReorgChange = change ?? (had ? "replace" : "add");
    if (made === "replace" && !had) throw new RangeError(`slot ${slot} has no block to replace`);
    if (made === "remove" && !had) throw new RangeError(`slot ${slot} has no block to remove`);
    if (made === "add" && had) throw new RangeError(`slot ${slot} already has a block`);
    // Keep the headers of the blocks that leave the canonical chain (this one and its descendants),
    // so that a client holding their roots is told they are not canonical any more.
    for (let s = slot; s < this.options.anchorSlot + this.headers.length; s++) {
      const header = this.headers[s - this.options.anchorSlot];
      if (header !== null && header !== undefined) this.orphans.set(header.rootHex, header);
    }
    const previous = this.overrides.get(slot);
    const variant = (previous?.variant ?? 0) + 1;
    this.overrides.set(slot, { exists: made !== "remove", variant });
    this.truncate(slot);
    return made;
  }

  /** Forgets computed slots from `slot` on (after a reorg, or an attendance change that may empty slots). */
  truncate(slot: number): void {
    const keep = Math.max(0, slot - this.options.anchorSlot);
    if (keep >= this.headers.length) return;
    for (let i = keep; i < this.headers.length; i++) {
      const header = this.headers[i];
      if (header !== null && header !== undefined) this.slotByBlockRoot.delete(header.rootHex);
      const stateRoot = this.stateRoots[i];
      if (stateRoot !== undefined) this.slotByStateRoot.delete(toHex(stateRoot));
    }
    this.headers.length = keep;
    this.latestBlockSlots.length = keep;
    this.stateRoots.length = keep;
  }

  private computeUpTo(slot: number): void {
    const { anchorSlot, seed } = this.options;
    for (let s = anchorSlot + this.headers.length; s <= slot; s++) {
      const i = s - anchorSlot;
      const parentRoot = this.blockRootAt(s - 1);
      if (this.hasBlock(s)) {
        const variant = this.overrides.get(s)?.variant ?? 0;
        const parentWord = firstWord(parentRoot);
        const message = {
          slot: s,
          proposerIndex: this.dependencies.proposerOf(s),
          parentRoot,
          stateRoot: bytesFrom(32, seed, TAG_STATE_ROOT, s, parentWord + variant),
          bodyRoot: bytesFrom(32, seed, TAG_BODY_ROOT, s, parentWord + variant),
        };
        const root = ssz.phase0.BeaconBlockHeader.hashTreeRoot(message);
        const header: BlockHeader = { ...message, root, rootHex: toHex(root), variant };
        this.headers[i] = header;
        this.latestBlockSlots[i] = s;
        this.stateRoots[i] = message.stateRoot;
        this.slotByBlockRoot.set(header.rootHex, s);
        this.orphans.delete(header.rootHex);
      } else {
        this.headers[i] = null;
        this.latestBlockSlots[i] = i === 0 ? this.latestBlockSlot(s - 1) : (this.latestBlockSlots[i - 1] ?? s - 1);
        // An empty slot's state differs from the previous one only by its slot (and caches).
        this.stateRoots[i] = bytesFrom(32, seed, TAG_EMPTY_SLOT_STATE_ROOT, s, firstWord(parentRoot));
      }
      this.slotByStateRoot.set(toHex(this.stateRoots[i] ?? new Uint8Array(32)), s);
    }
  }
}

/**
 * Justification and finality. Normally the chain finalizes every epoch: in epoch X the current
 * justified checkpoint is X-1 and the finalized one X-2. `stall` freezes both at the values of the
 * epoch it is called in, from the next epoch transition on, until `resume`; the finality delay then
 * grows and, past MIN_EPOCHS_TO_INACTIVITY_PENALTY, the inactivity leak starts.
 */
export class FinalityHistory {
  private readonly stalls: { from: number; to: number | null }[] = [];

  get stalled(): boolean {
    const last = this.stalls[this.stalls.length - 1];
    return last !== undefined && last.to === null;
  }

  /** Finality stops from the transition after `epoch` on. */
  stall(epoch: number): void {
    if (this.stalled) return;
    this.stalls.push({ from: epoch, to: null });
  }

  /** Finality comes back from the transition after `epoch` on. */
  resume(epoch: number): void {
    const last = this.stalls[this.stalls.length - 1];
    if (last === undefined || last.to !== null) return;
    last.to = Math.max(last.from, epoch);
  }

  private stallOf(epoch: number): number | null {
    for (const stall of this.stalls) if (epoch > stall.from && (stall.to === null || epoch <= stall.to)) return stall.from;
    return null;
  }

  justifiedEpoch(epoch: number): number {
    const from = this.stallOf(epoch);
    return Math.max(0, (from ?? epoch) - 1);
  }

  finalizedEpoch(epoch: number): number {
    const from = this.stallOf(epoch);
    return Math.max(0, (from ?? epoch) - 2);
  }

  /** justification_bits of a state in `epoch`: all four recent epochs justified, none while stalled. */
  justificationBits(epoch: number): number {
    return this.stallOf(epoch) === null ? 0b1111 : 0;
  }
}
