/**
 * Registering a batch of 10,000 deposit-data entries through the HTTP API (parse, every check,
 * BLS signatures, duplicate and limit rules, one transaction). Target (issue 3): under 5 s on this
 * machine. Baseline in the same run: verifying the same file with `deposit verify`'s code alone.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app.js";
import { knownNetwork } from "../src/chain/networks.js";
import { bls } from "../src/crypto/bls.js";
import { buildDepositDataEntry, serializeDepositDataFile } from "../src/deposit/depositData.js";
import { verifyDepositData } from "../src/deposit/verifyDepositData.js";
import { addressWithdrawalCredentials } from "../src/deposit/withdrawalCredentials.js";
import type { BenchResult } from "./stats.js";

const ENTRIES = 10_000;
const ADMIN = "benchmark-admin-token-0123456789";

export async function benchRegistration(): Promise<BenchResult[]> {
  const network = knownNetwork("hoodi");
  const credentials = addressWithdrawalCredentials("execution", new Uint8Array(20).fill(0x33));
  const text = serializeDepositDataFile(
    Array.from({ length: ENTRIES }, (_, i) =>
      buildDepositDataEntry({
        secretKey: bls.SecretKey.fromKeygen(Buffer.alloc(32, `registration bench ${i}`)).toBytes(),
        withdrawalCredentials: credentials,
        amountGwei: 32_000_000_000,
        network,
      }),
    ),
  );

  let started = performance.now();
  const verified = verifyDepositData(JSON.parse(text), { network, withdrawalCredentials: credentials });
  const verifySeconds = (performance.now() - started) / 1000;
  if (verified.problems.length > 0) throw new Error("benchmark deposits failed verification");

  const dir = await mkdtemp(join(tmpdir(), "stakeops-bench-"));
  const app = await createApp({
    host: "127.0.0.1",
    port: 0,
    database: { kind: "sqlite", path: join(dir, "bench.db") },
    adminToken: ADMIN,
    network,
    withdrawalCredentials: credentials,
    depositAmountGwei: 32_000_000_000,
    keystorePassword: "benchmark-service-password",
    keysDir: join(dir, "keys"),
    beaconNodeUrls: [],
    inventoryIntervalMs: 3_600_000,
    statusIntervalMs: 3_600_000,
    keygenWorkers: undefined,
    bodyLimitBytes: 64 * 1024 * 1024,
    logLevel: "warn",
  });
  try {
    const headers = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
    const operator = await app.server.inject({ method: "POST", url: "/api/v1/operators", headers, payload: JSON.stringify({ name: "bench" }) });
    const { id } = operator.json<{ id: string }>();
    started = performance.now();
    const response = await app.server.inject({ method: "POST", url: `/api/v1/operators/${id}/keys/deposit-data`, headers, payload: text });
    const seconds = (performance.now() - started) / 1000;
    const body = response.json<{ registered: number }>();
    if (body.registered !== ENTRIES) throw new Error(`expected ${ENTRIES} registered, got ${response.body.slice(0, 200)}`);
    return [
      { name: `deposit verify of the same ${ENTRIES} entries (baseline)`, value: verifySeconds, unit: "s" },
      { name: `POST .../keys/deposit-data, ${ENTRIES} entries, SQLite (all rules, one transaction)`, value: seconds, unit: "s", ratio: seconds / verifySeconds, target: 5, targetIsAbsolute: true, lowerIsBetter: true },
    ];
  } finally {
    await app.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
