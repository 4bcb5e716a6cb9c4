/**
 * Auth on every API route: no token or a wrong one is 401; an operator token reaching another
 * operator's resource gets the same 404 as a missing resource; admin-only routes are 403.
 * The route table is checked against the OpenAPI document, so a new route without a row fails.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOperator, startTestApp, type TestApp } from "../helpers/app.js";
import { startSimulatedValidatorClient, type SimulatedValidatorClient } from "../helpers/keymanagerSimulator.js";
import { KeyMigrationsRepository } from "../../src/store/keyMigrations.js";

let t: TestApp;
let vc: SimulatedValidatorClient;
let a: { id: string; token: string };
let b: { id: string; token: string };
let ids: { clientA: string; jobA: string; pubkeyA: string };
const migrationA = "9b0c3f4e-2f59-4a55-9d38-5a4f6c1e0a01";

beforeAll(async () => {
  t = await startTestApp();
  vc = await startSimulatedValidatorClient();
  a = await createOperator(t, "operator-a");
  b = await createOperator(t, "operator-b");
  const deposits = JSON.parse(await readFile(new URL("../fixtures/deposit-cli/multiple_validators/hoodi/deposit_data-1755071454.json", import.meta.url), "utf8")) as { pubkey: string }[];
  await t.request("POST", `/api/v1/operators/${a.id}/keys/deposit-data`, { token: a.token, body: [deposits[0]] });
  const client = await t.request("POST", `/api/v1/operators/${a.id}/validator-clients`, { token: a.token, body: { url: vc.url, token: vc.token } });
  const job = await t.request("POST", `/api/v1/operators/${a.id}/keys/generate`, { token: a.token, body: { count: 1 } });
  ids = { clientA: client.json<{ id: string }>().id, jobA: job.json<{ jobId: string }>().jobId, pubkeyA: `0x${deposits[0]!.pubkey}` };
  // A migration of operator A's (requesting one needs a beacon node; only its visibility matters here).
  await new KeyMigrationsRepository(t.app.store.db).create({ id: migrationA, operator_id: a.id, from_client_id: ids.clientA, to_client_id: ids.clientA, offline_epochs_required: 2, epoch_seconds: 384, created_at: "2026-01-01T00:00:00.000Z" }, []);
});
afterAll(async () => {
  await vc.close();
  await t.close();
});

interface Row {
  readonly method: string;
  /** OpenAPI path, e.g. /api/v1/operators/{id}. */
  readonly path: string;
  readonly url: () => string;
  readonly body?: () => unknown;
  /** What operator B gets on operator A's resource. */
  readonly foreign: 403 | 404 | "filtered";
}

