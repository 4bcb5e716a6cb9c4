/**
 * Slashing-risk signals through the API, with validator clients simulated over real HTTP: what the
 * inventory finds is listed at /api/v1/risk (and still at /inventory/findings), each operator sees
 * only its own, the gauge counts open signals per operator, and an open critical signal blocks
 * importing the key until it is resolved.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorBody } from "../../src/api/errorMapping.js";
import { RiskError } from "../../src/risk/errors.js";
import { createOperator, startTestApp, type TestApp } from "../helpers/app.js";
import { startSimulatedValidatorClient, type SimulatedValidatorClient } from "../helpers/keymanagerSimulator.js";

const fixture = (path: string): Promise<string> => readFile(new URL(`../fixtures/deposit-cli/${path}`, import.meta.url), "utf8");
const KEYSTORES = ["0", "1"].map((i) => `multiple_validators/hoodi/keystore-m_12381_3600_${i}_0_0-1755071454.json`);
const PASSWORD = "blablatesttest";

interface SignalBody {
  readonly id: string;
  readonly signal: string;
  readonly severity: string;
  readonly pubkey: string | null;
  readonly operatorId: string | null;
  readonly validatorClientId: string | null;
  readonly details: Record<string, unknown>;
  readonly resolvedAt: string | null;
}

let t: TestApp;
let vcA: SimulatedValidatorClient;
let vcA2: SimulatedValidatorClient;
let vcB: SimulatedValidatorClient;
let a: { id: string; token: string };
let b: { id: string; token: string };
let clients: { a: string; a2: string; b: string };
let keys: string[];

beforeAll(async () => {
  t = await startTestApp();
  [vcA, vcA2, vcB] = [await startSimulatedValidatorClient("token-a"), await startSimulatedValidatorClient("token-a2"), await startSimulatedValidatorClient("token-b")];
  a = await createOperator(t, "op-a");
  b = await createOperator(t, "op-b");
  const keystores = await Promise.all(KEYSTORES.map(fixture));
  const response = await t.request("POST", `/api/v1/operators/${a.id}/keys/keystores`, { token: a.token, body: { keystores, passwords: [PASSWORD, PASSWORD] } });
  keys = response.json<{ results: { pubkey: string }[] }>().results.map((r) => r.pubkey);
  const register = async (operator: { id: string; token: string }, vc: SimulatedValidatorClient): Promise<string> =>
    (await t.request("POST", `/api/v1/operators/${operator.id}/validator-clients`, { token: operator.token, body: { url: vc.url, token: vc.token } })).json<{ id: string }>().id;
  clients = { a: await register(a, vcA), a2: await register(a, vcA2), b: await register(b, vcB) };
});
afterAll(async () => {
  await Promise.all([vcA, vcA2, vcB].map((vc) => vc?.close()));
  await t?.close();
});

async function risk(query = "", token?: string): Promise<SignalBody[]> {
  const response = await t.request("GET", `/api/v1/risk${query}`, token === undefined ? {} : { token });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ signals: SignalBody[] }>().signals;
}
const brief = (signals: SignalBody[]): [string, string, string | null][] => signals.map((s): [string, string, string | null] => [s.signal, s.severity, s.pubkey]).sort();
const importInto = async (clientId: string, pubkeys: string[]) =>
  (await t.request("POST", `/api/v1/validator-clients/${clientId}/keys`, { token: a.token, body: { pubkeys } })).json<{ results: { status: string; code?: string; message: string }[] }>().results;
const gauge = async (): Promise<string[]> =>
  (await t.request("GET", "/metrics", { token: null })).body.split("\n").filter((line) => line.startsWith("stakeops_slashing_risk{")).sort();

describe("slashing-risk signals", () => {
  it("operator A's key in operator B's client: critical for both to see, blocks the import, counted, and resolved once gone", async () => {
    const key = keys[0] as string;
    vcB.keys.add(key);
    await t.app.inventory.reconcile();

    const all = await risk();
    expect(brief(all)).toEqual([["PUBKEY_UNDER_TWO_OPERATORS", "critical", key]]);
    expect(all[0]).toMatchObject({ id: `PUBKEY_UNDER_TWO_OPERATORS|${key}|${clients.b}`, operatorId: a.id, validatorClientId: clients.b, details: { registeredOperatorId: a.id, clientOperatorId: b.id }, resolvedAt: null });
    expect((await risk("", a.token))[0]).toMatchObject({ signal: "PUBKEY_UNDER_TWO_OPERATORS", operatorId: a.id });
    // B runs the key, so B is told; whose key it is, B is not.
    const seenByB = await risk("", b.token);
    expect(seenByB).toEqual([expect.objectContaining({ signal: "PUBKEY_UNDER_TWO_OPERATORS", pubkey: key, operatorId: null, validatorClientId: clients.b })]);
    // The inventory's own list shows it too (its findings are these signals).
    const findings = (await t.request("GET", "/api/v1/inventory/findings")).json<{ findings: { kind: string }[] }>().findings;
    expect(findings.map((f) => f.kind)).toEqual(["PUBKEY_UNDER_TWO_OPERATORS"]);

    const refused = await importInto(clients.a, [key]);
    expect(refused).toEqual([{ pubkey: key, status: "rejected", code: "KEY_AT_RISK", message: expect.stringContaining("PUBKEY_UNDER_TWO_OPERATORS") }]);
    expect(vcA.keys.size).toBe(0);
    expect(await gauge()).toEqual(['stakeops_slashing_risk{operator="op-a",signal="PUBKEY_UNDER_TWO_OPERATORS",severity="critical"} 1']);

    vcB.keys.clear();
    await t.app.inventory.reconcile();
    expect(await risk()).toEqual([]);
    expect(await risk("?resolved=true")).toEqual([expect.objectContaining({ signal: "PUBKEY_UNDER_TWO_OPERATORS", resolvedAt: expect.any(String) })]);
    expect(await gauge()).toEqual([]);
    expect(await importInto(clients.a, [key])).toEqual([{ pubkey: key, status: "imported", message: "" }]);
  });

  it("a key in two clients stays critical while a client that held it does not answer", async () => {
    const key = keys[0] as string; // imported into A's client by the test above
    expect(vcA.keys.has(key)).toBe(true);
    vcA2.keys.add(key);
    await t.app.inventory.reconcile();
    expect(brief(await risk("?severity=critical"))).toEqual([["KEY_IN_MULTIPLE_CLIENTS", "critical", key]]);

    // vcA2 goes quiet: it may still hold the key, so the signal stays, and the import stays blocked.
    vcA2.fault = "status-500";
    await t.app.inventory.reconcile();
    expect(brief(await risk())).toEqual([
      ["CLIENT_UNREACHABLE", "warning", null],
      ["KEY_IN_MULTIPLE_CLIENTS", "critical", key],
    ]);
    // It answers again, without the key: both resolve.
    vcA2.fault = "none";
    vcA2.keys.clear();
    await t.app.inventory.reconcile();
    expect(brief(await risk())).toEqual([]);
  });

  it("filters by severity, signal and resolution; each operator sees its own warnings", async () => {
    const stranger = `0x${"ab".repeat(48)}`;
    vcB.keys.add(stranger);
    vcA2.fault = "status-500";
    await t.app.inventory.reconcile();
    expect(brief(await risk("?severity=warning"))).toEqual([
      ["CLIENT_UNREACHABLE", "warning", null],
      ["KEY_NOT_IN_REGISTRY", "warning", stranger],
    ]);
    expect(brief(await risk("?signal=KEY_NOT_IN_REGISTRY"))).toEqual([["KEY_NOT_IN_REGISTRY", "warning", stranger]]);
    expect(brief(await risk("?signal=KEY_NOT_IN_REGISTRY,CLIENT_UNREACHABLE&severity=critical"))).toEqual([]);
    expect(brief(await risk("", a.token))).toEqual([["CLIENT_UNREACHABLE", "warning", null]]);
    expect(brief(await risk("", b.token))).toEqual([["KEY_NOT_IN_REGISTRY", "warning", stranger]]);
    expect((await risk("?resolved=any")).length).toBeGreaterThan((await risk()).length);
    expect(await risk("?limit=1")).toHaveLength(1);
    expect(await gauge()).toEqual([
      'stakeops_slashing_risk{operator="op-a",signal="CLIENT_UNREACHABLE",severity="warning"} 1',
      'stakeops_slashing_risk{operator="op-b",signal="KEY_NOT_IN_REGISTRY",severity="warning"} 1',
    ]);

    for (const bad of ["?signal=NOT_A_SIGNAL", "?severity=high", "?resolved=yes", "?limit=0", "?other=1"]) {
      const response = await t.request("GET", `/api/v1/risk${bad}`);
      expect(response.statusCode, bad).toBe(400);
      expect(response.json(), bad).toMatchObject({ code: "VALIDATION_FAILED" });
    }
    vcB.keys.clear();
    vcA2.fault = "none";
    await t.app.inventory.reconcile();
    expect(await risk()).toEqual([]);
  });

  it("KEY_AT_RISK, for modules that refuse a whole action, is 409 with the signals named", () => {
    const { status, body } = errorBody(new RiskError("KEY_AT_RISK", "1 key(s) have open critical risk signals (DOPPELGANGER)", { keys: [{ pubkey: "0xaa", signals: [{ id: "DOPPELGANGER|0xaa|", kind: "DOPPELGANGER" }] }] }));
    expect(status).toBe(409);
    expect(body).toMatchObject({ code: "KEY_AT_RISK", details: { keys: [{ pubkey: "0xaa", signals: [{ kind: "DOPPELGANGER" }] }] } });
  });
});
