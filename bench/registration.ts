/**
 * Registering a batch of 10,000 deposit-data entries through the HTTP API (parse, every check,
 * BLS signatures, duplicate and limit rules, one transaction). Target (issue 3): under 5 s on this
 * machine. Baseline in the same run: verifying the same file with `deposit verify`'s code alone.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import pg from "pg";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/app.js";
import { knownNetwork } from "../src/chain/networks.js";
import { bls } from "../src/crypto/bls.js";
import { buildDepositDataEntry, serializeDepositDataFile } from "../src/deposit/depositData.js";
import { verifyDepositData } from "../src/deposit/verifyDepositData.js";
import { addressWithdrawalCredentials } from "../src/deposit/withdrawalCredentials.js";
import type { DatabaseConfig } from "../src/config/loadConfig.js";
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

  const results: BenchResult[] = [{ name: `deposit verify of the same ${ENTRIES} entries (baseline)`, value: verifySeconds, unit: "s" }];
  const dir = await mkdtemp(join(tmpdir(), "stakeops-bench-"));
  try {
    const sqlite = await registerOnce({ kind: "sqlite", path: join(dir, "bench.db") }, join(dir, "keys-sqlite"), text, network, credentials);
    results.push(registrationResult("SQLite", sqlite, verifySeconds));
    const postgres = await withPostgresDatabase((config) => registerOnce(config, join(dir, "keys-pg"), text, network, credentials));
    if (postgres !== null) results.push(registrationResult("PostgreSQL", postgres, verifySeconds));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

function registrationResult(engine: string, seconds: number, baseline: number): BenchResult {
  return {
    name: `POST .../keys/deposit-data, ${ENTRIES} entries, ${engine} (all rules, one transaction)`,
    value: seconds,
    unit: "s",
    ratio: seconds / baseline,
    target: 5,
    targetIsAbsolute: true,
    lowerIsBetter: true,
  };
}

async function registerOnce(
  database: DatabaseConfig,
  keysDir: string,
  text: string,
  network: ReturnType<typeof knownNetwork>,
  credentials: Uint8Array,
): Promise<number> {
  const app = await createApp({
    host: "127.0.0.1",
    port: 0,
    database,
    adminToken: ADMIN,
    network,
    withdrawalCredentials: credentials,
    depositAmountGwei: 32_000_000_000,
    keystorePassword: "benchmark-service-password",
    keysDir,
    beaconNodeUrls: [],
    inventoryIntervalMs: 3_600_000,
    migration: { intervalMs: 3_600_000, offlineEpochs: 2, timeoutEpochs: 10 },
    statusIntervalMs: 3_600_000,
    monitor: { enabled: false, intervalMs: 3_600_000, retentionEpochs: 1575, maxCatchupEpochs: 225 },
    exits: { dryRun: true, killSwitch: false, policy: null, intervalMs: 3_600_000, executionRpcUrl: null },
    risk: { intervalMs: 3_600_000, doppelgangerWindowEpochs: 1575 },
    keygenWorkers: undefined,
    bodyLimitBytes: 64 * 1024 * 1024,
    logLevel: "warn",
  });
  try {
    const headers = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
    const operator = await app.server.inject({ method: "POST", url: "/api/v1/operators", headers, payload: JSON.stringify({ name: "bench" }) });
    const { id } = operator.json<{ id: string }>();
    const started = performance.now();
    const response = await app.server.inject({ method: "POST", url: `/api/v1/operators/${id}/keys/deposit-data`, headers, payload: text });
    const seconds = (performance.now() - started) / 1000;
    if (response.json<{ registered: number }>().registered !== ENTRIES) throw new Error(`expected ${ENTRIES} registered, got ${response.body.slice(0, 200)}`);
    return seconds;
  } finally {
    await app.stop();
  }
}

/** A throw-away database on the local PostgreSQL, or null (and a note) when there is none. */
async function withPostgresDatabase<T>(run: (config: DatabaseConfig) => Promise<T>): Promise<T | null> {
  const adminUrl = process.env["STAKEOPS_TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `stakeops_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch {
    console.log("(no PostgreSQL on 127.0.0.1:5432: its figure is skipped)");
    return null;
  }
  try {
    await admin.query(`create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await run({ kind: "postgres", url: url.toString() });
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
