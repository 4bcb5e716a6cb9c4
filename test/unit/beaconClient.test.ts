import { describe, expect, it } from "vitest";
import { BeaconClient, type BeaconClientOptions } from "../../src/beacon/beaconClient.js";
import { BeaconError } from "../../src/beacon/errors.js";
import type { BeaconRequestEvent } from "../../src/beacon/nodePool.js";
import { hang, json, refusedUrl, useFakeServers, type Handler } from "../helpers/fakeServer.js";

const fake = useFakeServers();

const PK = (n: number): string => `0x${n.toString(16).padStart(2, "0").repeat(48)}`;
const ROOT = `0x${"4b".repeat(32)}`;
const GENESIS = {
  data: { genesis_time: "1606824023", genesis_validators_root: ROOT.toUpperCase().replace("0X", "0x"), genesis_fork_version: "0x00000000" },
};
const FAR = "18446744073709551615";

function validatorJson(index: number, pubkey = PK(index)): Record<string, unknown> {
  return {
    index: String(index),
    balance: "32000012345",
    status: "active_ongoing",
    validator: {
      pubkey,
      withdrawal_credentials: `0x01${"00".repeat(11)}${"aa".repeat(20)}`,
      effective_balance: "32000000000",
      slashed: false,
      activation_eligibility_epoch: "0",
      activation_epoch: "5",
      exit_epoch: FAR,
      withdrawable_epoch: FAR,
    },
  };
}

/** Answers validators by pubkey like a current node: POST `{ids}` or GET with repeated `id`. */
const validatorsByPubkey: Handler = (request, response) => {
  const ids = request.method === "POST" ? (JSON.parse(request.body) as { ids: string[] }).ids : request.query.getAll("id");
  const known = ids.map((id) => Number.parseInt(id.slice(2, 4), 16)).filter((n) => n < 100);
  json(response, 200, { execution_optimistic: false, finalized: false, data: known.map((n) => validatorJson(n)) });
};

interface Harness {
  readonly client: BeaconClient;
  readonly events: BeaconRequestEvent[];
  readonly sleeps: number[];
}

/** A client whose backoff waits are recorded instead of slept. */
function client(urls: string[], options: Partial<BeaconClientOptions> = {}): Harness {
  const events: BeaconRequestEvent[] = [];
  const sleeps: number[] = [];
  const beacon = new BeaconClient(
    { urls, timeoutMs: 2_000, backoffMs: 100, maxBackoffMs: 300, ...options },
    {
      onRequest: (event) => events.push(event),
      sleep: async (ms, signal) => {
        sleeps.push(ms);
        return signal?.aborted !== true;
      },
    },
  );
  return { client: beacon, events, sleeps };
}

async function failure(promise: Promise<unknown>): Promise<BeaconError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof BeaconError)) throw new Error(`expected a BeaconError, got ${String(error)}`);
  return error;
}

