/**
 * An in-memory EIP-3076 slashing protection history for the keys of one chain: import
 * interchanges, answer "is this block or attestation safe to sign", record what gets signed, and
 * export it all as an interchange again.
 *
 * Import modes (the public tests' two columns):
 * - "complete" keeps every imported message with its signing root; a later request is refused
 *   only when it is slashable with respect to a signed message or below the lowest one (no false
 *   positives beyond the EIP's conditions). Tests: `should_succeed_complete`.
 * - "minimal" keeps, for each key in the file, only the highest slot, source and target of the
 *   file and of what the key already had (the EIP's advice for minimal databases): anything not
 *   above them is refused, repeats included. Tests: `should_succeed`.
 * What gets signed afterwards is recorded in full either way. Both modes can be used on one
 * history; keyHistory.ts keeps their combination sound and its export faithful.
 *
 * Sign only after recordBlock/recordAttestation said safe: they check and record in one
 * synchronous call, so two tasks of one process can never both pass the check for conflicting
 * messages, which checkBlock followed by a later record could allow.
 */
import { parseHex } from "../../util/hex.js";
import { InvalidInterchangeError } from "./errors.js";
import { findImportConflicts, type ImportFinding } from "./importConflicts.js";
import { KeySigningHistory } from "./keyHistory.js";
import { groupByPubkey } from "./merge.js";
import type { BlsPubkey, Interchange, InterchangeRecord, Root, SignedAttestation, SignedBlock, Uint64 } from "./types.js";
import { toUint64 } from "./uint64.js";
import { SAFE, type AttestationVerdict, type BlockVerdict } from "./verdict.js";

export type ImportMode = "minimal" | "complete";

export interface ImportOptions {
  readonly mode: ImportMode;
}

export interface ImportReport {
  readonly mode: ImportMode;
  /** Keys the interchange had records for, in file order. */
  readonly pubkeys: readonly BlsPubkey[];
  /**
   * Imported messages the history's rules would have refused: already slashable, or older than
   * what the history covered. They are imported anyway (see importConflicts.ts).
   */
  readonly findings: readonly ImportFinding[];
}

export interface SlashingProtectionHistoryOptions {
  /** The chain's genesis validators root (0x and 64 hex digits); interchanges for other chains are refused. */
  readonly genesisValidatorsRoot: string;
}

/**
 * EIP-3076 lets an exporter write 0x00…00 as its stand-in for an unknown signing root. No real
 * signing root is zero, so an imported zero root is read as unknown: it can never turn a request
 * into a "repeat".
 */
const ZERO_ROOT = `0x${"00".repeat(32)}`;

export class SlashingProtectionHistory {
  readonly genesisValidatorsRoot: Root;
  private readonly keys = new Map<BlsPubkey, KeySigningHistory>();

  constructor(options: SlashingProtectionHistoryOptions) {
    this.genesisValidatorsRoot = hexArgument(options.genesisValidatorsRoot, 32, "genesis validators root");
  }

  /**
   * Adds an interchange to the history, all or nothing. Throws InvalidInterchangeError
   * (INTERCHANGE_CHAIN_MISMATCH) for another chain's interchange; reads and validates nothing else
   * (parse with parseInterchangeJson or readInterchange first).
   */
  import(interchange: Interchange, options: ImportOptions): ImportReport {
    if (interchange.genesisValidatorsRoot !== this.genesisValidatorsRoot) {
      throw new InvalidInterchangeError(
        "INTERCHANGE_CHAIN_MISMATCH",
        `the interchange is for another chain: its genesis_validators_root is ${interchange.genesisValidatorsRoot}, ` +
          `this history's is ${this.genesisValidatorsRoot}; export the slashing protection from a client of this network`,
        { path: "metadata.genesis_validators_root", expected: this.genesisValidatorsRoot, actual: interchange.genesisValidatorsRoot },
      );
    }
    const records = groupByPubkey(interchange.data).map(withoutZeroRoots);
    // Findings first, against the history as it was, so that nothing changes if anything throws.
    const findings = records.flatMap((record) => findImportConflicts(this.keys.get(record.pubkey), record));
    for (const record of records) {
      const key = this.keyHistory(record.pubkey);
      if (options.mode === "minimal") {
        key.collapseToWatermark(record);
      } else {
        for (const block of record.signedBlocks) key.addBlock(block);
        for (const attestation of record.signedAttestations) key.addAttestation(attestation);
      }
    }
    return { mode: options.mode, pubkeys: records.map((record) => record.pubkey), findings };
  }

  checkBlock(pubkey: string, slot: bigint | number, signingRoot?: string): BlockVerdict {
    const request = blockRequest(pubkey, slot, signingRoot);
    return this.keys.get(request.pubkey)?.checkBlock(request.slot, request.signingRoot) ?? SAFE;
  }

