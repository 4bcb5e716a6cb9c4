/**
 * Signed voluntary exits in the JSON shape the deposit CLI's exit-transaction commands write, which
 * is also the body of the Beacon API's POST /eth/v1/beacon/pool/voluntary_exits: decimal strings
 * for numbers, 0x-hex signature.
 */
import { ssz } from "@lodestar/types";
import { computeSigningRoot } from "../chain/signing.js";
import { bls } from "../crypto/bls.js";
import { InputError } from "../errors.js";
import { parseHex, toPrefixedHex } from "../util/hex.js";
import { pythonJsonDumps } from "../util/pythonJson.js";

export interface SignedVoluntaryExitJson {
  readonly message: { readonly epoch: string; readonly validator_index: string };
  readonly signature: string;
}

export interface VoluntaryExitMessage {
  readonly epoch: number;
  readonly validatorIndex: number;
}

export function signVoluntaryExit(secretKey: Uint8Array, exit: VoluntaryExitMessage, domain: Uint8Array): SignedVoluntaryExitJson {
  const signingRoot = computeSigningRoot(ssz.phase0.VoluntaryExit, exit, domain);
  const signature = bls.SecretKey.fromBytes(secretKey).sign(signingRoot).toBytes();
  return {
    message: { epoch: String(exit.epoch), validator_index: String(exit.validatorIndex) },
    signature: toPrefixedHex(signature),
  };
}

export function verifySignedVoluntaryExit(exit: SignedVoluntaryExitJson, pubkey: Uint8Array, domain: Uint8Array): boolean {
  const message = { epoch: Number(exit.message.epoch), validatorIndex: Number(exit.message.validator_index) };
  const signingRoot = computeSigningRoot(ssz.phase0.VoluntaryExit, message, domain);
  const signature = parseHex(exit.signature, { what: "signature", bytes: 96, prefix: "required" });
  return bls.verify(pubkey, signingRoot, signature);
}

/** `signed_exit_transaction-<validator index>-<unix ts>.json`, as the deposit CLI names them. */
export function signedExitFileName(validatorIndex: number, unixSeconds: number): string {
  return `signed_exit_transaction-${validatorIndex}-${unixSeconds}.json`;
}

export function serializeSignedExit(exit: SignedVoluntaryExitJson): string {
  return pythonJsonDumps({ message: { ...exit.message }, signature: exit.signature });
}

/** Epochs and validator indices: uint64 on chain; whole numbers within 2^53 here. */
export function parseUint(value: string, flag: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
    throw new InputError("INVALID_ARGUMENT", `${flag} must be a whole number, got "${value}"`, { flag });
  }
  return Number(value);
}