describe("BeaconClient: reading answers", () => {
  it("reads genesis: uint64 strings become numbers, hex becomes lower case", async () => {
    const node = await fake((_, res) => json(res, 200, GENESIS));
    const { client: beacon, events } = client([node.url]);
    await expect(beacon.getGenesis()).resolves.toEqual({
      genesisTime: 1606824023,
      genesisValidatorsRoot: ROOT,
      genesisForkVersion: "0x00000000",
    });
    expect(node.requests[0]).toMatchObject({ method: "GET", path: "/eth/v1/beacon/genesis" });
    expect(node.requests[0]?.headers.accept).toBe("application/json");
    expect(events).toEqual([
      { node: node.label, method: "GET", endpoint: "/eth/v1/beacon/genesis", status: 200, seconds: expect.any(Number) },
    ]);
  });

  it("reads the spec's string values and leaves out structured ones (Fulu's BLOB_SCHEDULE)", async () => {
    const node = await fake((_, res) =>
      json(res, 200, {
        data: { SLOTS_PER_EPOCH: "32", CONFIG_NAME: "mainnet", BLOB_SCHEDULE: [{ EPOCH: "412672", MAX_BLOBS_PER_BLOCK: "15" }] },
      }),
    );
    await expect(client([node.url]).client.getSpec()).resolves.toEqual({ SLOTS_PER_EPOCH: "32", CONFIG_NAME: "mainnet" });
  });

  it("reads syncing, treating is_optimistic and el_offline as false where an older node leaves them out", async () => {
    const node = await fake((_, res) => json(res, 200, { data: { head_slot: "12", sync_distance: "3", is_syncing: true } }));
    await expect(client([node.url]).client.getSyncing()).resolves.toEqual({
      headSlot: 12,
      syncDistance: 3,
      isSyncing: true,
      isOptimistic: false,
      elOffline: false,
    });
    node.handle((_, res) =>
      json(res, 200, { data: { head_slot: "1", sync_distance: "0", is_syncing: false, is_optimistic: true, el_offline: true } }),
    );
    await expect(client([node.url]).client.getSyncing()).resolves.toMatchObject({ isOptimistic: true, elOffline: true });
  });

  it("reads validators with FAR_FUTURE_EPOCH as null", async () => {
    const node = await fake(validatorsByPubkey);
    const [validator] = await client([node.url]).client.getValidatorsByPubkey([PK(7)]);
    expect(validator).toEqual({
      index: 7,
      pubkey: PK(7),
      status: "active_ongoing",
      balanceGwei: 32000012345,
      effectiveBalanceGwei: 32000000000,
      withdrawalCredentials: `0x01${"00".repeat(11)}${"aa".repeat(20)}`,
      slashed: false,
      activationEligibilityEpoch: 0,
      activationEpoch: 5,
      exitEpoch: null,
      withdrawableEpoch: null,
    });
  });

  it.each([
    // [what, endpoint answer, method to call, field named in the error]
    ["genesis_time as a JSON number", { data: { ...GENESIS.data, genesis_time: 1606824023 } }, "genesis", "data.genesis_time"],
    ["a negative genesis_time", { data: { ...GENESIS.data, genesis_time: "-1" } }, "genesis", "data.genesis_time"],
    ["a uint64 beyond 2^53", { data: { ...GENESIS.data, genesis_time: "9007199254740993" } }, "genesis", "data.genesis_time"],
    [
      "a root one byte short",
      { data: { ...GENESIS.data, genesis_validators_root: `0x${"4b".repeat(31)}` } },
      "genesis",
      "data.genesis_validators_root",
    ],
    ["no data", { genesis: GENESIS.data }, "genesis", "data"],
    ["a spec value that is a number, not a string", { data: { SLOTS_PER_EPOCH: 32 } }, "spec", "data.SLOTS_PER_EPOCH"],
    ["a spec value that is null", { data: { SLOTS_PER_EPOCH: null } }, "spec", "data.SLOTS_PER_EPOCH"],
    ["is_syncing missing", { data: { head_slot: "1", sync_distance: "0" } }, "syncing", "data.is_syncing"],
    [
      "is_optimistic as a string",
      { data: { head_slot: "1", sync_distance: "0", is_syncing: false, is_optimistic: "false" } },
      "syncing",
      "data.is_optimistic",
    ],
    ["an unknown validator status", { data: [{ ...validatorJson(1), status: "active" }] }, "validators", "data[0].status"],
    ["a validator that was not asked for", { data: [validatorJson(2)] }, "validators", "data[0].validator.pubkey"],
    [
      "slashed as a string",
      { data: [{ ...validatorJson(1), validator: { ...(validatorJson(1).validator as object), slashed: "false" } }] },
      "validators",
      "data[0].validator.slashed",
    ],
    ["the same validator twice", { data: [validatorJson(1), validatorJson(1)] }, "validators", "data[1].index"],
    ["data as an object", { data: {} }, "validators", "data"],
    ["a liveness answer without one of the indices", { data: [{ index: "1", is_live: true }] }, "liveness", "data"],
    [
      "a liveness answer for an index not asked for",
      {
        data: [
          { index: "1", is_live: true },
          { index: "2", is_live: true },
          { index: "9", is_live: false },
        ],
      },
      "liveness",
      "data[2].index",
    ],
    [
      "is_live as a number",
      {
        data: [
          { index: "1", is_live: 1 },
          { index: "2", is_live: 0 },
        ],
      },
      "liveness",
      "data[0].is_live",
    ],
    [
      "a pending deposit with a short signature",
      { data: [{ pubkey: PK(1), withdrawal_credentials: ROOT, amount: "1", signature: "0x00", slot: "1" }] },
      "pending",
      "data[0].signature",
    ],
  ] as const)("refuses %s with BEACON_BAD_RESPONSE naming the field", async (_what, body, method, fieldPath) => {
    const node = await fake((_, res) => json(res, 200, body));
    const { client: beacon } = client([node.url]);
    const call = {
      genesis: () => beacon.getGenesis(),
      spec: () => beacon.getSpec(),
      syncing: () => beacon.getSyncing(),
      validators: () => beacon.getValidatorsByPubkey([PK(1)]),
      liveness: () => beacon.getLiveness(3, [1, 2]),
      pending: () => beacon.getPendingDepositPubkeys(),
    }[method];
    const error = await failure(call());
    expect(error.code).toBe("BEACON_BAD_RESPONSE");
    expect(error.message).toContain(fieldPath);
    expect(error.message).toContain(node.label);
    expect(error.details.node).toBe(node.label);
    // A node that answers nonsense is not asked again in the same call.
    expect(node.requests).toHaveLength(1);
  });

  it("refuses an answer that is not JSON, naming node and endpoint", async () => {
    const node = await fake((_, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end("<html>proxy error</html>");
    });
    const error = await failure(client([node.url]).client.getGenesis());
    expect(error).toMatchObject({
      code: "BEACON_BAD_RESPONSE",
      details: { node: node.label, endpoint: "/eth/v1/beacon/genesis", status: 200 },
    });
    expect(error.message).toMatch(/beacon node 127\.0\.0\.1:\d+: GET \/eth\/v1\/beacon\/genesis: the answer is not JSON/);
  });
});

