/**
 * A validator_keys row for tests that put keys into the registry directly (simulated validators,
 * interop validators with their own credentials): what the registry would hold for an adopted key.
 */
import type { ValidatorKeyRow } from "../../src/store/validatorKeys.js";

export function registryRow(pubkey: string, operatorId: string, overrides: Partial<ValidatorKeyRow> = {}): ValidatorKeyRow {
  const now = new Date().toISOString();
  return {
    pubkey,
    operator_id: operatorId,
    source: "existing",
    derivation_path: null,
    withdrawal_credentials: null,
    amount_gwei: null,
    deposit_signature: null,
    deposit_message_root: null,
    deposit_data_root: null,
    state: "registered",
    validator_index: null,
    in_custody: 0,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}
