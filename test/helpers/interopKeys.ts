/**
 * The interop ("dev") validator keys every consensus client uses for local chains, as the devnet
 * README states them: secret key i = int.from_bytes(sha256(i as 32-byte little-endian), "little")
 * mod r, with r the BLS12-381 group order.
 */
import { createHash } from "node:crypto";
import { bls } from "../../src/crypto/bls.js";
import { encryptKeystore, type Keystore } from "../../src/keygen/keystore.js";

const CURVE_ORDER = 52435875175126190479447740508185965837690552500527637822603658699938581184513n;

/** The interop secret key of validator `index`, as 32 big-endian bytes. */
export function interopSecretKey(index: number): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0) throw new Error(`interop key index must be a non-negative integer, got ${index}`);
  const preimage = Buffer.alloc(32);
  preimage.writeBigUInt64LE(BigInt(index));
  const digest = createHash("sha256").update(preimage).digest();
  const key = littleEndianToBigInt(digest) % CURVE_ORDER;
  return Uint8Array.from(Buffer.from(key.toString(16).padStart(64, "0"), "hex"));
}

/** 0x-prefixed lower-case pubkey, the Beacon and Keymanager APIs' form. */
export function interopPubkey(index: number): string {
  return bls.SecretKey.fromBytes(interopSecretKey(index)).toPublicKey().toHex().toLowerCase();
}

/** EIP-2335 keystore of the interop key, built by stakeops itself; pbkdf2 with c=2^14 so a validator client imports it quickly. */
export function interopKeystore(index: number, password: string): Promise<Keystore> {
  return encryptKeystore(interopSecretKey(index), password, {
    kdf: "pbkdf2",
    pbkdf2: { c: 16384 },
    path: `m/12381/3600/${index}/0/0`,
  });
}

function littleEndianToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  return value;
}
