/**
 * EIP-2334 paths for validator keys: m / purpose 12381 / coin type 3600 / account i / use.
 * The withdrawal key is m/12381/3600/i/0 and the signing key its child m/12381/3600/i/0/0.
 */
import { DerivationError } from "./errors.js";

export const PURPOSE = 12381;
export const COIN_TYPE = 3600;

export function withdrawalKeyPath(index: number): string {
  return `m/${PURPOSE}/${COIN_TYPE}/${index}/0`;
}

export function signingKeyPath(index: number): string {
  return `m/${PURPOSE}/${COIN_TYPE}/${index}/0/0`;
}

/** "m/12381/3600/0/0/0" -> [12381, 3600, 0, 0, 0]. Rejects hardened markers ('), which EIP-2334 forbids. */
export function parsePath(path: string): number[] {
  const parts = path.split("/");
  if (parts[0] !== "m" || parts.length < 2) {
    throw new DerivationError("DERIVATION_PATH_INVALID", `derivation path "${path}" must start with "m/"`, { path });
  }
  return parts.slice(1).map((part) => {
    if (!/^(0|[1-9][0-9]*)$/.test(part) || Number(part) > 2 ** 32 - 1) {
      throw new DerivationError(
        "DERIVATION_PATH_INVALID",
        `derivation path "${path}" has an invalid index "${part}" (decimal 0..2^32-1, no ')`,
        { path },
      );
    }
    return Number(part);
  });
}

