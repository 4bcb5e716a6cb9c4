/**
 * The one place that loads BLS. stakeops signs and verifies only on the native blst backend:
 * `@chainsafe/bls`'s default entry point quietly falls back to a WebAssembly build when the native
 * binding is missing, which is ~10x slower and hides a broken install. Here a missing binding is a
 * start-up error that says how to fix it.
 */
import type * as Blst from "@chainsafe/blst";
import type { IBls } from "@chainsafe/bls/types";
import { StakeopsError } from "../errors.js";

export type { PublicKey, SecretKey, Signature } from "@chainsafe/bls/types";

export class BlsBackendError extends StakeopsError<"BLS_NATIVE_BACKEND_MISSING"> {}

type BlstModule = typeof Blst;

async function loadNativeBls(): Promise<{ loaded: IBls; native: BlstModule }> {
  let loaded: IBls;
  let native: BlstModule;
  try {
    native = await import("@chainsafe/blst");
    loaded = (await import("@chainsafe/bls/blst-native")).default;
  } catch (cause) {
    throw new BlsBackendError(
      "BLS_NATIVE_BACKEND_MISSING",
      "the native BLS backend (@chainsafe/blst) could not be loaded; reinstall dependencies with `npm ci` " +
        "on this platform (the package ships a prebuilt binary per OS and CPU) and check that " +
        "node_modules/@chainsafe/blst-<platform> exists",
      {},
      { cause },
    );
  }
  if (loaded.implementation !== "blst-native") {
    throw new BlsBackendError(
      "BLS_NATIVE_BACKEND_MISSING",
      `expected the blst-native BLS backend, got "${loaded.implementation}"`,
      {},
    );
  }
  return { loaded, native };
}

const backend = await loadNativeBls();
export const bls: IBls = backend.loaded;
const blst = backend.native;

/**
 * Batch verification, straight on @chainsafe/blst: keys and signatures are decoded without the
 * subgroup checks, which then run inside blst's batch call on its own thread pool (cheaper than
 * checking each point on the JavaScript thread). One random linear combination for the batch:
 * true only if every set verifies.
 */

export interface SignatureSet {
  readonly pubkey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

export type SignatureSetFault = "PUBKEY_INVALID" | "SIGNATURE_MALFORMED" | "SIGNATURE_INVALID";

/** A signature set whose points are decoded (on the curve), ready for batch verification. */
export interface DecodedSignatureSet {
  readonly set: SignatureSet;
  /** @internal blst objects; not part of the interface. */
  readonly points: { readonly pk: Blst.PublicKey; readonly sig: Blst.Signature };
}

/**
 * Decodes the points once (the costly square roots), without the subgroup checks, which run in
 * the batch. A point that does not even decode is reported at once.
 */
export function decodeSignatureSet(set: SignatureSet): DecodedSignatureSet | "PUBKEY_INVALID" | "SIGNATURE_MALFORMED" {
  let pk: Blst.PublicKey;
  try {
    pk = blst.PublicKey.fromBytes(set.pubkey, false);
  } catch {
    return "PUBKEY_INVALID";
  }
  try {
    return { set, points: { pk, sig: blst.Signature.fromBytes(set.signature, false) } };
  } catch {
    return "SIGNATURE_MALFORMED";
  }
}

/** True only if every set verifies, keys and signatures subgroup-checked inside the batch. */
export function verifySignatureSets(sets: readonly DecodedSignatureSet[]): boolean {
  if (sets.length === 0) return true;
  try {
    return blst.verifyMultipleAggregateSignatures(
      sets.map((s) => ({ msg: s.set.message, pk: s.points.pk, sig: s.points.sig })),
      true,
      true,
    );
  } catch {
    return false;
  }
}

/** Why one set fails, checked in full; null if it verifies. */
export function signatureSetFault(set: SignatureSet): SignatureSetFault | null {
  let pk: Blst.PublicKey;
  let sig: Blst.Signature;
  try {
    pk = blst.PublicKey.fromBytes(set.pubkey, true);
  } catch {
    return "PUBKEY_INVALID";
  }
  try {
    sig = blst.Signature.fromBytes(set.signature, true, true);
  } catch {
    return "SIGNATURE_MALFORMED";
  }
  return blst.verify(set.message, pk, sig) ? null : "SIGNATURE_INVALID";
}
