import { StakeopsError } from "../errors.js";

export type MnemonicErrorCode =
  | "MNEMONIC_WORD_COUNT"
  | "MNEMONIC_UNKNOWN_WORD"
  | "MNEMONIC_CHECKSUM"
  | "MNEMONIC_UNKNOWN_LANGUAGE";

/** Never carries the mnemonic or any of its words: positions only. */
export class MnemonicError extends StakeopsError<MnemonicErrorCode> {}

export type KeystoreErrorCode =
  | "KEYSTORE_INVALID"
  | "KEYSTORE_UNSUPPORTED"
  | "KEYSTORE_WRONG_PASSWORD"
  | "KEYSTORE_PUBKEY_MISMATCH"
  | "KEYSTORE_WEAK_PASSWORD";

export class KeystoreError extends StakeopsError<KeystoreErrorCode> {}

export type DerivationErrorCode = "DERIVATION_PATH_INVALID" | "DERIVATION_SEED_TOO_SHORT";

export class DerivationError extends StakeopsError<DerivationErrorCode> {}
