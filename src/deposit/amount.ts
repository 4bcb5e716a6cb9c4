import { InputError } from "../errors.js";

export const GWEI_PER_ETH = 1_000_000_000;
/** MAX_EFFECTIVE_BALANCE before Electra, and the only amount the deposit CLI writes for 0x00/0x01. */
export const DEPOSIT_AMOUNT_32_ETH_GWEI = 32 * GWEI_PER_ETH;
/** Electra: MIN_ACTIVATION_BALANCE .. MAX_EFFECTIVE_BALANCE_ELECTRA for compounding (0x02) validators. */
export const MIN_COMPOUNDING_DEPOSIT_GWEI = 1 * GWEI_PER_ETH;
export const MAX_COMPOUNDING_DEPOSIT_GWEI = 2048 * GWEI_PER_ETH;

/** "32", "1.5", "2048" (ETH, up to 9 decimals) -> Gwei, exactly; no floating point. */
export function parseEthAmount(value: string, flag = "--amount"): number {
  const match = /^(0|[1-9][0-9]{0,5})(?:\.([0-9]{1,9}))?$/.exec(value.trim());
  if (match === null) {
    throw new InputError(
      "INVALID_AMOUNT",
      `${flag} "${value}" is not an amount in ETH (a decimal number with at most 9 decimals, e.g. 32 or 1.5)`,
      { flag },
    );
  }
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? "").padEnd(9, "0"));
  return whole * GWEI_PER_ETH + fraction;
}

export function formatGweiAsEth(gwei: number): string {
  const whole = Math.floor(gwei / GWEI_PER_ETH);
  const fraction = gwei % GWEI_PER_ETH;
  return fraction === 0 ? `${whole}` : `${whole}.${String(fraction).padStart(9, "0").replace(/0+$/, "")}`;
}
