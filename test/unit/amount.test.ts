import { describe, expect, it } from "vitest";
import { formatGweiAsEth, parseEthAmount } from "../../src/deposit/amount.js";
import { amountProblem } from "../../src/deposit/withdrawalCredentials.js";
import { InputError } from "../../src/errors.js";

describe("ETH amounts", () => {
  it.each([
    ["32", 32_000_000_000],
    ["1", 1_000_000_000],
    ["1.5", 1_500_000_000],
    ["2048", 2_048_000_000_000],
    ["0.000000001", 1],
    [" 32 ", 32_000_000_000],
  ])("%s ETH is %i Gwei", (eth, gwei) => {
    expect(parseEthAmount(eth)).toBe(gwei);
    expect(parseEthAmount(formatGweiAsEth(gwei))).toBe(gwei);
  });

  it.each(["", "-1", "1e3", "0x20", "32.0000000001", "1,5", "abc", "01"])("refuses %j", (eth) => {
    expect(() => parseEthAmount(eth)).toThrow(InputError);
  });

  it.each([
    // [withdrawal type, gwei, allowed]
    ["bls", 32_000_000_000, true],
    ["execution", 32_000_000_000, true],
    ["execution", 31_000_000_000, false], // only 0x02 takes other amounts
    ["bls", 64_000_000_000, false],
    ["compounding", 1_000_000_000, true], // the minimum
    ["compounding", 2_048_000_000_000, true], // MAX_EFFECTIVE_BALANCE_ELECTRA
    ["compounding", 999_999_999, false],
    ["compounding", 2_048_000_000_001, false],
    ["compounding", 0, false],
  ] as const)("%s credentials with %i Gwei: allowed=%s", (type, gwei, allowed) => {
    expect(amountProblem(type, gwei) === null).toBe(allowed);
  });
});
