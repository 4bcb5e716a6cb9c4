import { InputError } from "../../errors.js";
import { MAX_UINT64, type Uint64 } from "./types.js";

const DIGITS = /^[0-9]+$/;
/** 2^64-1 has 20 decimal digits; longer inputs are rejected before BigInt parses them. */
const MAX_DIGITS = 20;

/**
 * A decimal string as a uint64, or null when it is not one. Digits only: no sign, no exponent, no
 * hex, no spaces; leading zeros are read as decimal (never octal).
 */
export function parseDecimalUint64(text: string): Uint64 | null {
  if (!DIGITS.test(text)) return null;
  const significant = text.replace(/^0+(?=[0-9])/, "");
  if (significant.length > MAX_DIGITS) return null;
  const value = BigInt(significant);
  return value <= MAX_UINT64 ? value : null;
}

/** A slot or epoch handed in by code: bigint, or a number that is a safe non-negative integer. */
export function toUint64(value: bigint | number, what: string): Uint64 {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InputError("INVALID_ARGUMENT", `${what} must be a non-negative integer, got ${value}`, { what });
    }
    return BigInt(value);
  }
  if (value < 0n || value > MAX_UINT64) {
    throw new InputError("INVALID_ARGUMENT", `${what} must be a uint64 (0 to ${MAX_UINT64}), got ${value}`, { what });
  }
  return value;
}
