/**
 * Execution-layer addresses with EIP-55 checksums (keccak-256 from @noble/hashes; node:crypto has
 * only the standardized SHA3, whose padding differs from Ethereum's Keccak).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { InputError } from "../errors.js";

export function toChecksumAddress(addressBytes: Uint8Array): string {
  const lower = Buffer.from(addressBytes).toString("hex");
  const hash = Buffer.from(keccak_256(new TextEncoder().encode(lower))).toString("hex");
  let out = "0x";
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charAt(i);
    out += parseInt(hash.charAt(i), 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

export interface AddressOptions {
  readonly flag: string;
  /**
   * Require EIP-55 checksum form, as the deposit CLI does for withdrawal addresses: a typo in an
   * all-lower-case address cannot be caught, and this address receives every withdrawn wei.
   */
  readonly requireChecksum: boolean;
}

export function parseAddress(value: string, options: AddressOptions): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new InputError(
      "INVALID_ADDRESS",
      `${options.flag} "${value}" is not an execution address (0x followed by 40 hex digits)`,
      { flag: options.flag },
    );
  }
  const bytes = Uint8Array.from(Buffer.from(value.slice(2), "hex"));
  const digits = value.slice(2);
  const checksummed = toChecksumAddress(bytes) === value;
  const singleCase = digits === digits.toLowerCase() || digits === digits.toUpperCase();
  if (checksummed) return bytes;
  if (!singleCase) {
    throw new InputError("INVALID_ADDRESS", `${options.flag} ${value} fails its EIP-55 checksum: a character is wrong`, {
      flag: options.flag,
    });
  }
  if (options.requireChecksum) {
    throw new InputError(
      "INVALID_ADDRESS",
      `${options.flag} ${value} is not in EIP-55 checksum form (mixed case); copy the address from a wallet or ` +
        "explorer that shows the checksummed form, so a typo cannot send withdrawals to the wrong address",
      { flag: options.flag },
    );
  }
  return bytes;
}
