/**
 * The answer to "is this block or attestation safe to sign given this history": safe, or refused
 * with the rule that refuses it and the signed message it conflicts with. Callers branch on
 * `reason`; `message` is for people.
 *
 * `conflictsWith` can be a key's watermark entry (no signing root; for attestations the highest
 * source paired with the highest target), which stands for the latest messages a minimal import
 * knew of: a conflict with it is a conflict with one of those.
 */
import type { Root, SignedAttestation, SignedBlock, Uint64 } from "./types.js";

export interface SafeToSign {
  readonly safe: true;
  /** The very same message (same signing root) was signed before: signing it again adds no evidence. */
  readonly repeat: boolean;
}

export type RefusalReason = BlockRefusal["reason"] | AttestationRefusal["reason"];

export type BlockRefusal =
  /** A different (or unknown) block was signed at this slot: a proposer slashing. */
  | { readonly safe: false; readonly reason: "double-proposal"; readonly conflictsWith: SignedBlock; readonly message: string }
  /**
   * EIP-3076 condition (2) or an imported minimal watermark: nothing at or below `watermark` may be
   * signed unless it repeats a signed block, because the history does not show what was signed there.
   */
  | { readonly safe: false; readonly reason: "below-watermark"; readonly field: "slot"; readonly watermark: Uint64; readonly message: string };

export type AttestationRefusal =
  /** Source after target: no honest attestation has this shape, and it surrounds or is surrounded easily. */
  | { readonly safe: false; readonly reason: "source-after-target"; readonly message: string }
  /** A different (or unknown) attestation with the same target was signed: an attester slashing. */
  | { readonly safe: false; readonly reason: "double-vote"; readonly conflictsWith: SignedAttestation; readonly message: string }
  /** The new attestation surrounds a signed one (earlier source, later target). */
  | { readonly safe: false; readonly reason: "surrounding"; readonly conflictsWith: SignedAttestation; readonly message: string }
  /** A signed attestation surrounds the new one. */
  | { readonly safe: false; readonly reason: "surrounded"; readonly conflictsWith: SignedAttestation; readonly message: string }
  /** Condition (4): the source must be at least `watermark`. */
  | { readonly safe: false; readonly reason: "below-watermark"; readonly field: "source"; readonly watermark: Uint64; readonly message: string }
  /** Condition (5): the target must be above `watermark`, unless the attestation is a repeat. */
  | { readonly safe: false; readonly reason: "below-watermark"; readonly field: "target"; readonly watermark: Uint64; readonly message: string };

export type BlockVerdict = SafeToSign | BlockRefusal;
export type AttestationVerdict = SafeToSign | AttestationRefusal;

export const SAFE: SafeToSign = { safe: true, repeat: false };
export const SAFE_REPEAT: SafeToSign = { safe: true, repeat: true };

export function doubleProposal(slot: Uint64, conflictsWith: SignedBlock): BlockRefusal {
  return {
    safe: false,
    reason: "double-proposal",
    conflictsWith,
    message: `a block at slot ${slot} is already signed (${rootText(conflictsWith.signingRoot)}); another block at the same slot is a proposer slashing`,
  };
}

export function slotBelowWatermark(slot: Uint64, watermark: Uint64): BlockRefusal {
  return {
    safe: false,
    reason: "below-watermark",
    field: "slot",
    watermark,
    message: `slot ${slot} is at or below the history's low watermark, slot ${watermark}: what was signed there is not known (EIP-3076 condition 2)`,
  };
}

export function sourceAfterTarget(source: Uint64, target: Uint64): AttestationRefusal {
  return {
    safe: false,
    reason: "source-after-target",
    message: `source epoch ${source} is after target epoch ${target}; no valid attestation has that shape`,
  };
}

export function doubleVote(target: Uint64, conflictsWith: SignedAttestation): AttestationRefusal {
  return {
    safe: false,
    reason: "double-vote",
    conflictsWith,
    message:
      `an attestation with target epoch ${target} is already signed (${attestationText(conflictsWith)}, ${rootText(conflictsWith.signingRoot)}); ` +
      "another vote for the same target is an attester slashing",
  };
}

export function surrounding(source: Uint64, target: Uint64, conflictsWith: SignedAttestation): AttestationRefusal {
  return {
    safe: false,
    reason: "surrounding",
    conflictsWith,
    message: `${source}→${target} surrounds the signed attestation ${attestationText(conflictsWith)}: an attester slashing`,
  };
}

export function surrounded(source: Uint64, target: Uint64, conflictsWith: SignedAttestation): AttestationRefusal {
  return {
    safe: false,
    reason: "surrounded",
    conflictsWith,
    message: `${source}→${target} is surrounded by the signed attestation ${attestationText(conflictsWith)}: an attester slashing`,
  };
}

export function sourceBelowWatermark(source: Uint64, watermark: Uint64): AttestationRefusal {
  return {
    safe: false,
    reason: "below-watermark",
    field: "source",
    watermark,
    message: `source epoch ${source} is below the history's lowest source epoch, ${watermark} (EIP-3076 condition 4)`,
  };
}

export function targetBelowWatermark(target: Uint64, watermark: Uint64): AttestationRefusal {
  return {
    safe: false,
    reason: "below-watermark",
    field: "target",
    watermark,
    message: `target epoch ${target} is at or below the history's low watermark, epoch ${watermark}: what was signed there is not known (EIP-3076 condition 5)`,
  };
}

function attestationText(attestation: SignedAttestation): string {
  return `${attestation.sourceEpoch}→${attestation.targetEpoch}`;
}

function rootText(root: Root | undefined): string {
  return root === undefined ? "signing root unknown" : `signing root ${root}`;
}
