/**
 * Withdrawal credentials (consensus specs): 0x00 BLS (hash of the withdrawal pubkey), 0x01
 * execution address, 0x02 compounding execution address (Electra, EIP-7251).
 */
import { createHash } from "node:crypto";
import { InputError } from "../errors.js";
import {
  DEPOSIT_AMOUNT_32_ETH_GWEI,
  MAX_COMPOUNDING_DEPOSIT_GWEI,
  MIN_COMPOUNDING_DEPOSIT_GWEI,
  formatGweiAsEth,
} from "./amount.js";

export type WithdrawalType = "bls" | "execution" | "compounding";

export const WITHDRAWAL_PREFIX: Readonly<Record<WithdrawalType, number>> = { bls: 0x00, execution: 0x01, compounding: 0x02 };

export function blsWithdrawalCredentials(withdrawalPubkey: Uint8Array): Uint8Array {
  const credentials = new Uint8Array(createHash("sha256").update(withdrawalPubkey).digest());
  credentials[0] = WITHDRAWAL_PREFIX.bls;
  return credentials;
}

export function addressWithdrawalCredentials(type: "execution" | "compounding", address: Uint8Array): Uint8Array {
  const credentials = new Uint8Array(32);
  credentials[0] = WITHDRAWAL_PREFIX[type];
  credentials.set(address, 12);
  return credentials;
}

export function withdrawalTypeOf(credentials: Uint8Array): WithdrawalType | null {
  switch (credentials[0]) {
    case 0x00:
      return "bls";
    case 0x01:
      return "execution";
    case 0x02:
      return "compounding";
    default:
      return null;
  }
}

/** Bytes 1..11 of 0x01/0x02 credentials must be zero; the address is bytes 12..31. */
export function withdrawalAddressOf(credentials: Uint8Array): Uint8Array | null {
  const type = withdrawalTypeOf(credentials);
  if (type !== "execution" && type !== "compounding") return null;
  return credentials.subarray(1, 12).every((b) => b === 0) ? credentials.slice(12) : null;
}

/** The deposit amounts the deposit CLI allows: exactly 32 ETH, or 1..2048 ETH for compounding (0x02). */
export function amountProblem(type: WithdrawalType, amountGwei: number): string | null {
  if (!Number.isSafeInteger(amountGwei) || amountGwei <= 0) return `amount must be a positive whole number of Gwei`;
  if (type === "compounding") {
    if (amountGwei < MIN_COMPOUNDING_DEPOSIT_GWEI || amountGwei > MAX_COMPOUNDING_DEPOSIT_GWEI) {
      return `a compounding (0x02) deposit is 1 to 2048 ETH, got ${formatGweiAsEth(amountGwei)} ETH`;
    }
    return null;
  }
  if (amountGwei !== DEPOSIT_AMOUNT_32_ETH_GWEI) {
    const kind = type === "bls" ? "BLS (0x00)" : "execution (0x01)";
    return `a deposit with ${kind} withdrawal credentials is exactly 32 ETH, got ${formatGweiAsEth(amountGwei)} ETH (other amounts need --compounding)`;
  }
  return null;
}

export function assertAmountAllowed(type: WithdrawalType, amountGwei: number): void {
  const problem = amountProblem(type, amountGwei);
  if (problem !== null) throw new InputError("INVALID_AMOUNT", problem, { amountGwei, withdrawalType: type });
}
