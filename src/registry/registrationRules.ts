/**
 * The rules every new key must pass, whatever its source, as pure decisions over facts gathered
 * by keyRegistration.ts. Each failure is a reason with a stable code, per key; a batch registers
 * the keys that pass and reports the others (it is not all-or-nothing).
 */
import type { BeaconValidator } from "../beacon/beaconApi.js";
import type { KeySource } from "../store/schema.js";

export type RejectionCode =
  | "OPERATOR_DISABLED"
  | "KEY_LIMIT_REACHED"
  | "ALREADY_REGISTERED"
  | "DUPLICATE_IN_BATCH"
  | "ALREADY_ON_CHAIN"
  | "DEPOSIT_PENDING_ON_CHAIN"
  | "NOT_ON_CHAIN"
  | "WITHDRAWAL_CREDENTIALS_MISMATCH"
  | "PUBKEY_INVALID"
  // Reasons found while reading the entry (deposit verification, keystore decryption) keep their own codes.
  | (string & {});

export interface Rejection {
  readonly code: RejectionCode;
  readonly field?: string;
  readonly message: string;
}

export interface Candidate {
  /** Position in the request. */
  readonly index: number;
  /** 0x-hex, lower case; null when the entry is too broken to have one. */
  readonly pubkey: string | null;
  readonly source: KeySource;
  /** Problems already found in the entry itself. */
  readonly problems: readonly Rejection[];
}

export interface RuleFacts {
  readonly operatorActive: boolean;
  /** null: no limit. */
  readonly remainingKeySlots: number | null;
  /** Pubkeys registered before (any operator) → the operator holding each. */
  readonly registered: ReadonlyMap<string, string>;
  /** null when no beacon node is configured. */
  readonly onChain: ReadonlyMap<string, BeaconValidator> | null;
  /** Pubkeys with a deposit pending on chain; null when unknown. */
  readonly pendingDeposits: ReadonlySet<string> | null;
  /** For keys adopted as existing validators: the credentials they must have on chain. */
  readonly expectedWithdrawalCredentials: string;
}

export interface Decision {
  readonly candidate: Candidate;
  readonly rejections: readonly Rejection[];
}

export function decide(candidates: readonly Candidate[], facts: RuleFacts): Decision[] {
  const seen = new Map<string, number>();
  let slots = facts.remainingKeySlots;
  return candidates.map((candidate) => {
    const rejections: Rejection[] = [...candidate.problems];
    const pubkey = candidate.pubkey;
    if (!facts.operatorActive) rejections.push({ code: "OPERATOR_DISABLED", message: "the operator is disabled; no new keys are registered for it" });
    if (pubkey !== null) {
      const earlier = seen.get(pubkey);
      if (earlier !== undefined) rejections.push({ code: "DUPLICATE_IN_BATCH", field: "pubkey", message: `the same pubkey is already entry ${earlier} of this request` });
      else seen.set(pubkey, candidate.index);
      if (facts.registered.has(pubkey)) rejections.push({ code: "ALREADY_REGISTERED", field: "pubkey", message: "this pubkey is already registered" });
      rejections.push(...chainRejections(candidate.source, pubkey, facts));
    }
    if (rejections.length === 0 && slots !== null) {
      if (slots <= 0) rejections.push({ code: "KEY_LIMIT_REACHED", message: "the operator's key limit is reached" });
      else slots--;
    }
    return { candidate, rejections };
  });
}

function chainRejections(source: KeySource, pubkey: string, facts: RuleFacts): Rejection[] {
  if (facts.onChain === null) return [];
  const validator = facts.onChain.get(pubkey);
  if (source === "existing") {
    if (validator === undefined) {
      return [{ code: "NOT_ON_CHAIN", field: "pubkey", message: "not a validator on chain; only existing validators are adopted this way" }];
    }
    if (validator.withdrawalCredentials.toLowerCase() !== facts.expectedWithdrawalCredentials) {
      return [
        {
          code: "WITHDRAWAL_CREDENTIALS_MISMATCH",
          field: "pubkey",
          message: `the validator's withdrawal credentials on chain are ${validator.withdrawalCredentials}, not the protocol's ${facts.expectedWithdrawalCredentials}`,
        },
      ];
    }
    return [];
  }
  if (validator !== undefined) {
    return [
      {
        code: "ALREADY_ON_CHAIN",
        field: "pubkey",
        message: `already validator ${validator.index} on chain (${validator.status}): a key deposited by someone else is a front-running red flag`,
      },
    ];
  }
  if (facts.pendingDeposits?.has(pubkey) === true) {
    return [{ code: "DEPOSIT_PENDING_ON_CHAIN", field: "pubkey", message: "a deposit for this pubkey is already pending on chain" }];
  }
  return [];
}
