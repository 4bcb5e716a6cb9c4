/**
 * Faults behave as a client would see them from a sick node, request counts are exact, and the
 * standalone process (main.ts) starts, announces itself, obeys /_sim/ and stops on SIGTERM.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getJson, getSsz, postJson } from "./httpHelpers.js";
import { startBeaconSimulator, type BeaconSimulator } from "./server.js";

describe("faults", () => {
  let sim: BeaconSimulator;

  beforeAll(async () => {
    sim = await startBeaconSimulator({ validatorCount: 512, activeCount: 512 });
  });
  afterAll(() => sim.close());
  afterEach(() => {
    sim.faults.clear();
    sim.requests.reset();
  });

  it("failNext fails exactly n requests with the Beacon API's error body, then the node answers", async () => {
    sim.faults.failNext(2, 503);
    const first = await getJson<{ code: number; message: string }>(sim.url, "/eth/v1/node/syncing");
    expect(first.status).toBe(503);
    expect(first.body).toEqual({ code: 503, message: expect.any(String) });
    expect((await getJson(sim.url, "/eth/v1/beacon/genesis")).status).toBe(503);
    expect((await getJson(sim.url, "/eth/v1/beacon/genesis")).status).toBe(200);
  });

  it("faults can target one route (template or path prefix) and leave the others alone", async () => {
    sim.faults.set({ failRate: 1, failStatus: 500, paths: ["/eth/v1/beacon/headers/{block_id}"] });
    expect((await getJson(sim.url, "/eth/v1/beacon/headers/head")).status).toBe(500);
    expect((await getJson(sim.url, "/eth/v1/beacon/genesis")).status).toBe(200);
    sim.faults.set({ failRate: 0, paths: null });
    sim.faults.failNext(1, 502, "/eth/v1/beacon/genesis");
    expect((await getJson(sim.url, "/eth/v1/node/syncing")).status).toBe(200);
    expect((await getJson(sim.url, "/eth/v1/beacon/genesis")).status).toBe(502);
  });

  it("a failure rate fails about that share of requests, the same ones on every run", async () => {
    sim.faults.set({ failRate: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await getJson(sim.url, "/eth/v1/beacon/genesis")).status);
    const failed = statuses.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(32);
  });

  it("latency delays answers", async () => {
    sim.faults.set({ latencyMs: 150 });
    const started = performance.now();
    await getJson(sim.url, "/eth/v1/node/version");
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("truncateNext sends headers and part of the body, then drops the connection", async () => {
    sim.faults.truncateNext(1, "/eth/v2/debug/beacon/states/{state_id}");
    const response = await fetch(`${sim.url}/eth/v2/debug/beacon/states/head`, { headers: { accept: "application/octet-stream" } });
    expect(response.status).toBe(200);
    expect(Number(response.headers.get("content-length"))).toBeGreaterThan(1_000_000);
    await expect(response.arrayBuffer()).rejects.toThrow();
    // Streamed answers (no content-length) are cut too.
    sim.faults.truncateNext(1);
    const list = await fetch(`${sim.url}/eth/v1/beacon/states/head/validators`);
    await expect(list.text()).rejects.toThrow();
    expect((await getSsz(sim.url, "/eth/v2/debug/beacon/states/head")).status).toBe(200);
  });

  it("syncing and optimistic show in the answers; duties are refused while syncing", async () => {
    sim.faults.set({ syncing: true, optimistic: true, syncDistance: 10 });
    const syncing = await getJson<{ data: Record<string, unknown> }>(sim.url, "/eth/v1/node/syncing");
    expect(syncing.body.data).toMatchObject({ is_syncing: true, is_optimistic: true, sync_distance: "10", head_slot: String(sim.model.headSlot - 10) });
    expect((await fetch(`${sim.url}/eth/v1/node/health`)).status).toBe(206);
    expect((await getJson(sim.url, `/eth/v1/validator/duties/proposer/${sim.model.headEpoch}`)).status).toBe(503);
    const header = await getJson<{ execution_optimistic: boolean }>(sim.url, "/eth/v1/beacon/headers/head");
    expect(header.body.execution_optimistic).toBe(true);
  });

  it("counts requests per route template and per path; control requests are not counted", async () => {
    await getJson(sim.url, "/eth/v1/beacon/headers/head");
    await getJson(sim.url, "/eth/v1/beacon/headers/finalized");
    await getJson(sim.url, "/eth/v1/nothing/here");
    await getJson(sim.url, "/_sim/status");
    expect(sim.requests.count("/eth/v1/beacon/headers/{block_id}")).toBe(2);
    expect(sim.requests.count("/eth/v1/beacon/headers/head")).toBe(1);
    expect(sim.requests.count("/eth/v1/nothing/here")).toBe(1);
    expect(sim.requests.total).toBe(3);
    const remote = await getJson<{ total: number; byRoute: Record<string, number> }>(sim.url, "/_sim/requests");
    expect(remote.body).toEqual({ total: 3, byRoute: { "/eth/v1/beacon/headers/{block_id}": 2 } });
  });

  it("faults are set over /_sim/faults too", async () => {
    const set = await postJson(sim.url, "/_sim/faults", { failNext: { count: 1, status: 429, path: "/eth/v1/node/version" }, optimistic: true });
    expect(set.status).toBe(200);
    expect((await getJson(sim.url, "/eth/v1/node/version")).status).toBe(429);
    expect(sim.faults.optimistic).toBe(true);
    await postJson(sim.url, "/_sim/faults", { clear: true });
    expect(sim.faults.optimistic).toBe(false);
  });
});

describe("main.ts, the simulator as its own process", () => {
  it("prints {url, pid} once listening, obeys /_sim/head, stops on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/simulator/main.ts", "--validators", "600", "--active", "512", "--port", "0", "--seed", "4"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once("line", resolve);
        child.once("exit", (code) => reject(new Error(`exited with ${code}`)));
      });
      const announced = JSON.parse(line) as { url: string; pid: number };
      expect(announced.pid).toBe(child.pid);
      expect(announced.url).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+$/);
      const status = await getJson<{ headSlot: number; validatorCount: number }>(announced.url, "/_sim/status");
      expect(status.body.validatorCount).toBe(600);
      await postJson(announced.url, "/_sim/head", { slot: status.body.headSlot + 40 });
      const syncing = await getJson<{ data: { head_slot: string } }>(announced.url, "/eth/v1/node/syncing");
      expect(syncing.body.data.head_slot).toBe(String(status.body.headSlot + 40));
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
