/**
 * The control endpoints under /_sim/, for a benchmark driving a simulator in another process. They
 * mirror the programmatic API (same names, camelCase), are never delayed, failed or counted, and
 * answer 400 with the path of the bad field when a body is wrong.
 */
import { JsonFieldError, asObject, field, integerField, isJsonObject, type JsonObject } from "../../src/util/jsonFields.js";
import { asArray, asBoolean, optionalBooleanField } from "../../src/util/jsonValues.js";
import type { ReorgChange } from "./chainLayout.js";
import type { ChainModel } from "./chainModel.js";
import type { FaultUpdate, RequestLog, SimulatorFaults } from "./faults.js";
import { parseJsonBody } from "./identifiers.js";
import { ApiError, json, type Handler, type Router } from "./router.js";

export interface ControlTarget {
  readonly model: ChainModel;
  readonly faults: SimulatorFaults;
  readonly requests: RequestLog;
}

export function addControlRoutes(router: Router, target: ControlTarget): void {
  const { model, faults, requests } = target;
  const status = (): unknown => ({
    headSlot: model.headSlot,
    headEpoch: model.headEpoch,
    anchorSlot: model.anchorSlot,
    finalizedEpoch: model.finality.finalizedEpoch(model.headEpoch),
    finalityStalled: model.finality.stalled,
    validatorCount: model.validatorCount,
    activeCount: model.activeCount,
    fork: model.fork,
    seed: model.seed,
    faults: faults.current,
  });

  router.add("GET", "/_sim/status", () => json(status()));

  router.add(
    "POST",
    "/_sim/head",
    control((body) => {
      model.setHead(integerField(body, "slot", ""));
      return status();
    }),
  );

  // {indices: [..]} or {from, to}; optional fromEpoch (default: the epoch after the head's) and offline (default true).
  router.add(
    "POST",
    "/_sim/offline",
    control((body) => {
      const indices = Object.hasOwn(body, "indices") ? asArray(field(body, "indices", ""), "indices").map((v, i) => integer(v, `indices[${i}]`)) : range(body);
      model.setOffline(indices, { ...fromEpoch(body), offline: optionalBooleanField(body, "offline", "") ?? true });
      return { count: indices.length };
    }),
  );

  router.add(
    "POST",
    "/_sim/miss_rate",
    control((body) => {
      const rate = field(body, "rate", "");
      if (typeof rate !== "number") throw new JsonFieldError("rate", "expected a number");
      model.setMissRate({ from: integerField(body, "from", ""), to: integerField(body, "to", "") }, rate, fromEpoch(body));
      return {};
    }),
  );

  router.add(
    "POST",
    "/_sim/reorg",
    control((body) => {
      const change = body["change"];
      if (change !== undefined && change !== "replace" && change !== "remove" && change !== "add") {
        throw new JsonFieldError("change", 'expected "replace", "remove" or "add"');
      }
      const slot = integerField(body, "slot", "");
      const made = model.reorg(slot, change as ReorgChange | undefined);
      return { change: made, root: model.layout.header(slot)?.rootHex ?? null };
    }),
  );

  router.add(
    "POST",
    "/_sim/finality",
    control((body) => {
      model.setFinalityStalled(asBoolean(field(body, "stalled", ""), "stalled"));
      return status();
    }),
  );

  // Settings (latencyMs, failRate, failStatus, paths, syncing, syncDistance, optimistic, elOffline),
  // plus failNext {count, status?, path?}, truncateNext {count, path?} and clear: true.
  router.add(
    "POST",
    "/_sim/faults",
    control((body) => {
      if (body["clear"] === true) faults.clear();
      const update: Record<string, unknown> = {};
      for (const key of ["latencyMs", "failRate", "failStatus", "syncDistance"] as const) {
        if (body[key] !== undefined) update[key] = numberValue(body[key], key);
      }
      for (const key of ["syncing", "optimistic", "elOffline"] as const) {
        if (body[key] !== undefined) update[key] = asBoolean(body[key], key);
      }
      if (body["paths"] !== undefined) {
        update["paths"] = body["paths"] === null ? null : asArray(body["paths"], "paths").map((p, i) => stringValue(p, `paths[${i}]`));
      }
      faults.set(update as FaultUpdate);
      if (isJsonObject(body["failNext"])) {
        const next = body["failNext"];
        faults.failNext(integerField(next, "count", "failNext"), optionalInteger(next, "status", "failNext") ?? 503, optionalString(next, "path"));
      }
      if (isJsonObject(body["truncateNext"])) {
        const next = body["truncateNext"];
        faults.truncateNext(integerField(next, "count", "truncateNext"), optionalString(next, "path"));
      }
      return faults.current;
    }),
  );

  router.add("GET", "/_sim/requests", () => json({ total: requests.total, byRoute: requests.byRoute() }));
  router.add("POST", "/_sim/requests/reset", () => {
    requests.reset();
    return json({});
  });
}

function control(run: (body: JsonObject) => unknown): Handler {
  return (request) => {
    try {
      return json(run(asObject(parseJsonBody(request.body) ?? {}, "body")));
    } catch (error) {
      if (error instanceof JsonFieldError || error instanceof RangeError) throw new ApiError(400, error.message);
      throw error;
    }
  };
}

function range(body: JsonObject): number[] {
  const from = integerField(body, "from", "");
  const to = integerField(body, "to", "");
  if (to < from) throw new JsonFieldError("to", "must not be below from");
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function fromEpoch(body: JsonObject): { fromEpoch?: number } {
  const value = optionalInteger(body, "fromEpoch", "");
  return value === undefined ? {} : { fromEpoch: value };
}

function integer(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new JsonFieldError(path, "expected an integer");
  return value;
}

function numberValue(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new JsonFieldError(path, "expected a number");
  return value;
}

function stringValue(value: unknown, path: string): string {
  if (typeof value !== "string") throw new JsonFieldError(path, "expected a string");
  return value;
}

function optionalInteger(body: JsonObject, key: string, path: string): number | undefined {
  return body[key] === undefined ? undefined : integer(body[key], path === "" ? key : `${path}.${key}`);
}

function optionalString(body: JsonObject, key: string): string | undefined {
  return body[key] === undefined ? undefined : stringValue(body[key], key);
}
