/**
 * Slashings from the beacon node's event stream: the server-sent-events format, the client over
 * real HTTP (topics as repeated parameters, reconnecting, nodes without the endpoint), and the
 * SLASHED_ON_CHAIN signals the events give for registered validators (real SQLite).
 */
import { afterEach, describe, expect, it } from "vitest";
import { BeaconEventStream, EventParser, type BeaconEvent } from "../../src/beacon/eventStream.js";
import { silentLogger, type Logger } from "../../src/jobs/logger.js";
import { SLASHING_TOPICS, SlashingEventSignals, slashedBy } from "../../src/risk/slashingEvents.js";
import { OperatorsRepository } from "../../src/store/operators.js";
import { RiskSignalsRepository } from "../../src/store/riskSignals.js";
import { ValidatorKeysRepository } from "../../src/store/validatorKeys.js";
import { json, refusedUrl, useFakeServers } from "../helpers/fakeServer.js";
import { openTestStore } from "../helpers/stores.js";

const fakeServer = useFakeServers();
const streams: BeaconEventStream[] = [];
afterEach(async () => {
  await Promise.all(streams.splice(0).map((s) => s.stop()));
});

const proposerSlashing = (index: number) => ({
  signed_header_1: { message: { slot: "100", proposer_index: String(index), parent_root: `0x${"11".repeat(32)}`, state_root: `0x${"22".repeat(32)}`, body_root: `0x${"33".repeat(32)}` }, signature: "0x" },
  signed_header_2: { message: { slot: "100", proposer_index: String(index), parent_root: `0x${"11".repeat(32)}`, state_root: `0x${"44".repeat(32)}`, body_root: `0x${"33".repeat(32)}` }, signature: "0x" },
});
const attesterSlashing = (first: number[], second: number[]) => ({
  attestation_1: { attesting_indices: first.map(String), data: {}, signature: "0x" },
  attestation_2: { attesting_indices: second.map(String), data: {}, signature: "0x" },
});
const sse = (topic: string, data: unknown): string => `event: ${topic}\ndata: ${JSON.stringify(data)}\n\n`;

function collecting(logger: Logger = silentLogger): { events: BeaconEvent[]; onEvent: (e: BeaconEvent) => Promise<void>; logger: Logger } {
  const events: BeaconEvent[] = [];
  return { events, onEvent: async (e) => void events.push(e), logger };
}

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("server-sent events format", () => {
  it.each([
    ["LF line ends", ["event: a\ndata: 1\n\n"], [["a", "1"]]],
    // A CR at the end of a chunk may be half a CRLF: the blank line is known once the next chunk comes.
    ["CRLF, and CR alone", ["event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\r", "event: c\n"], [["a", "1"], ["b", "2"]]],
    ["a CRLF split between chunks", ["event: a\r", "\ndata: 1\r", "\n\r\n"], [["a", "1"]]],
    ["several data lines join with newlines", ["data: {\ndata: }\n\n"], [["message", "{\n}"]]],
    ["comments and unknown fields are skipped", [": keep-alive\nid: 7\nevent: a\ndata:x\n\n"], [["a", "x"]]],
    ["an event without data is no event", ["event: a\n\nevent: b\ndata: 2\n\n"], [["b", "2"]]],
    ["a line cut between chunks", ["eve", "nt: a\nda", "ta: 1", "\n\n"], [["a", "1"]]],
  ])("%s", (_name, chunks, expected) => {
    const parser = new EventParser();
    const events = chunks.flatMap((c) => parser.push(c));
    expect(events.map((e) => [e.topic, e.data])).toEqual(expected);
  });
});

describe("the validators a slashing names", () => {
  it("proposer slashing: the proposer; attester slashing: those in both attestations", () => {
    expect(slashedBy({ topic: "proposer_slashing", data: proposerSlashing(42) })).toEqual([42]);
    expect(slashedBy({ topic: "attester_slashing", data: attesterSlashing([1, 2, 3, 9], [2, 3, 4]) })).toEqual([2, 3]);
    expect(slashedBy({ topic: "head", data: {} })).toEqual([]);
  });

  it("refuses malformed events, naming the field", () => {
    expect(() => slashedBy({ topic: "proposer_slashing", data: { signed_header_1: { message: { proposer_index: "-1" } } } })).toThrow(/signed_header_1\.message\.proposer_index/);
    expect(() => slashedBy({ topic: "attester_slashing", data: { attestation_1: { attesting_indices: [1] } } })).toThrow(/attesting_indices\[0\]/);
  });
});

