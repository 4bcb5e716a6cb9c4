/**
 * The two keys of validator i (EIP-2334): withdrawal key m/12381/3600/i/0 and its child, the
 * signing key m/12381/3600/i/0/0.
 */
import { deriveChildSecretKey, deriveSecretKey, type Eip2333SecretKey } from "./eip2333.js";
import { COIN_TYPE, PURPOSE, signingKeyPath, withdrawalKeyPath } from "./eip2334.js";

export interface ValidatorKeys {
  readonly index: number;
  readonly signingPath: string;
  readonly withdrawalPath: string;
  readonly signingSecretKey: Uint8Array;
  readonly signingPubkey: Uint8Array;
  readonly withdrawalPubkey: Uint8Array;
}

/** Derives validator keys from one seed; m/12381/3600 is derived once, not once per validator. */
export class ValidatorKeyDeriver {
  private readonly coinRoot: Eip2333SecretKey;

  constructor(seed: Uint8Array) {
    this.coinRoot = deriveSecretKey(seed, [PURPOSE, COIN_TYPE]);
  }

  derive(index: number): ValidatorKeys {
    const withdrawal = deriveChildSecretKey(deriveChildSecretKey(this.coinRoot, index), 0);
    const signing = deriveChildSecretKey(withdrawal, 0);
    return {
      index,
      signingPath: signingKeyPath(index),
      withdrawalPath: withdrawalKeyPath(index),
      signingSecretKey: signing.toBytes(),
      signingPubkey: signing.toPublicKey().toBytes(),
      withdrawalPubkey: withdrawal.toPublicKey().toBytes(),
    };
  }
}
