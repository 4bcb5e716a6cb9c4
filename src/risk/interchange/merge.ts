/**
 * Several interchanges for one chain as one: records of the same key united, exact duplicates
 * dropped, blocks in slot order and attestations in target order. Order and duplicates carry no
 * meaning in EIP-3076, so the result protects exactly as much as all inputs together.
 */
import { InvalidInterchangeError } from "./errors.js";
import type { Interchange, InterchangeRecord, SignedAttestation, SignedBlock } from "./types.js";

export function mergeInterchanges(interchanges: readonly [Interchange, ...Interchange[]]): Interchange {
  const [first] = interchanges;
  interchanges.forEach((interchange, index) => {
    if (interchange.genesisValidatorsRoot !== first.genesisValidatorsRoot) {
      throw new InvalidInterchangeError(
        "INTERCHANGE_CHAIN_MISMATCH",
        `interchange ${index} is for another chain (genesis_validators_root ${interchange.genesisValidatorsRoot}, ` +
          `the first is for ${first.genesisValidatorsRoot}); slashing protection of different chains cannot be merged`,
        { path: "metadata.genesis_validators_root", expected: first.genesisValidatorsRoot, actual: interchange.genesisValidatorsRoot },
      );
    }
  });
  const grouped = groupByPubkey(interchanges.flatMap((interchange) => interchange.data));
  return {
    genesisValidatorsRoot: first.genesisValidatorsRoot,
    data: grouped.map((record) => ({
      pubkey: record.pubkey,
      signedBlocks: distinctBlocks(record.signedBlocks),
      signedAttestations: distinctAttestations(record.signedAttestations),
    })),
  };
}

/** One record per pubkey (first appearance first), entries concatenated as they are, duplicates kept. */
export function groupByPubkey(records: readonly InterchangeRecord[]): InterchangeRecord[] {
  const byPubkey = new Map<string, { blocks: SignedBlock[]; attestations: SignedAttestation[] }>();
  for (const record of records) {
    let entry = byPubkey.get(record.pubkey);
    if (entry === undefined) {
      entry = { blocks: [], attestations: [] };
      byPubkey.set(record.pubkey, entry);
    }
    entry.blocks.push(...record.signedBlocks);
    entry.attestations.push(...record.signedAttestations);
  }
  return [...byPubkey].map(([pubkey, entry]) => ({ pubkey, signedBlocks: entry.blocks, signedAttestations: entry.attestations }));
}

/** Same slot and same signing root (both absent counts as the same: it says nothing more twice). */
export function sameBlock(a: SignedBlock, b: SignedBlock): boolean {
  return a.slot === b.slot && a.signingRoot === b.signingRoot;
}

export function sameAttestation(a: SignedAttestation, b: SignedAttestation): boolean {
  return a.sourceEpoch === b.sourceEpoch && a.targetEpoch === b.targetEpoch && a.signingRoot === b.signingRoot;
}

export function compareBlocks(a: SignedBlock, b: SignedBlock): number {
  return compare(a.slot, b.slot) || compare(a.signingRoot ?? "", b.signingRoot ?? "");
}

export function compareAttestations(a: SignedAttestation, b: SignedAttestation): number {
  return (
    compare(a.targetEpoch, b.targetEpoch) || compare(a.sourceEpoch, b.sourceEpoch) || compare(a.signingRoot ?? "", b.signingRoot ?? "")
  );
}

function distinctBlocks(blocks: readonly SignedBlock[]): SignedBlock[] {
  const sorted = [...blocks].sort(compareBlocks);
  return sorted.filter((block, i) => i === 0 || !sameBlock(block, sorted[i - 1] as SignedBlock));
}

function distinctAttestations(attestations: readonly SignedAttestation[]): SignedAttestation[] {
  const sorted = [...attestations].sort(compareAttestations);
  return sorted.filter((attestation, i) => i === 0 || !sameAttestation(attestation, sorted[i - 1] as SignedAttestation));
}

function compare<T extends bigint | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
