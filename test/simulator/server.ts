/**
 * The beacon-node simulator: a real HTTP server on 127.0.0.1 answering the standard Beacon API from
 * a ChainModel, with faults on demand and request counts. Usable in-process from tests (small
 * chains) or as its own process through main.ts (mainnet-size chains, see README.md).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { ChainModel, type ChainModelOptions } from "./chainModel.js";
import type { ReorgChange } from "./chainLayout.js";
import { addControlRoutes } from "./controlRoutes.js";
import { RequestLog, SimulatorFaults } from "./faults.js";
import { RouteContext, type PastProposerDuties } from "./routeContext.js";
import { ApiError, Router, errorReply, type Reply } from "./router.js";
import { addBlockRoutes } from "./routesBlocks.js";
import { addDutyRoutes } from "./routesDuties.js";
import { addNodeRoutes } from "./routesNode.js";
import { addStateRoutes } from "./routesState.js";

export interface BeaconSimulatorOptions extends ChainModelOptions {
  /** Default 0: any free port. The server only ever listens on 127.0.0.1. */
  readonly port?: number;
  /** Default "serve". */
  readonly pastProposerDuties?: PastProposerDuties;
  /** States of up to this many validators are also served as JSON. Default 16,384. */
  readonly maxJsonStateValidators?: number;
  /** Build the validator records (the state's largest part) before listening rather than on the first state request. */
  readonly prebuild?: boolean;
}

export interface BeaconSimulator {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly model: ChainModel;
  readonly faults: SimulatorFaults;
  readonly requests: RequestLog;
  /** Signed voluntary exits posted to the pool, as received (JSON). */
  readonly voluntaryExits: readonly unknown[];
  setHead(slot: number): void;
  reorg(slot: number, change?: ReorgChange): ReorgChange;
  close(): Promise<void>;
}

/** Bytes per write when streaming: large enough for loopback speed, small enough to honour backpressure. */
const WRITE_SLICE = 1 << 20;
export const SIMULATOR_VERSION = "stakeops-beacon-simulator/v0.1.0";

export async function startBeaconSimulator(options: BeaconSimulatorOptions): Promise<BeaconSimulator> {
  const model = new ChainModel(options);
  if (options.prebuild === true) model.registry.validatorsRegion();
  const faults = new SimulatorFaults(model.seed);
  const requests = new RequestLog();
  const context = new RouteContext(model, faults, {
    pastProposerDuties: options.pastProposerDuties ?? "serve",
    maxJsonStateValidators: options.maxJsonStateValidators ?? 16_384,
    version: SIMULATOR_VERSION,
  });
  const beacon = new Router();
  addNodeRoutes(beacon, context);
  addBlockRoutes(beacon, context);
  addStateRoutes(beacon, context);
  addDutyRoutes(beacon, context);
  const control = new Router();
  addControlRoutes(control, { model, faults, requests });

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => {
      // The answer could not be written (the client went away): nothing left to tell anyone.
      response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const method = request.method ?? "GET";
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const path = url.pathname;
    const isControl = path.startsWith("/_sim/");
    const match = (isControl ? control : beacon).match(method, path);
    const template = match.kind === "none" ? null : match.template;
    let truncate = false;
    if (!isControl) {
      requests.record(template, path);
      const decision = faults.decide(template, path);
      if (decision.latencyMs > 0) await sleep(decision.latencyMs);
      if (decision.failStatus !== null) {
        await send(response, errorReply(decision.failStatus, "Simulated failure"), false);
        return;
      }
      truncate = decision.truncate;
    }
    let reply: Reply;
    if (match.kind === "none") reply = errorReply(404, `Route ${method}:${path} not found`);
    else if (match.kind === "wrong-method") reply = errorReply(405, `Method ${method} not allowed on ${match.template}`);
    else {
      try {
        reply = await match.handler({ method, path, params: match.params, query: url.searchParams, headers: request.headers, body });
      } catch (error) {
        if (error instanceof ApiError) reply = errorReply(error.status, error.message);
        else reply = errorReply(500, error instanceof Error ? error.message : "Internal error");
      }
    }
    await send(response, reply, truncate);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    model,
    faults,
    requests,
    voluntaryExits: context.voluntaryExits,
    setHead: (slot) => model.setHead(slot),
    reorg: (slot, change) => model.reorg(slot, change),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/**
 * Writes a reply. `truncate`: the headers promise the whole body, half of it is sent, then the
 * socket is destroyed, the way a node crashing mid-answer looks to a client.
 */
async function send(response: ServerResponse, reply: Reply, truncate: boolean): Promise<void> {
  const { body } = reply;
  const headers: Record<string, string | number> = { ...reply.headers };
  if (body.kind === "stream") {
    response.writeHead(reply.status, { ...headers, "content-type": body.contentType });
    for (const chunk of body.chunks) {
      if (response.destroyed) return;
      const bytes = Buffer.from(chunk);
      if (truncate) {
        await write(response, bytes.subarray(0, Math.ceil(bytes.length / 2)));
        await cut(response);
        return;
      }
      await write(response, bytes);
    }
    response.end();
    return;
  }
  const segments: readonly Uint8Array[] =
    body.kind === "json" ? [Buffer.from(JSON.stringify(body.value))] : body.kind === "text" ? [Buffer.from(body.text)] : body.segments;
  const length = segments.reduce((sum, s) => sum + s.length, 0);
  const contentType = body.kind === "json" ? "application/json" : body.contentType;
  response.writeHead(reply.status, { ...headers, "content-type": contentType, "content-length": length });
  let budget = truncate ? Math.floor(length / 2) : length;
  for (const segment of segments) {
    for (let offset = 0; offset < segment.length && budget > 0; offset += WRITE_SLICE) {
      if (response.destroyed) return;
      const piece = segment.subarray(offset, Math.min(segment.length, offset + WRITE_SLICE, offset + budget));
      await write(response, piece);
      budget -= piece.length;
    }
  }
  if (truncate) await cut(response);
  else response.end();
}

/** Destroys the connection once what was written has reached the socket, so the client sees a body that stops short. */
async function cut(response: ServerResponse): Promise<void> {
  await new Promise<void>((resolve) => response.write(new Uint8Array(0), () => resolve()));
  response.destroy();
}

/** One write, waiting for the socket to drain when its buffer is full (or to close). */
async function write(response: ServerResponse, bytes: Uint8Array): Promise<void> {
  if (response.write(bytes)) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.on("drain", done);
    response.on("close", done);
  });
}
