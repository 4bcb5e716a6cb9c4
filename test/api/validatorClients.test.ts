/**
 * Validator clients through the API, over real HTTP to simulated Keymanager APIs: registration,
 * import and removal with slashing protection carried over, a key never in two clients, faults
 * that leave the registry consistent, and the inventory's findings.
 */
import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOperator, startTestApp, type TestApp } from "../helpers/app.js";
import { startSimulatedValidatorClient, type SimulatedValidatorClient } from "../helpers/keymanagerSimulator.js";

const fixture = (path: string): Promise<string> => readFile(new URL(`../fixtures/deposit-cli/${path}`, import.meta.url), "utf8");
const KEYSTORES = ["0", "1"].map((i) => `multiple_validators/hoodi/keystore-m_12381_3600_${i}_0_0-1755071454.json`);
const PASSWORD = "blablatesttest";

let t: TestApp;
let vcs: SimulatedValidatorClient[];
let op: { id: string; token: string };
let pubkeys: string[];

beforeEach(async () => {
  t = await startTestApp();
  vcs = [await startSimulatedValidatorClient("token-one"), await startSimulatedValidatorClient("token-two")];
  op = await createOperator(t, "acme");
  const keystores = await Promise.all(KEYSTORES.map(fixture));
  const response = await t.request("POST", `/api/v1/operators/${op.id}/keys/keystores`, { token: op.token, body: { keystores, passwords: [PASSWORD, PASSWORD] } });
  pubkeys = response.json<{ results: { pubkey: string }[] }>().results.map((r) => r.pubkey);
});
afterEach(async () => {
  await Promise.all(vcs.map((vc) => vc.close()));
  await t.close();
});

async function register(vc: SimulatedValidatorClient): Promise<string> {
  const response = await t.request("POST", `/api/v1/operators/${op.id}/validator-clients`, { token: op.token, body: { url: vc.url, token: vc.token } });
  expect(response.statusCode).toBe(201);
  return response.json<{ id: string }>().id;
}

const importKeys = (clientId: string, keys: string[]) => t.request("POST", `/api/v1/validator-clients/${clientId}/keys`, { token: op.token, body: { pubkeys: keys } });
const removeKeys = (clientId: string, keys: string[]) => t.request("DELETE", `/api/v1/validator-clients/${clientId}/keys`, { token: op.token, body: { pubkeys: keys } });
const statuses = (response: { json<T>(): T }) => response.json<{ results: { status: string; code?: string }[] }>().results.map((r) => [r.status, r.code ?? null]);

describe("registering a validator client", () => {
  it("checks the token against the client, stores it encrypted, never shows it", async () => {
    const response = await t.request("POST", `/api/v1/operators/${op.id}/validator-clients`, { token: op.token, body: { url: `${vcs[0]!.url}/`, token: vcs[0]!.token } });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ url: vcs[0]!.url, operatorId: op.id });
    expect(response.body).not.toContain(vcs[0]!.token);
    const stored = await t.app.store.db.selectFrom("validator_clients").select("token_encrypted").executeTakeFirstOrThrow();
    expect(stored.token_encrypted).not.toContain(vcs[0]!.token);
    expect(t.logs()).not.toContain(vcs[0]!.token);
  });

  it.each([
    // [case, how the client misbehaves, expected cause]
    ["a client that is down", (vc: SimulatedValidatorClient) => ({ url: "http://127.0.0.1:9", token: vc.token }), "KEYMANAGER_UNREACHABLE"],
    ["a wrong token", (vc: SimulatedValidatorClient) => ({ url: vc.url, token: "not-the-token" }), "KEYMANAGER_UNAUTHORIZED"],
    ["a client answering garbage", (vc: SimulatedValidatorClient) => ((vc.fault = "garbage"), { url: vc.url, token: vc.token }), "KEYMANAGER_BAD_RESPONSE"],
    ["a client answering 500", (vc: SimulatedValidatorClient) => ((vc.fault = "status-500"), { url: vc.url, token: vc.token }), "KEYMANAGER_HTTP_ERROR"],
  ])("refuses %s with 502 and stores nothing", async (_case, setup, cause) => {
    const response = await t.request("POST", `/api/v1/operators/${op.id}/validator-clients`, { token: op.token, body: setup(vcs[0]!) });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toMatchObject({ code: "VALIDATOR_CLIENT_UNUSABLE", details: { cause } });
    expect((await t.request("GET", `/api/v1/operators/${op.id}/validator-clients`, { token: op.token })).json()).toEqual({ validatorClients: [] });
  });

  it("refuses URLs with credentials and duplicate URLs", async () => {
    const withCredentials = await t.request("POST", `/api/v1/operators/${op.id}/validator-clients`, { token: op.token, body: { url: "http://user:pw@127.0.0.1:5062", token: "x" } });
    expect(withCredentials.json()).toMatchObject({ code: "VALIDATOR_CLIENT_URL_INVALID" });
    await register(vcs[0]!);
    const again = await t.request("POST", `/api/v1/operators/${op.id}/validator-clients`, { token: op.token, body: { url: vcs[0]!.url, token: vcs[0]!.token } });
    expect(again.statusCode).toBe(409);
  });
});

