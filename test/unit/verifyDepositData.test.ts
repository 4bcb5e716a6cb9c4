import { describe, expect, it } from "vitest";
import { knownNetwork } from "../../src/chain/networks.js";
import { bls } from "../../src/crypto/bls.js";
import { buildDepositDataEntry, type DepositDataEntry } from "../../src/deposit/depositData.js";
import { formatDepositProblem, verifyDepositData } from "../../src/deposit/verifyDepositData.js";
import { addressWithdrawalCredentials } from "../../src/deposit/withdrawalCredentials.js";

const hoodi = knownNetwork("hoodi");
const address = Uint8Array.from(Buffer.from("71c7656ec7ab88b098defb751b7401b5f6d8976f", "hex"));
const otherAddress = Uint8Array.from(Buffer.from("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "hex"));

function deposit(seed: number, overrides: Partial<{ type: "execution" | "compounding"; amountGwei: number }> = {}): DepositDataEntry {
  return buildDepositDataEntry({
    secretKey: bls.SecretKey.fromKeygen(Buffer.alloc(32, `key ${seed}`)).toBytes(),
    withdrawalCredentials: addressWithdrawalCredentials(overrides.type ?? "execution", address),
    amountGwei: overrides.amountGwei ?? 32_000_000_000,
    network: hoodi,
  });
}

const valid = [deposit(1), deposit(2)];

function withEntry(index: number, edit: (entry: Record<string, unknown>) => void): unknown[] {
  const copy = valid.map((entry) => ({ ...entry }) as Record<string, unknown>);
  edit(copy[index] as Record<string, unknown>);
  return copy;
}

function flipHex(hex: string, at: number): string {
  const c = hex.charAt(at) === "0" ? "1" : "0";
  return hex.slice(0, at) + c + hex.slice(at + 1);
}

describe("deposit data verification", () => {
  it("passes good deposits and returns them decoded", () => {
    const result = verifyDepositData(valid, { network: hoodi, withdrawalAddress: address });
    expect(result.problems).toEqual([]);
    expect(result.valid.map((v) => Buffer.from(v.pubkey).toString("hex"))).toEqual(valid.map((v) => v.pubkey));
  });

  it.each([
    // [what is wrong, edit of entry 1, code, field]
    ["pubkey missing", (e: Record<string, unknown>) => delete e["pubkey"], "FIELD_MISSING", "pubkey"],
    ["amount as a string", (e: Record<string, unknown>) => (e["amount"] = "32000000000"), "FIELD_TYPE", "amount"],
    ["pubkey with 0x", (e: Record<string, unknown>) => (e["pubkey"] = `0x${String(e["pubkey"])}`), "HEX_INVALID", "pubkey"],
    ["signature one byte short", (e: Record<string, unknown>) => (e["signature"] = String(e["signature"]).slice(2)), "HEX_INVALID", "signature"],
    ["a non-hex root", (e: Record<string, unknown>) => (e["deposit_data_root"] = "xy".repeat(32)), "HEX_INVALID", "deposit_data_root"],
    ["a tampered deposit_message_root", (e: Record<string, unknown>) => (e["deposit_message_root"] = flipHex(String(e["deposit_message_root"]), 5)), "DEPOSIT_MESSAGE_ROOT_MISMATCH", "deposit_message_root"],
    ["a tampered deposit_data_root", (e: Record<string, unknown>) => (e["deposit_data_root"] = flipHex(String(e["deposit_data_root"]), 5)), "DEPOSIT_DATA_ROOT_MISMATCH", "deposit_data_root"],
    ["another key's signature", (e: Record<string, unknown>) => (e["signature"] = valid[0]?.signature), "SIGNATURE_INVALID", "signature"],
    ["a signature that is not a curve point", (e: Record<string, unknown>) => (e["signature"] = `c0${"00".repeat(95)}`.replace(/^c0/, "a0")), "SIGNATURE_MALFORMED", "signature"],
    ["a pubkey that is not a curve point", (e: Record<string, unknown>) => (e["pubkey"] = `a0${"00".repeat(47)}`), "PUBKEY_INVALID", "pubkey"],
    ["another network's fork version and name", (e: Record<string, unknown>) => Object.assign(e, { fork_version: "90000069", network_name: "sepolia" }), "FORK_VERSION_MISMATCH", "fork_version"],
    ["a network name that contradicts the fork version", (e: Record<string, unknown>) => (e["network_name"] = "mainnet"), "NETWORK_DISAGREES", "fork_version"],
    ["an unknown network name", (e: Record<string, unknown>) => (e["network_name"] = "hoody"), "NETWORK_NAME_MISMATCH", "network_name"],
    ["the other deposit's pubkey", (e: Record<string, unknown>) => (e["pubkey"] = valid[0]?.pubkey), "DUPLICATE_PUBKEY", "pubkey"],
    ["withdrawal credentials prefix 0x03", (e: Record<string, unknown>) => (e["withdrawal_credentials"] = `03${String(e["withdrawal_credentials"]).slice(2)}`), "WITHDRAWAL_CREDENTIALS_INVALID", "withdrawal_credentials"],
    ["deposit_cli_version missing", (e: Record<string, unknown>) => delete e["deposit_cli_version"], "FIELD_MISSING", "deposit_cli_version"],
  ])("reports %s", (_what, edit, code, field) => {
    const result = verifyDepositData(withEntry(1, edit), { network: hoodi });
    expect(result.problems.map((p) => [p.entry, p.code, p.field])).toContainEqual([1, code, field]);
    expect(result.problems.every((p) => p.entry === 1)).toBe(true);
    expect(result.valid.map((v) => v.entry)).toEqual([0]);
  });

  it("reports credentials paying another address, naming both addresses", () => {
    const result = verifyDepositData(valid, { network: hoodi, withdrawalAddress: otherAddress });
    expect(result.problems.map((p) => p.code)).toEqual(["WITHDRAWAL_CREDENTIALS_MISMATCH", "WITHDRAWAL_CREDENTIALS_MISMATCH"]);
    expect(formatDepositProblem(result.problems[0]!)).toMatch(/entry 0 .*withdrawal_credentials: pay 0x71C7656EC7ab88b098defB751B7401B5f6d8976F, expected 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed/);
  });

  it("applies the deposit CLI's amount rules: 0x01 must be 32 ETH, 0x02 may be 1 to 2048", () => {
    const result = verifyDepositData(
      [deposit(3, { amountGwei: 33_000_000_000 }), deposit(4, { type: "compounding", amountGwei: 1_000_000_000_000 })],
      { network: hoodi },
    );
    expect(result.problems.map((p) => [p.entry, p.code])).toEqual([[0, "AMOUNT_NOT_ALLOWED"]]);
  });

  it("checks an expected amount exactly", () => {
    const result = verifyDepositData(valid, { network: hoodi, amountGwei: 1_000_000_000 });
    expect(result.problems.map((p) => p.code)).toEqual(["AMOUNT_MISMATCH", "AMOUNT_MISMATCH"]);
  });

  it("verifies signatures in batches and still finds the one bad entry in a large file", () => {
    const many = Array.from({ length: 300 }, (_, i) => deposit(i + 10));
    const bad = 217;
    const tampered = many.map((e, i) => (i === bad ? { ...e, signature: many[0]?.signature } : e));
    const result = verifyDepositData(tampered, { network: hoodi });
    // The swapped signature also changes the deposit's hash-tree root; both are reported.
    expect(result.problems.map((p) => [p.entry, p.code])).toEqual([
      [bad, "DEPOSIT_DATA_ROOT_MISMATCH"],
      [bad, "SIGNATURE_INVALID"],
    ]);
    expect(result.valid).toHaveLength(299);
  });

  it.each([
    ["an object", { pubkey: "x" }, "NOT_AN_ARRAY"],
    ["an empty array", [], "EMPTY"],
  ])("refuses %s as a file", (_what, json, code) => {
    expect(verifyDepositData(json, { network: hoodi }).problems.map((p) => p.code)).toEqual([code]);
  });

  it("reports an entry that is not an object", () => {
    const result = verifyDepositData([valid[0], 42], { network: hoodi });
    expect(result.problems.map((p) => [p.entry, p.code])).toEqual([[1, "ENTRY_NOT_OBJECT"]]);
  });
});

