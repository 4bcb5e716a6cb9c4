/**
 * Bad input gets a precise 4xx with a code and changes nothing; key generation jobs run to the end
 * or leave nothing behind.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decryptKeystore, parseKeystore } from "../../src/keygen/keystore.js";
import { verifyDepositData } from "../../src/deposit/verifyDepositData.js";
import { knownNetwork } from "../../src/chain/networks.js";
import { FIXTURE_WITHDRAWAL_CREDENTIALS, SERVICE_PASSWORD, createOperator, startTestApp, type TestApp } from "../helpers/app.js";
import { readFile } from "node:fs/promises";

let t: TestApp;
let op: { id: string; token: string };
beforeEach(async () => {
  t = await startTestApp({ config: { bodyLimitBytes: 64 * 1024 } });
  op = await createOperator(t, "acme");
});
afterEach(async () => {
  await t.close();
});

async function keyCount(): Promise<number> {
  const row = await t.app.store.db.selectFrom("validator_keys").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe("bad input", () => {
  it.each([
    // [case, method, url, request, status, code]
    ["malformed JSON", "POST", "deposit-data", { rawBody: "[{\"pubkey\": " }, 400, "MALFORMED_JSON"],
    ["an object where an array belongs", "POST", "deposit-data", { body: { pubkey: "x" } }, 400, "VALIDATION_FAILED"],
    ["an empty batch", "POST", "deposit-data", { body: [] }, 400, "VALIDATION_FAILED"],
    ["a string count", "POST", "generate", { body: { count: "three" } }, 400, "VALIDATION_FAILED"],
    ["a count of zero", "POST", "generate", { body: { count: 0 } }, 400, "VALIDATION_FAILED"],
    ["an unknown field", "POST", "generate", { body: { count: 1, mnemonic: "please" } }, 400, "VALIDATION_FAILED"],
    ["keystores without passwords for each", "POST", "keystores", { body: { keystores: ["{}", "{}"], passwords: ["x"] } }, 400, "BATCH_INVALID"],
    ["a body over the limit", "POST", "deposit-data", { body: Array.from({ length: 400 }, () => ({ pubkey: "a".repeat(200) })) }, 413, "BODY_TOO_LARGE"],
    ["text instead of JSON", "POST", "deposit-data", { rawBody: "pubkey=1", contentType: "text/plain" }, 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["an unknown state filter", "GET", "keys?state=lost", {}, 400, "VALIDATION_FAILED"],
  ] as const)("%s: nothing written", async (_case, method, path, request, status, code) => {
    const url = path.startsWith("keys?") ? `/api/v1/operators/${op.id}/${path}` : path === "deposit-data" ? `/api/v1/operators/${op.id}/keys/deposit-data` : `/api/v1/operators/${op.id}/keys/${path}`;
    const response = await t.request(method, url, { token: op.token, ...request });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ code, message: expect.any(String), details: expect.any(Object) });
    expect(await keyCount()).toBe(0);
  });

  it("an unknown operator and an unknown route are 404 with a code", async () => {
    const unknown = await t.request("GET", "/api/v1/operators/nope");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: "OPERATOR_NOT_FOUND" });
    const route = await t.request("GET", "/api/v1/nothing-here");
    expect(route.json()).toMatchObject({ code: "ROUTE_NOT_FOUND" });
  });

  it("validation errors name the field", async () => {
    const response = await t.request("POST", "/api/v1/operators", { body: { name: 42 } });
    expect(response.json()).toMatchObject({ code: "VALIDATION_FAILED", details: { errors: [{ path: "/name" }] } });
  });

  it.each([
    ["a name with a slash (it becomes a folder)", { name: "../etc" }, "OPERATOR_NAME_INVALID"],
    ["a taken name", { name: "acme" }, "OPERATOR_NAME_TAKEN"],
    ["a malformed reward address", { name: "new", rewardAddress: "0x123" }, "INVALID_ADDRESS"],
  ])("creating an operator with %s", async (_case, body, code) => {
    const response = await t.request("POST", "/api/v1/operators", { body });
    expect(response.json()).toMatchObject({ code });
    expect((await t.request("GET", "/api/v1/operators")).json<{ operators: unknown[] }>().operators).toHaveLength(1);
  });
});

describe("key generation jobs", () => {
  it("generates keys in custody, registers them, and their deposits verify", async () => {
    const started = await t.request("POST", `/api/v1/operators/${op.id}/keys/generate`, { token: op.token, body: { count: 3 } });
    expect(started.statusCode).toBe(202);
    const { jobId } = started.json<{ jobId: string }>();
    expect((await t.request("GET", `/api/v1/jobs/${jobId}`, { token: op.token })).json()).toMatchObject({ state: "queued", progress: { done: 0, total: 3 } });

    await t.app.jobRunner.drain();
    const job = (await t.request("GET", `/api/v1/jobs/${jobId}`, { token: op.token })).json<{ state: string; progress: unknown; result: { registered: number; pubkeys: string[] } }>();
    expect(job).toMatchObject({ state: "succeeded", progress: { done: 3, total: 3 }, result: { registered: 3 } });

    const keys = (await t.request("GET", `/api/v1/operators/${op.id}/keys`, { token: op.token })).json<{ keys: { pubkey: string; source: string; inCustody: boolean }[] }>().keys;
    expect(keys.map((k) => [k.source, k.inCustody])).toEqual([["generated", true], ["generated", true], ["generated", true]]);
    const files = await readdir(join(t.keysDir, "acme"));
    expect(files.sort()).toEqual(keys.map((k) => `keystore-${k.pubkey.slice(2)}.json`).sort());
    for (const file of files) {
      const keystore = parseKeystore(JSON.parse(await readFile(join(t.keysDir, "acme", file), "utf8")), file);
      await expect(decryptKeystore(keystore, SERVICE_PASSWORD)).resolves.toBeDefined();
    }
    const exported = JSON.parse((await t.request("GET", `/api/v1/operators/${op.id}/deposit-data`, { token: op.token })).body) as unknown[];
    const verified = verifyDepositData(exported, { network: knownNetwork("hoodi"), withdrawalCredentials: FIXTURE_WITHDRAWAL_CREDENTIALS, amountGwei: 32_000_000_000 });
    expect(verified.problems).toEqual([]);
    expect(verified.valid).toHaveLength(3);
  });

  it("refuses more keys than the operator's limit allows, before queueing anything", async () => {
    const limited = await createOperator(t, "limited", { keyLimit: 2 });
    const response = await t.request("POST", `/api/v1/operators/${limited.id}/keys/generate`, { token: limited.token, body: { count: 3 } });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: "KEY_LIMIT_EXCEEDED", details: { remaining: 2 } });
  });

  it("a job interrupted by shutdown fails as JOB_INTERRUPTED and leaves no key and no file", async () => {
    const { jobId } = (await t.request("POST", `/api/v1/operators/${op.id}/keys/generate`, { token: op.token, body: { count: 200 } })).json<{ jobId: string }>();
    const running = t.app.jobRunner.drain();
    for (let i = 0; i < 200; i++) {
      const job = await t.app.store.db.selectFrom("jobs").select(["progress_done"]).where("id", "=", jobId).executeTakeFirstOrThrow();
      if (job.progress_done > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await t.app.jobRunner.stop();
    await running;
    const job = (await t.request("GET", `/api/v1/jobs/${jobId}`, { token: op.token })).json();
    expect(job).toMatchObject({ state: "failed", error: { code: "JOB_INTERRUPTED" } });
    expect(await keyCount()).toBe(0);
    await expect(readdir(join(t.keysDir, "acme"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("documentation", () => {
  it("serves the OpenAPI document and its UI at /docs, without a token", async () => {
    const spec = await t.request("GET", "/docs/json", { token: null });
    expect(spec.json<{ paths: Record<string, unknown> }>().paths).toHaveProperty(["/api/v1/operators/{id}/keys/deposit-data"]);
    const ui = await t.request("GET", "/docs/static/swagger-ui.css", { token: null });
    expect(ui.statusCode).toBe(200);
  });
});

describe("a beacon node that cannot be asked", () => {
  it("refuses the whole batch with 503 BEACON_UNAVAILABLE and registers nothing", async () => {
    const down = await startTestApp({ config: { beaconNodeUrls: ["http://127.0.0.1:9"] } });
    try {
      const operator = await createOperator(down, "acme");
      const entries = JSON.parse(await readFile(new URL("../fixtures/deposit-cli/multiple_validators/hoodi/deposit_data-1755071454.json", import.meta.url), "utf8")) as unknown[];
      const response = await down.request("POST", `/api/v1/operators/${operator.id}/keys/deposit-data`, { token: operator.token, body: entries });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: "BEACON_UNAVAILABLE", message: expect.stringMatching(/nothing was registered/) });
      const rows = await down.app.store.db.selectFrom("validator_keys").select("pubkey").execute();
      expect(rows).toEqual([]);
      expect((await down.request("GET", "/ready", { token: null })).json()).toEqual({ ready: false, checks: { database: "ok", beacon: "failing" } });
    } finally {
      await down.close();
    }
  });
});
