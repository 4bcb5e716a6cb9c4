/**
 * Deposit data verification: 10,000 entries from a JSON file's text to a verdict (parse, roots,
 * BLS signatures, duplicates). Target (issue 2): ≥ 2,000 entries/s on this 2-core machine.
 * Baseline in the same run: the same entries' signatures verified one at a time (no batching).
 */
import { ssz } from "@lodestar/types";
import { knownNetwork } from "../src/chain/networks.js";
import { computeSigningRoot, depositDomain } from "../src/chain/signing.js";
import { bls } from "../src/crypto/bls.js";
import { buildDepositDataEntry, serializeDepositDataFile } from "../src/deposit/depositData.js";
import { verifyDepositData } from "../src/deposit/verifyDepositData.js";
import { addressWithdrawalCredentials } from "../src/deposit/withdrawalCredentials.js";
import type { BenchResult } from "./stats.js";

const ENTRIES = 10_000;

export function benchDeposits(): Promise<BenchResult[]> {
  const network = knownNetwork("mainnet");
  const credentials = addressWithdrawalCredentials("execution", new Uint8Array(20).fill(0x22));
  const entries = Array.from({ length: ENTRIES }, (_, i) =>
    buildDepositDataEntry({
      secretKey: bls.SecretKey.fromKeygen(Buffer.alloc(32, `bench key ${i}`)).toBytes(),
      withdrawalCredentials: credentials,
      amountGwei: 32_000_000_000,
      network,
    }),
  );
  const text = serializeDepositDataFile(entries);

  const domain = depositDomain(network.genesisForkVersion);
  let started = performance.now();
  for (const entry of JSON.parse(text) as typeof entries) {
    const message = {
      pubkey: Buffer.from(entry.pubkey, "hex"),
      withdrawalCredentials: Buffer.from(entry.withdrawal_credentials, "hex"),
      amount: entry.amount,
    };
    const ok = bls.verify(message.pubkey, computeSigningRoot(ssz.phase0.DepositMessage, message, domain), Buffer.from(entry.signature, "hex"));
    if (!ok) throw new Error("baseline: a signature failed");
  }
  const baseline = ENTRIES / ((performance.now() - started) / 1000);

  started = performance.now();
  const result = verifyDepositData(JSON.parse(text), { network });
  const rate = ENTRIES / ((performance.now() - started) / 1000);
  if (result.problems.length > 0) throw new Error("benchmark deposits failed verification");

  return Promise.resolve([
    { name: `one signature at a time, 1 thread, signatures only (baseline)`, value: baseline, unit: "entries/s" },
    { name: `deposit verify (JSON text to verdict, all checks, batched)`, value: rate, unit: "entries/s", ratio: rate / baseline, target: 2000, targetIsAbsolute: true },
  ]);
}
