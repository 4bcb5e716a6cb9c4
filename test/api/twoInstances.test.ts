/**
 * Two instances of the service on one PostgreSQL database must not corrupt or double-do anything:
 * the same batch registered by both at once registers each key once; a queued job runs once.
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOperator, startTestApp, type TestApp } from "../helpers/app.js";

let a: TestApp;
let b: TestApp;
beforeEach(async () => {
  a = await startTestApp({ engine: "postgres" });
  b = await startTestApp({ sameAs: a });
});
afterEach(async () => {
  await b.close();
  await a.close();
});

describe("two instances on one PostgreSQL", () => {
  it("register the same batch at the same time: every key once, under the limit", async () => {
    const op = await createOperator(a, "acme", { keyLimit: 3 });
    const entries = JSON.parse(await readFile(new URL("../fixtures/deposit-cli/multiple_validators/hoodi/deposit_data-1755071454.json", import.meta.url), "utf8")) as unknown[];
    const responses = await Promise.all(
      [a, b, a, b].map((t) => t.request("POST", `/api/v1/operators/${op.id}/keys/deposit-data`, { token: op.token, body: entries })),
    );
    const registered = responses.map((r) => r.json<{ registered: number }>().registered);
    expect(registered.reduce((x, y) => x + y, 0)).toBe(3);
    const rows = await a.app.store.db.selectFrom("validator_keys").select("pubkey").execute();
    expect(rows).toHaveLength(3);
  });

  it("a queued key-generation job runs on exactly one of them", async () => {
    const op = await createOperator(a, "acme");
    const { jobId } = (await a.request("POST", `/api/v1/operators/${op.id}/keys/generate`, { token: op.token, body: { count: 2 } })).json<{ jobId: string }>();
    await Promise.all([a.app.jobRunner.drain(), b.app.jobRunner.drain()]);
    const job = (await b.request("GET", `/api/v1/jobs/${jobId}`, { token: op.token })).json<{ state: string; result: { registered: number } }>();
    expect(job).toMatchObject({ state: "succeeded", result: { registered: 2 } });
    expect(await a.app.store.db.selectFrom("validator_keys").select("pubkey").execute()).toHaveLength(2);
    expect(await readdir(join(a.keysDir, "acme"))).toHaveLength(2);
  });
});
