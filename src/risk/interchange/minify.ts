/**
 * The EIP's minimal form: per key, one block at the highest slot and one attestation made of the
 * highest source and the highest target ("Advice for Minimal Databases"). Under the EIP's
 * conditions (2), (4) and (5) it refuses everything the full history refuses, and more.
 *
 * Signing roots are dropped. The (highest source, highest target) pair may never have been signed
 * as one attestation, so no root describes it; the block's root goes too, so the minimal form never
 * lets a repeat through that it cannot vouch for (the public vectors expect exactly this).
 */
import { groupByPubkey } from "./merge.js";
import type { Interchange, InterchangeRecord, SignedAttestation, SignedBlock, Uint64 } from "./types.js";

export function minifyInterchange(interchange: Interchange): Interchange {
  return { genesisValidatorsRoot: interchange.genesisValidatorsRoot, data: groupByPubkey(interchange.data).map(minifyRecord) };
}

/** The minimal form of one key's history; several records of the key must be grouped first. */
export function minifyRecord(record: InterchangeRecord): InterchangeRecord {
  const watermark = highWatermark(record.signedBlocks, record.signedAttestations);
  return {
    pubkey: record.pubkey,
    signedBlocks: watermark.slot === undefined ? [] : [{ slot: watermark.slot }],
    signedAttestations: watermark.attestation === undefined ? [] : [watermark.attestation],
  };
}

export interface HighWatermark {
  readonly slot?: Uint64;
  readonly attestation?: { readonly sourceEpoch: Uint64; readonly targetEpoch: Uint64 };
}

/** Highest slot, highest source and highest target (each on its own) of some signed messages. */
export function highWatermark(blocks: Iterable<SignedBlock>, attestations: Iterable<SignedAttestation>): HighWatermark {
  let slot: Uint64 | undefined;
  for (const block of blocks) if (slot === undefined || block.slot > slot) slot = block.slot;
  let source: Uint64 | undefined;
  let target: Uint64 | undefined;
  for (const attestation of attestations) {
    if (source === undefined || attestation.sourceEpoch > source) source = attestation.sourceEpoch;
    if (target === undefined || attestation.targetEpoch > target) target = attestation.targetEpoch;
  }
  return {
    ...(slot === undefined ? {} : { slot }),
    ...(source === undefined || target === undefined ? {} : { attestation: { sourceEpoch: source, targetEpoch: target } }),
  };
}