const ROUTES: readonly Row[] = [
  { method: "POST", path: "/api/v1/operators", url: () => "/api/v1/operators", body: () => ({ name: "new-one" }), foreign: 403 },
  { method: "GET", path: "/api/v1/operators", url: () => "/api/v1/operators", foreign: "filtered" },
  { method: "GET", path: "/api/v1/operators/{id}", url: () => `/api/v1/operators/${a.id}`, foreign: 404 },
  { method: "PATCH", path: "/api/v1/operators/{id}", url: () => `/api/v1/operators/${a.id}`, body: () => ({ active: true }), foreign: 403 },
  { method: "POST", path: "/api/v1/operators/{id}/keys/deposit-data", url: () => `/api/v1/operators/${a.id}/keys/deposit-data`, body: () => [{ pubkey: "x" }], foreign: 404 },
  { method: "POST", path: "/api/v1/operators/{id}/keys/keystores", url: () => `/api/v1/operators/${a.id}/keys/keystores`, body: () => ({ keystores: ["{}"], passwords: ["x"] }), foreign: 404 },
  { method: "POST", path: "/api/v1/operators/{id}/keys/existing", url: () => `/api/v1/operators/${a.id}/keys/existing`, body: () => ({ pubkeys: [ids.pubkeyA] }), foreign: 404 },
  { method: "POST", path: "/api/v1/operators/{id}/keys/generate", url: () => `/api/v1/operators/${a.id}/keys/generate`, body: () => ({ count: 1 }), foreign: 404 },
  { method: "GET", path: "/api/v1/operators/{id}/keys", url: () => `/api/v1/operators/${a.id}/keys`, foreign: 404 },
  { method: "GET", path: "/api/v1/operators/{id}/deposit-data", url: () => `/api/v1/operators/${a.id}/deposit-data`, foreign: 404 },
  { method: "POST", path: "/api/v1/operators/{id}/validator-clients", url: () => `/api/v1/operators/${a.id}/validator-clients`, body: () => ({ url: vc.url, token: vc.token }), foreign: 404 },
  { method: "GET", path: "/api/v1/operators/{id}/validator-clients", url: () => `/api/v1/operators/${a.id}/validator-clients`, foreign: 404 },
  { method: "POST", path: "/api/v1/validator-clients/{id}/keys", url: () => `/api/v1/validator-clients/${ids.clientA}/keys`, body: () => ({ pubkeys: [ids.pubkeyA] }), foreign: 404 },
  { method: "DELETE", path: "/api/v1/validator-clients/{id}/keys", url: () => `/api/v1/validator-clients/${ids.clientA}/keys`, body: () => ({ pubkeys: [ids.pubkeyA] }), foreign: 404 },
  { method: "GET", path: "/api/v1/jobs/{jobId}", url: () => `/api/v1/jobs/${ids.jobA}`, foreign: 404 },
  { method: "GET", path: "/api/v1/inventory/findings", url: () => "/api/v1/inventory/findings", foreign: "filtered" },
  // Risk signals: an operator's list holds only its own keys' and its own clients' signals.
  { method: "GET", path: "/api/v1/risk", url: () => "/api/v1/risk", foreign: "filtered" },
  { method: "GET", path: "/api/v1/operators/{id}/performance", url: () => `/api/v1/operators/${a.id}/performance`, foreign: 404 },
  { method: "GET", path: "/api/v1/validators/{validator}/performance", url: () => `/api/v1/validators/${ids.pubkeyA}/performance`, foreign: 404 },
  // Chain-wide bookkeeping (epochs processed or skipped): nothing of any operator's in it.
  { method: "GET", path: "/api/v1/monitor/status", url: () => "/api/v1/monitor/status", foreign: "filtered" },
  { method: "GET", path: "/api/v1/exit-policy", url: () => "/api/v1/exit-policy", foreign: 403 },
  { method: "PUT", path: "/api/v1/exit-policy", url: () => "/api/v1/exit-policy", body: () => ({ rules: [] }), foreign: 403 },
  { method: "GET", path: "/api/v1/exits", url: () => "/api/v1/exits", foreign: "filtered" },
  {
    method: "POST",
    path: "/api/v1/operators/{id}/exits/presigned",
    url: () => `/api/v1/operators/${a.id}/exits/presigned`,
    body: () => [{ message: { epoch: "0", validator_index: "1" }, signature: `0x${"00".repeat(96)}` }],
    foreign: 404,
  },
  { method: "POST", path: "/api/v1/validators/{pubkey}/exit", url: () => `/api/v1/validators/${ids.pubkeyA}/exit`, body: () => ({ dryRun: true }), foreign: 404 },
  { method: "POST", path: "/api/v1/validator-clients/{id}/migrate", url: () => `/api/v1/validator-clients/${ids.clientA}/migrate`, body: () => ({ to: ids.clientA, pubkeys: [ids.pubkeyA] }), foreign: 404 },
  { method: "GET", path: "/api/v1/migrations/{id}", url: () => `/api/v1/migrations/${migrationA}`, foreign: 404 },
  { method: "GET", path: "/api/v1/migrations", url: () => "/api/v1/migrations", foreign: "filtered" },
];

describe("auth on every route", () => {
  it("the table lists exactly the API's routes (from the OpenAPI document)", async () => {
    const spec = (await t.request("GET", "/docs/json", { token: null })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const documented = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith("/api/"))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(documented);
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))("%s: 401 without a token and with a wrong one", async (_n, row) => {
    for (const token of [null, "not-a-token", "sop_forged-operator-token"]) {
      const response = await t.request(row.method, row.url(), { token, ...(row.body === undefined ? {} : { body: row.body() }) });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: "UNAUTHENTICATED" });
    }
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))("%s: another operator's token", async (_n, row) => {
    const response = await t.request(row.method, row.url(), { token: b.token, ...(row.body === undefined ? {} : { body: row.body() }) });
    if (row.foreign === "filtered") {
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toContain(a.id);
      return;
    }
    expect(response.statusCode).toBe(row.foreign);
    expect(response.json()).toMatchObject({ code: row.foreign === 403 ? "FORBIDDEN" : expect.stringMatching(/_NOT_FOUND$/) });
  });

  it("a foreign resource answers exactly like a missing one", async () => {
    const foreign = await t.request("GET", `/api/v1/operators/${a.id}`, { token: b.token });
    const missing = await t.request("GET", "/api/v1/operators/00000000-0000-0000-0000-000000000000", { token: b.token });
    expect(foreign.statusCode).toBe(missing.statusCode);
    expect(foreign.json<{ code: string }>().code).toBe(missing.json<{ code: string }>().code);
  });

  it("operator A reaches its own resources", async () => {
    expect((await t.request("GET", `/api/v1/operators/${a.id}`, { token: a.token })).statusCode).toBe(200);
    expect((await t.request("GET", `/api/v1/jobs/${ids.jobA}`, { token: a.token })).statusCode).toBe(200);
    expect((await t.request("GET", `/api/v1/operators/${a.id}/performance`, { token: a.token })).statusCode).toBe(200);
    expect((await t.request("GET", `/api/v1/validators/${ids.pubkeyA}/performance`, { token: a.token })).statusCode).toBe(200);
    expect((await t.request("GET", `/api/v1/operators/${a.id}/keys`, { token: a.token })).json<{ keys: unknown[] }>().keys).toHaveLength(1);
    expect((await t.request("GET", `/api/v1/migrations/${migrationA}`, { token: a.token })).statusCode).toBe(200);
  });

  it("no token appears in any log line", () => {
    for (const secret of [a.token, b.token, vc.token, "admin-token-for-tests"]) expect(t.logs()).not.toContain(secret);
  });
});