describe("moving keys between validator clients", () => {
  it("imports, refuses a second client, removes with slashing protection, and carries it to the next client", async () => {
    const [one, two] = [await register(vcs[0]!), await register(vcs[1]!)];
    const key = pubkeys[0] as string;

    expect(statuses(await importKeys(one, [key]))).toEqual([["imported", null]]);
    expect(vcs[0]!.keys.has(key)).toBe(true);

    expect(statuses(await importKeys(two, [key]))).toEqual([["rejected", "KEY_ASSIGNED_ELSEWHERE"]]);
    expect(vcs[1]!.keys.size).toBe(0);

    const removed = await removeKeys(one, [key]);
    expect(statuses(removed)).toEqual([["deleted", null]]);
    const protection = removed.json<{ slashingProtection: string }>().slashingProtection;
    expect(JSON.parse(protection)).toMatchObject({ data: [{ pubkey: key, signed_attestations: [{ target_epoch: "11" }] }] });
    expect(vcs[0]!.keys.size).toBe(0);

    expect(statuses(await importKeys(two, [key]))).toEqual([["imported", null]]);
    expect(vcs[1]!.keys.has(key)).toBe(true);
    expect(vcs[1]!.receivedProtection).toHaveLength(1);
    expect(JSON.parse(vcs[1]!.receivedProtection[0] as string)).toMatchObject({ data: [{ pubkey: key, signed_attestations: [{ source_epoch: "10", target_epoch: "11" }] }] });
  });

  it("does not believe a client that answers 'deleted' but still holds the key", async () => {
    const [one, two] = [await register(vcs[0]!), await register(vcs[1]!)];
    const key = pubkeys[0] as string;
    await importKeys(one, [key]);
    vcs[0]!.fault = "keep-on-delete";
    const removed = await removeKeys(one, [key]);
    expect(statuses(removed)).toEqual([["error", "VALIDATOR_CLIENT_STILL_HOLDS_KEY"]]);
    expect(removed.json<{ slashingProtection: string | null }>().slashingProtection).toContain(key.slice(2));
    expect(statuses(await importKeys(two, [key]))).toEqual([["rejected", "KEY_ASSIGNED_ELSEWHERE"]]);
    // Once the client really lets go (say, after a restart), the inventory frees the key.
    vcs[0]!.fault = "none";
    vcs[0]!.keys.delete(key);
    await t.app.inventory.reconcile();
    expect(statuses(await importKeys(two, [key]))).toEqual([["imported", null]]);
  });

  it("a removal the client cannot confirm keeps the key blocked", async () => {
    const [one, two] = [await register(vcs[0]!), await register(vcs[1]!)];
    const key = pubkeys[0] as string;
    await importKeys(one, [key]);
    vcs[0]!.fault = "status-500";
    expect(statuses(await removeKeys(one, [key]))).toEqual([["unknown", "KEYMANAGER_HTTP_ERROR"]]);
    expect(statuses(await importKeys(two, [key]))).toEqual([["rejected", "KEY_ASSIGNED_ELSEWHERE"]]);
  });

  it("imports only keys in custody of the client's operator", async () => {
    const one = await register(vcs[0]!);
    const other = await createOperator(t, "other");
    const depositOnly = JSON.parse(await fixture("multiple_validators/hoodi/deposit_data-1755071454.json")) as { pubkey: string }[];
    await t.request("POST", `/api/v1/operators/${other.id}/keys/deposit-data`, { token: other.token, body: [depositOnly[2]] });
    const response = await importKeys(one, [`0x${depositOnly[2]!.pubkey}`, "0x1234", pubkeys[1] as string, pubkeys[1] as string]);
    expect(statuses(response)).toEqual([
      ["rejected", "KEY_NOT_FOUND"],
      ["rejected", "PUBKEY_INVALID"],
      ["imported", null],
      ["rejected", "DUPLICATE_IN_BATCH"],
    ]);
  });

  it("a client that drops the import call: the outcome is checked, and a failed import frees the key", async () => {
    const [one, two] = [await register(vcs[0]!), await register(vcs[1]!)];
    vcs[0]!.fault = "down-once";
    const response = await importKeys(one, [pubkeys[0] as string]);
    expect(statuses(response)).toEqual([["error", "KEYMANAGER_UNREACHABLE"]]);
    expect(statuses(await importKeys(two, [pubkeys[0] as string]))).toEqual([["imported", null]]);
  });

  it("a client whose state cannot be known keeps the key blocked until the inventory settles it", async () => {
    const [one, two] = [await register(vcs[0]!), await register(vcs[1]!)];
    vcs[0]!.fault = "garbage";
    expect(statuses(await importKeys(one, [pubkeys[0] as string]))).toEqual([["unknown", "KEYMANAGER_BAD_RESPONSE"]]);
    expect(statuses(await importKeys(two, [pubkeys[0] as string]))).toEqual([["rejected", "KEY_ASSIGNED_ELSEWHERE"]]);
    vcs[0]!.fault = "none";
    await t.app.inventory.reconcile();
    expect(statuses(await importKeys(two, [pubkeys[0] as string]))).toEqual([["imported", null]]);
  });
});