describe("event stream client", () => {
  it("asks for the topics as repeated parameters, delivers events in order, and reconnects after the node closes", async () => {
    let connections = 0;
    const node = await fakeServer((request, response) => {
      connections++;
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(sse("proposer_slashing", proposerSlashing(5)));
      response.end(`: bye\n${sse("attester_slashing", attesterSlashing([7], [7]))}`);
      expect(request.headers.accept).toBe("text/event-stream");
    });
    const sink = collecting();
    const stream = new BeaconEventStream({ urls: [node.url], topics: SLASHING_TOPICS, retryMs: 20 }, sink);
    streams.push(stream);
    stream.start();
    await until(() => connections >= 2 && sink.events.length >= 4);
    expect(node.requests[0]?.url).toBe("/eth/v1/events?topics=proposer_slashing&topics=attester_slashing");
    expect(sink.events.slice(0, 2).map((e) => e.topic)).toEqual(["proposer_slashing", "attester_slashing"]);
  });

  it("moves past a node without the endpoint or without an answer, and ends when no node serves it", async () => {
    const without = await fakeServer((_request, response) => json(response, 404, { code: 404, message: "not found" }));
    const serving = await fakeServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end(sse("proposer_slashing", proposerSlashing(1)));
    });
    const sink = collecting();
    const stream = new BeaconEventStream({ urls: [await refusedUrl(), without.url, serving.url], topics: SLASHING_TOPICS, retryMs: 20 }, sink);
    streams.push(stream);
    stream.start();
    await until(() => sink.events.length >= 3);
    // Asked once: a node without the endpoint is not asked again.
    expect(without.requests).toHaveLength(1);

    const warnings: unknown[] = [];
    const none = new BeaconEventStream(
      { urls: [without.url], topics: SLASHING_TOPICS, retryMs: 20 },
      { onEvent: async () => undefined, logger: { ...silentLogger, warn: (o) => void warnings.push(o) } },
    );
    none.start();
    await none.finished();
    expect(warnings).toContainEqual({ topics: SLASHING_TOPICS });
  });

  it("an event it cannot handle is logged, and the stream goes on", async () => {
    const node = await fakeServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("event: attester_slashing\ndata: not json\n\n");
      response.write(sse("attester_slashing", { attestation_1: {} }));
      response.end(sse("proposer_slashing", proposerSlashing(3)));
    });
    const errors: unknown[] = [];
    const handled: number[] = [];
    const stream = new BeaconEventStream(
      { urls: [node.url], topics: SLASHING_TOPICS, retryMs: 1_000 },
      { onEvent: async (e) => void handled.push(...slashedBy(e)), logger: { ...silentLogger, warn: (o) => void errors.push(o), error: (o) => void errors.push(o) } },
    );
    streams.push(stream);
    stream.start();
    await until(() => handled.length >= 1);
    expect(handled).toEqual([3]);
    expect(errors).toHaveLength(2);
  });
});

describe("SLASHED_ON_CHAIN from slashing events", () => {
  it("for registered validators only, with the event as the source", async () => {
    const { store, dispose } = await openTestStore("sqlite");
    try {
      const t0 = "2026-11-21T10:00:00.000Z";
      await new OperatorsRepository(store.db).insert({ id: "acme", name: "acme", reward_address: null, active: 1, key_limit: null, token_hash: "h", created_at: t0, updated_at: t0 });
      const keys = new ValidatorKeysRepository(store.db);
      await keys.insertMany(
        [2, 5].map((index) => ({
          pubkey: `0x${String(index).padStart(96, "0")}`, operator_id: "acme", source: "existing" as const, derivation_path: null, withdrawal_credentials: null, amount_gwei: null,
          deposit_signature: null, deposit_message_root: null, deposit_data_root: null, state: "active" as const, validator_index: index, in_custody: 0, created_at: t0, updated_at: t0,
        })),
      );
      const signals = new RiskSignalsRepository(store.db);
      const handler = new SlashingEventSignals({ signals, keys, clock: { now: () => new Date(t0) } });
      expect(await handler.handle({ topic: "attester_slashing", data: attesterSlashing([1, 2, 3], [2, 3]) })).toBe(1);
      expect(await handler.handle({ topic: "proposer_slashing", data: proposerSlashing(9) })).toBe(0);
      const rows = await signals.list();
      expect(rows.map((r) => [r.kind, r.severity, r.operator_id, Number(r.validator_index), JSON.parse(r.details)])).toEqual([
        ["SLASHED_ON_CHAIN", "critical", "acme", 2, { source: "event-stream", topic: "attester_slashing" }],
      ]);
    } finally {
      await dispose();
    }
  });
});
