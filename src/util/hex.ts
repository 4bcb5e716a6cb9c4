import { InputError } from "../errors.js";

const HEX = /^[0-9a-fA-F]*$/;

export interface HexOptions {
  /** What the value is, for the error message ("withdrawal address", "fork version"). */
  readonly what: string;
  /** Exact length in bytes, when the value has one. */
  readonly bytes?: number;
  /** "required": must start with 0x; "forbidden": must not; "optional": either. */
  readonly prefix: "required" | "forbidden" | "optional";
}

/**
 * Strict hex decoding. Buffer.from(x, "hex") stops silently at the first bad character and drops
 * an odd trailing nibble; a key or a root decoded like that would be wrong without a word.
 */
export function parseHex(value: string, options: HexOptions): Uint8Array {
  const hasPrefix = value.startsWith("0x") || value.startsWith("0X");
  if (options.prefix === "required" && !hasPrefix) {
    throw new InputError("INVALID_HEX", `${options.what} must start with 0x (got "${clip(value)}")`, {
      what: options.what,
    });
  }
  if (options.prefix === "forbidden" && hasPrefix) {
    throw new InputError("INVALID_HEX", `${options.what} must be hex without a 0x prefix`, { what: options.what });
  }
  const digits = hasPrefix ? value.slice(2) : value;
  if (!HEX.test(digits) || digits.length % 2 !== 0) {
    throw new InputError("INVALID_HEX", `${options.what} is not valid hex (got "${clip(value)}")`, {
      what: options.what,
    });
  }
  if (options.bytes !== undefined && digits.length !== options.bytes * 2) {
    throw new InputError(
      "INVALID_HEX",
      `${options.what} must be ${options.bytes} bytes (${options.bytes * 2} hex digits), got ${digits.length} hex digits`,
      { what: options.what, expectedBytes: options.bytes, actualHexDigits: digits.length },
    );
  }
  return Uint8Array.from(Buffer.from(digits, "hex"));
}

/** Lower-case hex without 0x: the deposit CLI's encoding of bytes in deposit data and keystores. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Lower-case hex with 0x: the Beacon API's encoding of bytes. */
export function toPrefixedHex(bytes: Uint8Array): string {
  return `0x${toHex(bytes)}`;
}

function clip(value: string): string {
  return value.length > 20 ? `${value.slice(0, 20)}…` : value;
}