describe("inventory", () => {
  async function findings(): Promise<[string, string, string | null][]> {
    const response = await t.request("GET", "/api/v1/inventory/findings");
    return response
      .json<{ findings: { kind: string; severity: string; pubkey: string | null }[] }>()
      .findings.map((f): [string, string, string | null] => [f.kind, f.severity, f.pubkey])
      .sort();
  }

  it("finds a key in two clients (critical, blocks imports), unknown keys, unreachable clients, and resolves them", async () => {
    const [one] = [await register(vcs[0]!), await register(vcs[1]!)];
    const key = pubkeys[0] as string;
    const stranger = `0x${"ab".repeat(48)}`;
    vcs[0]!.keys.add(key);
    vcs[1]!.keys.add(key);
    vcs[1]!.keys.add(stranger);
    await t.app.inventory.reconcile();
    expect(await findings()).toEqual([
      ["KEY_IN_MULTIPLE_CLIENTS", "critical", key],
      ["KEY_NOT_IN_REGISTRY", "warning", stranger],
    ]);
    expect(statuses(await importKeys(one as string, [key]))).toEqual([["rejected", "KEY_AT_RISK"]]);

    vcs[1]!.keys.clear();
    vcs[0]!.fault = "status-500";
    await t.app.inventory.reconcile();
    expect(await findings()).toEqual([["CLIENT_UNREACHABLE", "warning", null]]);

    vcs[0]!.fault = "none";
    await t.app.inventory.reconcile();
    expect(await findings()).toEqual([]);
    const metrics = await t.request("GET", "/metrics", { token: null });
    expect(metrics.body).toMatch(/stakeops_registry_keys\{operator="acme",state="registered"\} 2/);
  });

  it("an operator sees only its own findings", async () => {
    await register(vcs[0]!);
    vcs[0]!.keys.add(`0x${"cd".repeat(48)}`);
    await t.app.inventory.reconcile();
    const other = await createOperator(t, "other");
    const own = await t.request("GET", "/api/v1/inventory/findings", { token: op.token });
    const foreign = await t.request("GET", "/api/v1/inventory/findings", { token: other.token });
    expect(own.json<{ findings: unknown[] }>().findings).toHaveLength(1);
    expect(foreign.json()).toEqual({ findings: [] });
  });
});