  checkAttestation(pubkey: string, sourceEpoch: bigint | number, targetEpoch: bigint | number, signingRoot?: string): AttestationVerdict {
    const request = attestationRequest(pubkey, sourceEpoch, targetEpoch, signingRoot);
    return this.keys.get(request.pubkey)?.checkAttestation(request.sourceEpoch, request.targetEpoch, request.signingRoot) ?? SAFE;
  }

  /** Check, and when safe record the block as signed: call right before signing, sign only on `safe`. */
  recordBlock(pubkey: string, slot: bigint | number, signingRoot?: string): BlockVerdict {
    const request = blockRequest(pubkey, slot, signingRoot);
    const key = this.keyHistory(request.pubkey);
    const verdict = key.checkBlock(request.slot, request.signingRoot);
    if (verdict.safe && !verdict.repeat) {
      key.addBlock(request.signingRoot === undefined ? { slot: request.slot } : { slot: request.slot, signingRoot: request.signingRoot });
    }
    return verdict;
  }

  /** Check, and when safe record the attestation as signed: call right before signing, sign only on `safe`. */
  recordAttestation(pubkey: string, sourceEpoch: bigint | number, targetEpoch: bigint | number, signingRoot?: string): AttestationVerdict {
    const request = attestationRequest(pubkey, sourceEpoch, targetEpoch, signingRoot);
    const key = this.keyHistory(request.pubkey);
    const verdict = key.checkAttestation(request.sourceEpoch, request.targetEpoch, request.signingRoot);
    if (verdict.safe && !verdict.repeat) {
      const { sourceEpoch: source, targetEpoch: target } = request;
      key.addAttestation(
        request.signingRoot === undefined
          ? { sourceEpoch: source, targetEpoch: target }
          : { sourceEpoch: source, targetEpoch: target, signingRoot: request.signingRoot },
      );
    }
    return verdict;
  }

  /** Every key's history as one interchange (complete form, with watermarks as root-less entries). */
  export(): Interchange {
    return {
      genesisValidatorsRoot: this.genesisValidatorsRoot,
      data: [...this.keys].map(([pubkey, key]) => key.toRecord(pubkey)),
    };
  }

  private keyHistory(pubkey: BlsPubkey): KeySigningHistory {
    let key = this.keys.get(pubkey);
    if (key === undefined) {
      key = new KeySigningHistory();
      this.keys.set(pubkey, key);
    }
    return key;
  }
}

interface BlockRequest {
  readonly pubkey: BlsPubkey;
  readonly slot: Uint64;
  readonly signingRoot: Root | undefined;
}

interface AttestationRequest {
  readonly pubkey: BlsPubkey;
  readonly sourceEpoch: Uint64;
  readonly targetEpoch: Uint64;
  readonly signingRoot: Root | undefined;
}

function blockRequest(pubkey: string, slot: bigint | number, signingRoot: string | undefined): BlockRequest {
  return {
    pubkey: hexArgument(pubkey, 48, "validator pubkey"),
    slot: toUint64(slot, "slot"),
    signingRoot: signingRoot === undefined ? undefined : hexArgument(signingRoot, 32, "signing root"),
  };
}

function attestationRequest(
  pubkey: string,
  sourceEpoch: bigint | number,
  targetEpoch: bigint | number,
  signingRoot: string | undefined,
): AttestationRequest {
  return {
    pubkey: hexArgument(pubkey, 48, "validator pubkey"),
    sourceEpoch: toUint64(sourceEpoch, "source epoch"),
    targetEpoch: toUint64(targetEpoch, "target epoch"),
    signingRoot: signingRoot === undefined ? undefined : hexArgument(signingRoot, 32, "signing root"),
  };
}

/** 0x-prefixed hex of a fixed length (InputError otherwise), in the lower case the history keys by. */
function hexArgument(value: string, bytes: number, what: string): string {
  parseHex(value, { what, bytes, prefix: "required" });
  return value.toLowerCase();
}

/** A copy (the history never shares objects with its caller) with zero roots read as unknown. */
function withoutZeroRoots(record: InterchangeRecord): InterchangeRecord {
  const known = (root: Root | undefined): { signingRoot?: Root } => (root === undefined || root === ZERO_ROOT ? {} : { signingRoot: root });
  return {
    pubkey: record.pubkey,
    signedBlocks: record.signedBlocks.map((block): SignedBlock => ({ slot: block.slot, ...known(block.signingRoot) })),
    signedAttestations: record.signedAttestations.map(
      (attestation): SignedAttestation => ({
        sourceEpoch: attestation.sourceEpoch,
        targetEpoch: attestation.targetEpoch,
        ...known(attestation.signingRoot),
      }),
    ),
  };
}
