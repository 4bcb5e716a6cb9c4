/** The registration rules as pure decisions, one row per rule (keyRegistration.ts gathers the facts). */
import { describe, expect, it } from "vitest";
import type { BeaconValidator } from "../../src/beacon/beaconApi.js";
import { advances, keyStateFromChain } from "../../src/registry/keyLifecycle.js";
import { decide, type Candidate, type RuleFacts } from "../../src/registry/registrationRules.js";

const CREDENTIALS = `0x01${"00".repeat(11)}${"11".repeat(20)}`;
const key = (n: number): string => `0x${n.toString(16).padStart(96, "0")}`;
const candidate = (index: number, pubkey: string | null, source: Candidate["source"] = "deposit-data"): Candidate => ({ index, pubkey, source, problems: [] });
const validator = (pubkey: string, overrides: Partial<BeaconValidator> = {}): BeaconValidator => ({
  index: 7, pubkey, status: "active_ongoing", balanceGwei: 32e9, effectiveBalanceGwei: 32e9, withdrawalCredentials: CREDENTIALS, slashed: false,
  activationEligibilityEpoch: 0, activationEpoch: 0, exitEpoch: null, withdrawableEpoch: null, ...overrides,
});
const FACTS: RuleFacts = {
  operatorActive: true,
  remainingKeySlots: null,
  registered: new Map(),
  onChain: new Map(),
  pendingDeposits: new Set(),
  expectedWithdrawalCredentials: CREDENTIALS,
};
const codes = (candidates: Candidate[], facts: Partial<RuleFacts> = {}): string[][] =>
  decide(candidates, { ...FACTS, ...facts }).map((d) => d.rejections.map((r) => r.code));

describe("registration rules", () => {
  it.each([
    // [rule, candidates, facts, expected codes per candidate]
    ["a clean key passes", [candidate(0, key(1))], {}, [[]]],
    ["problems found in the entry are kept", [{ ...candidate(0, key(1)), problems: [{ code: "SIGNATURE_INVALID", message: "x" }] }], {}, [["SIGNATURE_INVALID"]]],
    ["the second copy in a batch", [candidate(0, key(1)), candidate(1, key(1))], {}, [[], ["DUPLICATE_IN_BATCH"]]],
    ["registered before, by anyone", [candidate(0, key(1))], { registered: new Map([[key(1), "other-operator"]]) }, [["ALREADY_REGISTERED"]]],
    ["already a validator (front-running)", [candidate(0, key(1))], { onChain: new Map([[key(1), validator(key(1))]]) }, [["ALREADY_ON_CHAIN"]]],
    ["a deposit pending on chain", [candidate(0, key(1))], { pendingDeposits: new Set([key(1)]) }, [["DEPOSIT_PENDING_ON_CHAIN"]]],
    ["no beacon node: chain rules skipped", [candidate(0, key(1))], { onChain: null, pendingDeposits: null }, [[]]],
    ["a disabled operator", [candidate(0, key(1))], { operatorActive: false }, [["OPERATOR_DISABLED"]]],
    ["the key limit, in request order", [candidate(0, key(1)), candidate(1, key(2)), candidate(2, key(3))], { remainingKeySlots: 2 }, [[], [], ["KEY_LIMIT_REACHED"]]],
    ["rejected keys use no slot", [{ ...candidate(0, key(1)), problems: [{ code: "X", message: "x" }] }, candidate(1, key(2))], { remainingKeySlots: 1 }, [["X"], []]],
    ["existing: must be on chain", [candidate(0, key(1), "existing")], {}, [["NOT_ON_CHAIN"]]],
    ["existing: on chain with the protocol's credentials", [candidate(0, key(1), "existing")], { onChain: new Map([[key(1), validator(key(1))]]) }, [[]]],
    [
      "existing: on chain with other credentials",
      [candidate(0, key(1), "existing")],
      { onChain: new Map([[key(1), validator(key(1), { withdrawalCredentials: `0x00${"22".repeat(31)}` })]]) },
      [["WITHDRAWAL_CREDENTIALS_MISMATCH"]],
    ],
  ] as const)("%s", (_rule, candidates, facts, expected) => {
    expect(codes([...candidates], facts)).toEqual(expected);
  });
});

describe("key lifecycle from the chain", () => {
  it.each([
    ["pending_initialized", false, "deposited"],
    ["pending_queued", false, "deposited"],
    ["active_ongoing", false, "active"],
    ["active_exiting", false, "exiting"],
    ["active_slashed", true, "slashed"],
    ["exited_unslashed", false, "exited"],
    ["exited_slashed", true, "slashed"],
    ["withdrawal_possible", false, "exited"],
    ["withdrawal_done", true, "slashed"],
  ] as const)("%s (slashed=%s) is %s", (status, slashed, state) => {
    expect(keyStateFromChain(status, slashed)).toBe(state);
  });

  it.each([
    ["registered", "active", true],
    ["active", "exiting", true],
    ["active", "slashed", true],
    ["exited", "slashed", true],
    ["active", "deposited", false], // a lagging node never moves a key back
    ["exiting", "active", false],
    ["slashed", "exited", false],
    ["active", "active", false],
  ] as const)("%s → %s advances: %s", (from, to, expected) => {
    expect(advances(from, to)).toBe(expected);
  });
});
