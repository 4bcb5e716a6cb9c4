/**
 * What an import brings in that the history's rules would have refused: messages slashable with
 * each other or with the history (double proposals, double votes, surrounds, source after target)
 * and messages below what the history already covers (an older file imported after a newer one).
 *
 * Such data is imported all the same: it records what the key did sign, and refusing it would
 * leave the key less protected. The findings tell the operator that the key's past is already
 * slashable or that the file is stale. The public tests mark exactly such files with
 * `contains_slashable_data`.
 *
 * Surrounds are found with one sort and two sweeps over the key's attestations (O(n log n)), so
 * importing a long complete history does not compare every pair.
 */
import { sameKnownRoot, type KeySigningHistory } from "./keyHistory.js";
import type { BlsPubkey, InterchangeRecord, SignedAttestation, SignedBlock, Uint64 } from "./types.js";
import {
  doubleProposal,
  doubleVote,
  slotBelowWatermark,
  sourceAfterTarget,
  sourceBelowWatermark,
  surrounded,
  surrounding,
  targetBelowWatermark,
  type AttestationRefusal,
  type BlockRefusal,
} from "./verdict.js";

export interface BlockFinding {
  readonly kind: "block";
  readonly pubkey: BlsPubkey;
  readonly block: SignedBlock;
  readonly refusal: BlockRefusal;
}

export interface AttestationFinding {
  readonly kind: "attestation";
  readonly pubkey: BlsPubkey;
  readonly attestation: SignedAttestation;
  readonly refusal: AttestationRefusal;
}

export type ImportFinding = BlockFinding | AttestationFinding;

/** `incoming` is all of one key's records in the file, grouped; `existing` is the key's history before the import. */
export function findImportConflicts(existing: KeySigningHistory | undefined, incoming: InterchangeRecord): ImportFinding[] {
  return [...blockFindings(existing, incoming), ...attestationFindings(existing, incoming)];
}

function blockFindings(existing: KeySigningHistory | undefined, incoming: InterchangeRecord): BlockFinding[] {
  const blocks = incoming.signedBlocks;
  const indicesBySlot = groupIndices(blocks, (block) => block.slot);
  const floor = existing?.floors().slot;
  const findings: BlockFinding[] = [];
  blocks.forEach((block, index) => {
    const known = existing?.blocksAt(block.slot) ?? [];
    if (known.some((signed) => sameKnownRoot(signed.signingRoot, block.signingRoot))) return;
    // Other messages, by position rather than identity: the same object may be imported twice.
    const others = [...known, ...otherEntries(blocks, indicesBySlot.get(block.slot), index)];
    const conflict = others.find((other) => !sameKnownRoot(other.signingRoot, block.signingRoot));
    const refusal =
      conflict !== undefined
        ? doubleProposal(block.slot, conflict)
        : floor !== undefined && block.slot <= floor
          ? slotBelowWatermark(block.slot, floor)
          : undefined;
    if (refusal !== undefined) findings.push({ kind: "block", pubkey: incoming.pubkey, block, refusal });
  });
  return findings;
}

function attestationFindings(existing: KeySigningHistory | undefined, incoming: InterchangeRecord): AttestationFinding[] {
  const attestations = incoming.signedAttestations;
  const indicesByTarget = groupIndices(attestations, (attestation) => attestation.targetEpoch);
  const surrounds = findSurrounds(existing?.attestations() ?? [], attestations);
  const floors = existing?.floors();
  const findings: AttestationFinding[] = [];
  attestations.forEach((attestation, index) => {
    const { sourceEpoch: source, targetEpoch: target } = attestation;
    const known = existing?.attestationsAt(target) ?? [];
    if (known.some((signed) => isRepeat(signed, attestation))) return;
    const others = [...known, ...otherEntries(attestations, indicesByTarget.get(target), index)];
    const double = others.find((other) => !isRepeat(other, attestation));
    const outer = surrounds.surroundedBy[index];
    const inner = surrounds.surroundsOne[index];
    let refusal: AttestationRefusal | undefined;
    if (source > target) refusal = sourceAfterTarget(source, target);
    else if (double !== undefined) refusal = doubleVote(target, double);
    else if (inner !== undefined) refusal = surrounding(source, target, inner);
    else if (outer !== undefined) refusal = surrounded(source, target, outer);
    else if (floors?.source !== undefined && source < floors.source) refusal = sourceBelowWatermark(source, floors.source);
    else if (floors?.target !== undefined && target <= floors.target) refusal = targetBelowWatermark(target, floors.target);
    if (refusal !== undefined) findings.push({ kind: "attestation", pubkey: incoming.pubkey, attestation, refusal });
  });
  return findings;
}

