/**
 * One key's signing history and the EIP-3076 rules over it.
 *
 * It holds signed messages (the complete form: slot or epochs, signing root when known) above a
 * low watermark (what a minimal import leaves). The watermark counts as a signed block and a
 * signed attestation without signing roots, exactly as the EIP's minimal form writes it, so the
 * rules below treat it like any other message and an export (watermark entries, then messages)
 * means the same to a fresh importer. A message that would lie at or below the watermark is folded
 * into it instead of kept (addBlock, addAttestation): a minimal import closes everything below it,
 * and data imported later does not reopen that.
 *
 * Refusal rules, in the order they are reported:
 * - blocks: another block at the same slot, unless every one there has this signing root (a
 *   repeat); then a slot at or below the lowest signed slot. EIP-3076 conditions (1) and (2).
 * - attestations: source after target; another attestation with the same target, unless every one
 *   there is this attestation (same source and signing root: a repeat); surrounding or surrounded
 *   (is_slashable_attestation_data); a source below the lowest signed source; a target at or below
 *   the lowest signed target. Conditions (3), (4) and (5).
 *
 * "Lowest" is taken over the whole history, not per imported file: that is what the public
 * interchange tests expect of a complete database (multiple_interchanges_single_validator_
 * single_message_gap signs between two imported files), where the EIP's text reads per file.
 * Checks scan the key's attestations linearly; a validator signs one per epoch, so even years of
 * history stay in the hundreds of thousands of comparisons.
 */
import { compareAttestations, compareBlocks, sameAttestation, sameBlock } from "./merge.js";
import { highWatermark } from "./minify.js";
import type { BlsPubkey, InterchangeRecord, Root, SignedAttestation, SignedBlock, Uint64 } from "./types.js";
import {
  SAFE,
  SAFE_REPEAT,
  doubleProposal,
  doubleVote,
  slotBelowWatermark,
  sourceAfterTarget,
  sourceBelowWatermark,
  surrounded,
  surrounding,
  targetBelowWatermark,
  type AttestationRefusal,
  type AttestationVerdict,
  type BlockVerdict,
} from "./verdict.js";

/** The lowest signed slot, source and target, watermark included (undefined: nothing signed yet). */
export interface SigningFloors {
  /** Refuse slot ≤ this unless it repeats a signed block. */
  readonly slot: Uint64 | undefined;
  /** Refuse source epoch < this. */
  readonly source: Uint64 | undefined;
  /** Refuse target epoch ≤ this unless it repeats a signed attestation. */
  readonly target: Uint64 | undefined;
}

export class KeySigningHistory {
  private readonly blocksBySlot = new Map<Uint64, SignedBlock[]>();
  private readonly attestationsByTarget = new Map<Uint64, SignedAttestation[]>();
  private slotWatermark: Uint64 | undefined;
  private attestationWatermark: { readonly source: Uint64; readonly target: Uint64 } | undefined;
  private lowestSlot: Uint64 | undefined;
  private lowestSource: Uint64 | undefined;
  private lowestTarget: Uint64 | undefined;

  checkBlock(slot: Uint64, signingRoot: Root | undefined): BlockVerdict {
    const atSlot = this.blocksAt(slot);
    if (atSlot.length > 0) {
      const other = atSlot.find((block) => !sameKnownRoot(block.signingRoot, signingRoot));
      return other === undefined ? SAFE_REPEAT : doubleProposal(slot, other);
    }
    const floor = this.floors().slot;
    return floor !== undefined && slot <= floor ? slotBelowWatermark(slot, floor) : SAFE;
  }

  checkAttestation(source: Uint64, target: Uint64, signingRoot: Root | undefined): AttestationVerdict {
    if (source > target) return sourceAfterTarget(source, target);
    const atTarget = this.attestationsAt(target);
    if (atTarget.length > 0) {
      const other = atTarget.find((a) => a.sourceEpoch !== source || !sameKnownRoot(a.signingRoot, signingRoot));
      return other === undefined ? SAFE_REPEAT : doubleVote(target, other);
    }
    const surround = this.surroundRefusal(source, target);
    if (surround !== undefined) return surround;
    const floors = this.floors();
    if (floors.source !== undefined && source < floors.source) return sourceBelowWatermark(source, floors.source);
    if (floors.target !== undefined && target <= floors.target) return targetBelowWatermark(target, floors.target);
    return SAFE;
  }

  /** A linear scan without building a list: this runs before every attestation is signed. */
  private surroundRefusal(source: Uint64, target: Uint64): AttestationRefusal | undefined {
    const watermark = this.attestationWatermark;
    if (watermark !== undefined) {
      const refusal = surroundOf(source, target, { sourceEpoch: watermark.source, targetEpoch: watermark.target });
      if (refusal !== undefined) return refusal;
    }
    for (const group of this.attestationsByTarget.values()) {
      for (const signed of group) {
        const refusal = surroundOf(source, target, signed);
        if (refusal !== undefined) return refusal;
      }
    }
    return undefined;
  }

