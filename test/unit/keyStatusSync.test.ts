/** Key states follow the chain forward only, with a beacon node that speaks the interface. */
import { describe, expect, it } from "vitest";
import type { BeaconNodeApi, BeaconValidator, ValidatorStatus } from "../../src/beacon/beaconApi.js";
import { silentLogger } from "../../src/jobs/logger.js";
import { KeyStatusSync } from "../../src/registry/keyStatusSync.js";
import type { KeyState } from "../../src/store/schema.js";
import type { ValidatorKeyRow, ValidatorKeysRepository } from "../../src/store/validatorKeys.js";

const PUBKEY = `0x${"ab".repeat(48)}`;

function harness(initial: KeyState) {
  const row: ValidatorKeyRow = {
    pubkey: PUBKEY, operator_id: "op", source: "deposit-data", derivation_path: null, withdrawal_credentials: null, amount_gwei: null,
    deposit_signature: null, deposit_message_root: null, deposit_data_root: null, state: initial, validator_index: null, in_custody: 0,
    created_at: "t", updated_at: "t",
  };
  let chain: { status: ValidatorStatus; slashed: boolean } | null = null;
  const keys = {
    listNotFinal: async () => (row.state === "exited" || row.state === "slashed" ? [] : [{ ...row }]),
    updateChainState: async (_pubkey: string, state: KeyState, index: number | null) => {
      row.state = state;
      row.validator_index = index;
    },
  } as unknown as ValidatorKeysRepository;
  const beacon = {
    getValidatorsByPubkey: async (): Promise<BeaconValidator[]> =>
      chain === null
        ? []
        : [{ index: 42, pubkey: PUBKEY, status: chain.status, slashed: chain.slashed, balanceGwei: 0, effectiveBalanceGwei: 0, withdrawalCredentials: "0x", activationEligibilityEpoch: null, activationEpoch: null, exitEpoch: null, withdrawableEpoch: null }],
  } as unknown as BeaconNodeApi;
  const sync = new KeyStatusSync({ beacon, keys, clock: { now: () => new Date(0) }, logger: silentLogger });
  return { row, sync, setChain: (status: ValidatorStatus, slashed = false) => (chain = { status, slashed }) };
}

describe("key status sync", () => {
  it("walks registered → deposited → active → exiting → exited, recording the index", async () => {
    const h = harness("registered");
    expect(await h.sync.sync()).toBe(0);
    expect(h.row.state).toBe("registered");
    const steps: [ValidatorStatus, KeyState][] = [
      ["pending_queued", "deposited"],
      ["active_ongoing", "active"],
      ["active_exiting", "exiting"],
      ["withdrawal_possible", "exited"],
    ];
    for (const [status, state] of steps) {
      h.setChain(status);
      expect(await h.sync.sync()).toBe(1);
      expect(h.row).toMatchObject({ state, validator_index: 42 });
    }
  });

  it("never moves a key back when a node lags", async () => {
    const h = harness("active");
    h.setChain("pending_queued");
    expect(await h.sync.sync()).toBe(0);
    expect(h.row).toMatchObject({ state: "active", validator_index: 42 });
  });

  it("a slashed validator is slashed whatever its status", async () => {
    const h = harness("active");
    h.setChain("active_exiting", true);
    expect(await h.sync.sync()).toBe(1);
    expect(h.row.state).toBe("slashed");
  });
});