function isRepeat(signed: SignedAttestation, attestation: SignedAttestation): boolean {
  return signed.sourceEpoch === attestation.sourceEpoch && sameKnownRoot(signed.signingRoot, attestation.signingRoot);
}

interface Surrounds {
  /** By index of an incoming attestation: one attestation (signed or incoming) that surrounds it. */
  readonly surroundedBy: readonly (SignedAttestation | undefined)[];
  /** By index of an incoming attestation: one attestation (signed or incoming) that it surrounds. */
  readonly surroundsOne: readonly (SignedAttestation | undefined)[];
}

/**
 * `a` surrounds `b` when a.source < b.source and a.target > b.target. Sorted by source, the
 * attestations with a smaller source come first: the one with the highest target among them
 * surrounds `b` if any does. Symmetrically, the lowest target among larger sources is surrounded by
 * `b` if any is. Equal sources never surround each other, hence the grouping.
 */
function findSurrounds(signed: readonly SignedAttestation[], incoming: readonly SignedAttestation[]): Surrounds {
  const entries = [
    ...signed.map((attestation) => ({ attestation, incomingIndex: -1 })),
    ...incoming.map((attestation, incomingIndex) => ({ attestation, incomingIndex })),
  ];
  const groups = [...groupIndices(entries, (entry) => entry.attestation.sourceEpoch)]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, indices]) => indices.map((i) => entries[i] as (typeof entries)[number]));
  const surroundedBy: (SignedAttestation | undefined)[] = new Array(incoming.length).fill(undefined);
  let highest: SignedAttestation | undefined;
  for (const group of groups) {
    for (const { attestation, incomingIndex } of group) {
      if (incomingIndex >= 0 && highest !== undefined && highest.targetEpoch > attestation.targetEpoch) surroundedBy[incomingIndex] = highest;
    }
    for (const { attestation } of group) if (highest === undefined || attestation.targetEpoch > highest.targetEpoch) highest = attestation;
  }
  const surroundsOne: (SignedAttestation | undefined)[] = new Array(incoming.length).fill(undefined);
  let lowest: SignedAttestation | undefined;
  for (const group of groups.reverse()) {
    for (const { attestation, incomingIndex } of group) {
      if (incomingIndex >= 0 && lowest !== undefined && lowest.targetEpoch < attestation.targetEpoch) surroundsOne[incomingIndex] = lowest;
    }
    for (const { attestation } of group) if (lowest === undefined || attestation.targetEpoch < lowest.targetEpoch) lowest = attestation;
  }
  return { surroundedBy, surroundsOne };
}

/** Positions of the items, grouped by a slot or epoch. */
function groupIndices<T>(items: readonly T[], key: (item: T) => Uint64): Map<Uint64, number[]> {
  const groups = new Map<Uint64, number[]>();
  items.forEach((entry, index) => {
    const k = key(entry);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [index]);
    else group.push(index);
  });
  return groups;
}

function otherEntries<T>(items: readonly T[], indices: readonly number[] | undefined, except: number): T[] {
  return (indices ?? []).filter((i) => i !== except).map((i) => items[i] as T);
}