describe("BeaconClient: retries, timeouts and failover", () => {
  it("retries a 500 after a backoff and succeeds", async () => {
    let calls = 0;
    const node = await fake((_, res) => (++calls === 1 ? json(res, 500, { code: 500, message: "internal" }) : json(res, 200, GENESIS)));
    const { client: beacon, events, sleeps } = client([node.url]);
    await expect(beacon.getGenesis()).resolves.toMatchObject({ genesisTime: 1606824023 });
    expect(events.map((e) => e.status)).toEqual([500, 200]);
    expect(sleeps).toEqual([100]);
    expect(beacon.nodeHealth()).toEqual([
      {
        node: node.label,
        consecutiveFailures: 0,
        lastSuccessAt: expect.any(Number),
        lastError: { code: "BEACON_HTTP_ERROR", message: expect.stringContaining("HTTP 500: internal"), at: expect.any(Number) },
      },
    ]);
  });

  it("gives up after the configured retries, backing off exponentially up to the cap", async () => {
    const node = await fake((_, res) => json(res, 503, { code: 503, message: "syncing" }));
    const { client: beacon, sleeps } = client([node.url], { retries: 3 });
    const error = await failure(beacon.getSpec());
    expect(error).toMatchObject({
      code: "BEACON_HTTP_ERROR",
      details: { status: 503, reason: "syncing", endpoint: "/eth/v1/config/spec" },
    });
    expect(node.requests).toHaveLength(4);
    expect(sleeps).toEqual([100, 200, 300]);
    expect(beacon.nodeHealth()[0]).toMatchObject({ consecutiveFailures: 4, lastSuccessAt: null });
  });

  it("times out a node that does not answer", async () => {
    const node = await fake(hang);
    const { client: beacon, events } = client([node.url], { timeoutMs: 150, retries: 1 });
    const error = await failure(beacon.getGenesis());
    expect(error).toMatchObject({ code: "BEACON_TIMEOUT", details: { node: node.label, endpoint: "/eth/v1/beacon/genesis" } });
    expect(error.message).toContain("no answer within 0.15 s");
    expect(events.map((e) => e.status)).toEqual(["timeout", "timeout"]);
  });

  it("fails over from a refused connection to the second node", async () => {
    const dead = await refusedUrl();
    const node = await fake((_, res) => json(res, 200, GENESIS));
    const { client: beacon, events, sleeps } = client([dead, node.url]);
    await expect(beacon.getGenesis()).resolves.toMatchObject({ genesisTime: 1606824023 });
    expect(events.map((e) => e.status)).toEqual(["unreachable", 200]);
    expect(sleeps).toEqual([]);
    const [first, second] = beacon.nodeHealth();
    expect(first).toMatchObject({ consecutiveFailures: 1, lastSuccessAt: null, lastError: { code: "BEACON_UNREACHABLE" } });
    expect(first?.lastError?.message).toContain("ECONNREFUSED");
    expect(second).toMatchObject({ node: node.label, consecutiveFailures: 0, lastError: null });
  });

  it("asks a node that failed last, after the healthy ones", async () => {
    const bad = await fake((_, res) => json(res, 500, {}));
    const good = await fake((_, res) => json(res, 200, GENESIS));
    const { client: beacon } = client([bad.url, good.url]);
    await beacon.getGenesis();
    await beacon.getGenesis();
    expect([bad.requests.length, good.requests.length]).toEqual([1, 2]);
  });

  it("lists how each node failed when all do, with the code of the transient failure", async () => {
    const dead = await refusedUrl();
    const old = await fake((_, res) => json(res, 404, { message: "Route not found" }));
    const { client: beacon } = client([old.url, dead], { retries: 1 });
    const error = await failure(beacon.getGenesis());
    expect(error.code).toBe("BEACON_UNREACHABLE");
    expect(error.details.failures).toEqual([
      { node: old.label, code: "BEACON_NOT_SUPPORTED", status: 404 },
      { node: new URL(dead).host, code: "BEACON_UNREACHABLE" },
    ]);
    // The 404 node is not asked again; the unreachable one is, once more.
    expect(old.requests).toHaveLength(1);
    expect(error.message).toContain("every beacon node failed");
  });

  it("does not fail over on 400: the request itself is wrong", async () => {
    const first = await fake((_, res) => json(res, 400, { code: 400, message: "Invalid state ID: current" }));
    const second = await fake((_, res) => json(res, 200, { data: [] }));
    const error = await failure(client([first.url, second.url]).client.getValidatorsByPubkey([PK(1)], "current"));
    expect(error).toMatchObject({ code: "BEACON_HTTP_ERROR", details: { status: 400, reason: "Invalid state ID: current" } });
    expect(second.requests).toHaveLength(0);
  });

  it("stops at once when the caller aborts, without retrying", async () => {
    const node = await fake(hang);
    const controller = new AbortController();
    const { client: beacon } = client([node.url], { timeoutMs: 5_000 });
    setTimeout(() => controller.abort(), 50);
    const error = await failure(beacon.getGenesis(controller.signal));
    expect(error.code).toBe("BEACON_ABORTED");
    expect(node.requests).toHaveLength(1);
    expect(beacon.nodeHealth()[0]?.consecutiveFailures).toBe(0);
  });

  it("keeps credentials out of labels, errors and metrics, and sends them as Basic auth", async () => {
    const node = await fake((_, res) => json(res, 500, { message: "boom" }));
    const url = new URL(node.url);
    url.username = "operator";
    url.password = "s3cret-pass";
    url.pathname = "/beacon/apikey-abcdef/";
    const { client: beacon, events } = client([url.href], { retries: 0 });
    const error = await failure(beacon.getGenesis());
    expect(node.requests[0]?.path).toBe("/beacon/apikey-abcdef/eth/v1/beacon/genesis");
    expect(node.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from("operator:s3cret-pass").toString("base64")}`);
    const shown = JSON.stringify([error.message, error.details, events, beacon.nodeHealth()]);
    for (const secret of ["s3cret-pass", "apikey-abcdef", "operator"]) expect(shown).not.toContain(secret);
    expect(events[0]?.node).toBe(node.label);
  });

  it("tells apart two URLs on the same host:port", async () => {
    const node = await fake((_, res) => json(res, 200, GENESIS));
    const { client: beacon } = client([`${node.url}/a`, `${node.url}/b`]);
    expect(beacon.nodeHealth().map((h) => h.node)).toEqual([`${node.label}#1`, `${node.label}#2`]);
  });

  it("refuses bad arguments before sending anything", async () => {
    const node = await fake((_, res) => json(res, 200, { data: [] }));
    const { client: beacon } = client([node.url]);
    await expect(beacon.getValidatorsByPubkey(["0x1234"])).rejects.toMatchObject({ code: "INVALID_HEX" });
    await expect(beacon.getLiveness(-1, [1])).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(beacon.getLiveness(1, [1.5])).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(beacon.getValidatorsByPubkey([])).resolves.toEqual([]);
    await expect(beacon.getLiveness(1, [])).resolves.toEqual(new Map());
    expect(node.requests).toHaveLength(0);
    expect(() => new BeaconClient({ urls: [] })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => new BeaconClient({ urls: ["ftp://secret@host"] })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    // The URL may hold a key: the error names the setting, never the value.
    for (const url of ["not a url with secret", "ftp://user:secret@host"]) {
      let message = "";
      try {
        new BeaconClient({ urls: [url] });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^beacon node URL 1 /);
      expect(message).not.toContain("secret");
    }
  });
});

describe("BeaconClient: endpoints older nodes do not serve", () => {
  it("gives null for pending deposits on a node without the endpoint (404), and a set where it has one", async () => {
    const node = await fake((_, res) =>
      json(res, 404, { statusCode: 404, message: "Route GET:/eth/v1/beacon/states/head/pending_deposits not found" }),
    );
    const { client: beacon, events } = client([node.url]);
    await expect(beacon.getPendingDepositPubkeys()).resolves.toBeNull();
    expect(events.map((e) => [e.endpoint, e.status])).toEqual([["/eth/v1/beacon/states/{state_id}/pending_deposits", 404]]);
    // A 404 is an answer: the node is healthy.
    expect(beacon.nodeHealth()[0]).toMatchObject({ consecutiveFailures: 0, lastError: null });

    const deposit = (n: number): unknown => ({
      pubkey: PK(n).toUpperCase().replace("0X", "0x"),
      withdrawal_credentials: ROOT,
      amount: "32000000000",
      signature: `0x${"cd".repeat(96)}`,
      slot: "0",
    });
    node.handle((_, res) => json(res, 200, { version: "electra", data: [deposit(1), deposit(2), deposit(1)] }));
    await expect(beacon.getPendingDepositPubkeys("finalized")).resolves.toEqual(new Set([PK(1), PK(2)]));
    expect(node.requests.at(-1)?.path).toBe("/eth/v1/beacon/states/finalized/pending_deposits");
  });

  it("does not say null when only some nodes lack the endpoint and the others fail", async () => {
    const old = await fake((_, res) => json(res, 404, {}));
    const broken = await fake((_, res) => json(res, 502, {}));
    const error = await failure(client([old.url, broken.url], { retries: 0 }).client.getPendingDepositPubkeys());
    expect(error).toMatchObject({ code: "BEACON_HTTP_ERROR", details: { status: 502 } });
  });

  it("says BEACON_NOT_SUPPORTED, a code callers can branch on, when no node serves an endpoint", async () => {
    const a = await fake((_, res) => json(res, 404, {}));
    const b = await fake((_, res) => json(res, 501, {}));
    const error = await failure(client([a.url, b.url]).client.getSpec());
    expect(error.code).toBe("BEACON_NOT_SUPPORTED");
    expect(error.message).toContain("no beacon node serves GET /eth/v1/config/spec");
  });

  it("asks for validators with POST {ids}, in batches", async () => {
    const node = await fake(validatorsByPubkey);
    const { client: beacon } = client([node.url], { postBatchSize: 2 });
    const found = await beacon.getValidatorsByPubkey([PK(1), PK(2), PK(3), PK(200), PK(1)], "finalized");
    expect(found.map((v) => v.index)).toEqual([1, 2, 3]);
    expect(node.requests.map((r) => [r.method, r.path, JSON.parse(r.body)])).toEqual([
      ["POST", "/eth/v1/beacon/states/finalized/validators", { ids: [PK(1), PK(2)] }],
      ["POST", "/eth/v1/beacon/states/finalized/validators", { ids: [PK(3), PK(200)] }],
    ]);
  });

  it.each([404, 405])("falls back to GET with repeated id= in short chunks when POST answers %i", async (status) => {
    const node = await fake((req, res) => (req.method === "POST" ? json(res, status, {}) : validatorsByPubkey(req, res)));
    const { client: beacon, events } = client([node.url], { validatorsPerGet: 2 });
    const found = await beacon.getValidatorsByPubkey([PK(1), PK(2), PK(3), PK(250), PK(4)]);
    expect(found.map((v) => v.index)).toEqual([1, 2, 3, 4]);
    const gets = node.requests.filter((r) => r.method === "GET");
    expect(gets.map((r) => r.query.getAll("id"))).toEqual([[PK(1), PK(2)], [PK(3), PK(250)], [PK(4)]]);
    expect(gets.every((r) => r.url.length < 400)).toBe(true);
    expect(events.map((e) => [e.method, e.status])).toEqual([
      ["POST", status],
      ["GET", 200],
      ["GET", 200],
      ["GET", 200],
    ]);
  });

  it("keeps GET URLs near 3 KB by default (32 pubkeys per request)", async () => {
    const node = await fake((req, res) => (req.method === "POST" ? json(res, 404, {}) : json(res, 200, { data: [] })));
    await client([node.url]).client.getValidatorsByPubkey(Array.from({ length: 70 }, (_, i) => PK(i + 100)));
    const gets = node.requests.filter((r) => r.method === "GET");
    expect(gets.map((r) => r.query.getAll("id").length)).toEqual([32, 32, 6]);
    expect(Math.max(...gets.map((r) => r.url.length))).toBeLessThan(3500);
  });

  it("asks liveness with POST /liveness/{epoch} and index strings", async () => {
    const node = await fake((req, res) =>
      json(res, 200, { data: (JSON.parse(req.body) as string[]).map((index) => ({ index, is_live: index === "5" })) }),
    );
    const { client: beacon, events } = client([node.url]);
    const live = await beacon.getLiveness(42, [5, 6, 5]);
    expect([...live]).toEqual([
      [5, true],
      [6, false],
    ]);
    expect(node.requests.map((r) => [r.method, r.path, r.body])).toEqual([["POST", "/eth/v1/validator/liveness/42", '["5","6"]']]);
    expect(events[0]?.endpoint).toBe("/eth/v1/validator/liveness/{epoch}");
  });

  it("falls back to the old GET liveness form and accepts its numeric indices", async () => {
    const node = await fake((req, res) => {
      if (req.method === "POST") return json(res, 404, { message: "Route POST:/eth/v1/validator/liveness/7 not found" });
      const epoch = Number(req.query.get("epoch"));
      json(res, 200, { data: req.query.getAll("indices").map((i) => ({ index: Number(i), epoch, is_live: Number(i) % 2 === 0 })) });
    });
    const { client: beacon } = client([node.url], { livenessPerGet: 2 });
    const live = await beacon.getLiveness(7, [0, 1, 2]);
    expect([...live]).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
    const gets = node.requests.filter((r) => r.method === "GET");
    expect(gets.map((r) => r.url)).toEqual([
      "/eth/v1/validator/liveness?indices=0&indices=1&epoch=7",
      "/eth/v1/validator/liveness?indices=2&epoch=7",
    ]);
  });

  it("takes fallback answers from one node only: a node failing mid-fallback hands the whole batch to the next", async () => {
    let gets = 0;
    const flaky = await fake((req, res) =>
      req.method === "POST" ? json(res, 404, {}) : ++gets === 1 ? validatorsByPubkey(req, res) : json(res, 500, {}),
    );
    const good = await fake(validatorsByPubkey);
    const { client: beacon } = client([flaky.url, good.url], { validatorsPerGet: 1, retries: 0 });
    const found = await beacon.getValidatorsByPubkey([PK(1), PK(2)]);
    expect(found.map((v) => v.index)).toEqual([1, 2]);
    expect(good.requests.map((r) => JSON.parse(r.body))).toEqual([{ ids: [PK(1), PK(2)] }]);
  });
});