  floors(): SigningFloors {
    return {
      slot: min(this.slotWatermark, this.lowestSlot),
      source: min(this.attestationWatermark?.source, this.lowestSource),
      target: min(this.attestationWatermark?.target, this.lowestTarget),
    };
  }

  /** A block at or below the watermark adds nothing: nothing there may be signed anyway. */
  addBlock(block: SignedBlock): void {
    if (this.slotWatermark !== undefined && block.slot <= this.slotWatermark) return;
    const atSlot = this.blocksBySlot.get(block.slot);
    if (atSlot === undefined) this.blocksBySlot.set(block.slot, [block]);
    else if (atSlot.some((b) => sameBlock(b, block))) return;
    else atSlot.push(block);
    this.lowestSlot = min(this.lowestSlot, block.slot);
  }

  /**
   * An attestation with its target at or below the watermark is folded in by raising the
   * watermark's source to its source: a later attestation (target above the watermark) with an
   * earlier source would surround it, and it now surrounds the raised watermark instead.
   */
  addAttestation(attestation: SignedAttestation): void {
    const watermark = this.attestationWatermark;
    if (watermark !== undefined && attestation.targetEpoch <= watermark.target) {
      if (attestation.sourceEpoch > watermark.source) this.attestationWatermark = { source: attestation.sourceEpoch, target: watermark.target };
      return;
    }
    const atTarget = this.attestationsByTarget.get(attestation.targetEpoch);
    if (atTarget === undefined) this.attestationsByTarget.set(attestation.targetEpoch, [attestation]);
    else if (atTarget.some((a) => sameAttestation(a, attestation))) return;
    else atTarget.push(attestation);
    this.lowestSource = min(this.lowestSource, attestation.sourceEpoch);
    this.lowestTarget = min(this.lowestTarget, attestation.targetEpoch);
  }

  /**
   * Keep only the minimal form: the watermark rises to the highest slot, source and target among
   * what is held and `incoming` (the EIP's advice: take maxima, merge with existing values by max),
   * and the individual messages are dropped.
   */
  collapseToWatermark(incoming: InterchangeRecord): void {
    const highest = highWatermark([...this.blocks(), ...incoming.signedBlocks], [...this.attestations(), ...incoming.signedAttestations]);
    this.blocksBySlot.clear();
    this.attestationsByTarget.clear();
    this.lowestSlot = this.lowestSource = this.lowestTarget = undefined;
    this.slotWatermark = highest.slot;
    this.attestationWatermark =
      highest.attestation === undefined ? undefined : { source: highest.attestation.sourceEpoch, target: highest.attestation.targetEpoch };
  }

  /** Signed blocks at a slot, the watermark's included (kept messages all lie above it). */
  blocksAt(slot: Uint64): readonly SignedBlock[] {
    return slot === this.slotWatermark ? [{ slot }] : (this.blocksBySlot.get(slot) ?? []);
  }

  attestationsAt(target: Uint64): readonly SignedAttestation[] {
    const watermark = this.attestationWatermark;
    return target === watermark?.target ? [{ sourceEpoch: watermark.source, targetEpoch: target }] : (this.attestationsByTarget.get(target) ?? []);
  }

  /** Every signed block, the watermark first. */
  blocks(): SignedBlock[] {
    return [...(this.slotWatermark === undefined ? [] : [{ slot: this.slotWatermark }]), ...[...this.blocksBySlot.values()].flat()];
  }

  /** Every signed attestation, the watermark first. */
  attestations(): SignedAttestation[] {
    const watermark = this.attestationWatermark;
    return [
      ...(watermark === undefined ? [] : [{ sourceEpoch: watermark.source, targetEpoch: watermark.target }]),
      ...[...this.attestationsByTarget.values()].flat(),
    ];
  }

  /** In slot and target order, which puts the watermark entries (the EIP's minimal form) first. */
  toRecord(pubkey: BlsPubkey): InterchangeRecord {
    return { pubkey, signedBlocks: this.blocks().sort(compareBlocks), signedAttestations: this.attestations().sort(compareAttestations) };
  }
}

function surroundOf(source: Uint64, target: Uint64, signed: SignedAttestation): AttestationRefusal | undefined {
  if (source < signed.sourceEpoch && target > signed.targetEpoch) return surrounding(source, target, signed);
  if (source > signed.sourceEpoch && target < signed.targetEpoch) return surrounded(source, target, signed);
  return undefined;
}

/** Two signing roots prove the same message only when both are known and equal. */
export function sameKnownRoot(a: Root | undefined, b: Root | undefined): boolean {
  return a !== undefined && a === b;
}

function min(a: Uint64 | undefined, b: Uint64 | undefined): Uint64 | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b < a ? b : a;
}
