/**
 * A real stakeops service for API tests: real database (SQLite or PostgreSQL), real custody folder,
 * requests through fastify's inject. Beacon node and Keymanager clients are injectable.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { LightMyRequestResponse } from "fastify";
import { createApp, type App, type AppOverrides } from "../../src/app.js";
import type { ServiceConfig } from "../../src/config/loadConfig.js";
import { knownNetwork } from "../../src/chain/networks.js";
import { addressWithdrawalCredentials } from "../../src/deposit/withdrawalCredentials.js";
import { createTestDatabase, type Engine } from "./stores.js";

export const ADMIN_TOKEN = "admin-token-for-tests-0123456789";
export const SERVICE_PASSWORD = "service-keystore-password-for-tests";

export interface TestApp {
  readonly app: App;
  readonly config: ServiceConfig;
  readonly keysDir: string;
  /** Everything the service logged, for "no secret in logs" checks. */
  logs(): string;
  request(method: string, url: string, options?: { token?: string | null; body?: unknown; rawBody?: string; contentType?: string }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface TestAppOptions extends AppOverrides {
  readonly engine?: Engine;
  readonly config?: Partial<ServiceConfig>;
  /** Another instance on the same database and custody folder (owned and removed by the first). */
  readonly sameAs?: TestApp;
}

/** The protocol's withdrawal address in these tests: the one the deposit-CLI fixtures used. */
export const FIXTURE_WITHDRAWAL_CREDENTIALS = addressWithdrawalCredentials("execution", Uint8Array.from(Buffer.from("0000000000000000000000000000000000000001", "hex")));

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database =
    options.sameAs === undefined
      ? await createTestDatabase(options.engine ?? "sqlite")
      : { config: options.sameAs.config.database, dispose: async () => undefined };
  const keysDir = options.sameAs?.keysDir ?? (await mkdtemp(join(tmpdir(), "stakeops-keys-")));
  const config: ServiceConfig = {
    host: "127.0.0.1",
    port: 0,
    database: database.config,
    adminToken: ADMIN_TOKEN,
    network: knownNetwork("hoodi"),
    withdrawalCredentials: FIXTURE_WITHDRAWAL_CREDENTIALS,
    depositAmountGwei: 32_000_000_000,
    keystorePassword: SERVICE_PASSWORD,
    keysDir,
    beaconNodeUrls: [],
    inventoryIntervalMs: 3_600_000,
    statusIntervalMs: 3_600_000,
    migration: { intervalMs: 3_600_000, offlineEpochs: 2, timeoutEpochs: 10 },
    monitor: { enabled: false, intervalMs: 3_600_000, retentionEpochs: 1575, maxCatchupEpochs: 225 },
    exits: { dryRun: true, killSwitch: false, policy: null, intervalMs: 3_600_000, executionRpcUrl: null },
    risk: { intervalMs: 3_600_000, doppelgangerWindowEpochs: 1575 },
    keygenWorkers: 2,
    bodyLimitBytes: 32 * 1024 * 1024,
    logLevel: "info",
    ...options.config,
  };
  let logs = "";
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs += chunk.toString("utf8");
      done();
    },
  });
  const app = await createApp(config, { logStream, jobPollIntervalMs: 3_600_000, ...options });
  await app.server.ready();
  return {
    app,
    config,
    keysDir,
    logs: () => logs,
    request: (method, url, request = {}) => {
      const token = request.token === undefined ? ADMIN_TOKEN : request.token;
      const headers: Record<string, string> = {};
      if (token !== null) headers["authorization"] = `Bearer ${token}`;
      if (request.body !== undefined || request.rawBody !== undefined) headers["content-type"] = request.contentType ?? "application/json";
      return app.server.inject({
        method: method as "GET",
        url,
        headers,
        ...(request.rawBody !== undefined ? { payload: request.rawBody } : request.body !== undefined ? { payload: JSON.stringify(request.body) } : {}),
      });
    },
    close: async () => {
      await app.stop();
      await database.dispose();
      if (options.sameAs === undefined) await rm(keysDir, { recursive: true, force: true });
    },
  };
}

export async function createOperator(t: TestApp, name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
  const response = await t.request("POST", "/api/v1/operators", { body: { name, ...extra } });
  if (response.statusCode !== 201) throw new Error(`creating operator ${name}: ${response.statusCode} ${response.body}`);
  return response.json<{ id: string; token: string }>();
}
