/**
 * One validator's worth of generation: derive its keys, sign its deposit, encrypt its keystore.
 * Runs inside a worker thread (keyWorker.ts); kept free of worker plumbing so it can be tested
 * and benchmarked directly.
 */
import type { Network } from "../chain/networks.js";
import { buildDepositDataEntry, type DepositDataEntry } from "../deposit/depositData.js";
import { addressWithdrawalCredentials, blsWithdrawalCredentials, type WithdrawalType } from "../deposit/withdrawalCredentials.js";
import { encryptKeystoreSync, type EncryptOptions, type KdfName, type Keystore } from "./keystore.js";
import type { ValidatorKeyDeriver } from "./validatorKeys.js";

export type WithdrawalSpec =
  | { readonly type: "bls" }
  | { readonly type: Exclude<WithdrawalType, "bls">; readonly address: Uint8Array }
  /** Fixed credentials for every key (a protocol's configured withdrawal credentials). */
  | { readonly type: "credentials"; readonly credentials: Uint8Array };

export interface KeyJobSpec {
  readonly password: string;
  readonly kdf: KdfName;
  readonly network: Network;
  readonly withdrawal: WithdrawalSpec;
  readonly amountGwei: number;
  /** Cheaper KDF parameters; tests only. */
  readonly kdfCost?: Pick<EncryptOptions, "scrypt" | "pbkdf2">;
}

export interface GeneratedKey {
  readonly index: number;
  readonly keystore: Keystore;
  readonly deposit: DepositDataEntry;
}

export function generateKey(deriver: ValidatorKeyDeriver, spec: KeyJobSpec, index: number): GeneratedKey {
  const keys = deriver.derive(index);
  const withdrawalCredentials = credentialsFor(spec.withdrawal, keys.withdrawalPubkey);
  const deposit = buildDepositDataEntry({
    secretKey: keys.signingSecretKey,
    withdrawalCredentials,
    amountGwei: spec.amountGwei,
    network: spec.network,
  });
  const keystore = encryptKeystoreSync(keys.signingSecretKey, spec.password, {
    kdf: spec.kdf,
    path: keys.signingPath,
    ...spec.kdfCost,
  });
  keys.signingSecretKey.fill(0);
  return { index, keystore, deposit };
}

function credentialsFor(withdrawal: WithdrawalSpec, withdrawalPubkey: Uint8Array): Uint8Array {
  switch (withdrawal.type) {
    case "bls":
      return blsWithdrawalCredentials(withdrawalPubkey);
    case "credentials":
      return withdrawal.credentials;
    default:
      return addressWithdrawalCredentials(withdrawal.type, withdrawal.address);
  }
}
