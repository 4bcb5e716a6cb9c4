/**
 * Endpoints about a state: the whole state (SSZ), its root, fork, checkpoints, committees, sync
 * committees, validators and balances, pending deposits. Answers that hold every validator are
 * built as text piece by piece (a 2.2M-validator list is larger than a JavaScript string may be).
 */
import { SYNC_COMMITTEE_SIZE, SYNC_COMMITTEE_SUBNET_COUNT } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { FAR_FUTURE_EPOCH, FAR_FUTURE_EPOCH_STRING, FORKS } from "./chainConfig.js";
import { epochOf, startSlotOf } from "./chainLayout.js";
import type { ChainModel } from "./chainModel.js";
import { indicesOf, parseJsonBody, parseUint, resolveStateSlot, stringArray, validatorIndexOf } from "./identifiers.js";
import { statusMatches, validatorStatus, type ValidatorStatus } from "./registry.js";
import { hex, type RouteContext } from "./routeContext.js";
import { ApiError, json, type Reply, type Router, type SimRequest } from "./router.js";
import { wantsSsz } from "./routesBlocks.js";
import { pendingDeposits, stateJson } from "./stateSsz.js";

const STATUS_FILTERS: ReadonlySet<string> = new Set<string>([
  "pending_initialized",
  "pending_queued",
  "active_ongoing",
  "active_exiting",
  "active_slashed",
  "exited_unslashed",
  "exited_slashed",
  "withdrawal_possible",
  "withdrawal_done",
  "active",
  "pending",
  "exited",
  "withdrawal",
]);

/** Validators per piece of a streamed list. */
const STREAM_CHUNK = 10_000;

export function addStateRoutes(router: Router, context: RouteContext): void {
  const { model } = context;
  const stateSlot = (request: SimRequest): number => resolveStateSlot(model, request.params.state_id ?? "");

  router.add("GET", "/eth/v2/debug/beacon/states/{state_id}", (request) => {
    const slot = stateSlot(request);
    const version = model.fork;
    if (wantsSsz(request)) {
      const state = context.states.assemble(slot);
      return {
        status: 200,
        headers: { "eth-consensus-version": version },
        body: { kind: "bytes", segments: state.segments, length: state.length, contentType: "application/octet-stream" },
      };
    }
    if (model.validatorCount > context.options.maxJsonStateValidators) {
      throw new ApiError(406, `a state of ${model.validatorCount} validators is served as SSZ only: send Accept: application/octet-stream`);
    }
    // Small states only: JSON through lodestar's own type, from the same bytes.
    const data = stateJson(model.fork, Buffer.concat(context.states.assemble(slot).segments));
    return json({ version, ...context.meta(slot), data }, { "eth-consensus-version": version });
  });

  router.add("GET", "/eth/v1/beacon/states/{state_id}/root", (request) => {
    const slot = stateSlot(request);
    return json({ ...context.meta(slot), data: { root: hex(model.layout.stateRootAt(slot)) } });
  });

  router.add("GET", "/eth/v1/beacon/states/{state_id}/fork", (request) => {
    const slot = stateSlot(request);
    const [previous, current] = model.fork === "fulu" ? [FORKS.electra, FORKS.fulu] : [FORKS.deneb, FORKS.electra];
    return json({ ...context.meta(slot), data: { previous_version: previous.version, current_version: current.version, epoch: String(current.epoch) } });
  });

  router.add("GET", "/eth/v1/beacon/states/{state_id}/finality_checkpoints", (request) => {
    const slot = stateSlot(request);
    const epoch = epochOf(slot);
    const { finality, layout } = model;
    const checkpoint = (e: number): { epoch: string; root: string } => ({ epoch: String(e), root: hex(layout.blockRootAt(startSlotOf(e))) });
    return json({
      ...context.meta(slot),
      data: {
        previous_justified: checkpoint(finality.justifiedEpoch(epoch - 1)),
        current_justified: checkpoint(finality.justifiedEpoch(epoch)),
        finalized: checkpoint(finality.finalizedEpoch(epoch)),
      },
    });
  });

  router.add("GET", "/eth/v1/beacon/states/{state_id}/committees", (request) => {
    const slot = stateSlot(request);
    const { query } = request;
    const epoch = query.has("epoch") ? parseUint(query.get("epoch") ?? "", "epoch") : epochOf(slot);
    if (epoch > epochOf(slot) + 1) throw new ApiError(400, `Epoch ${epoch} is beyond the state's lookahead (state epoch ${epochOf(slot)})`);
    if (epoch < model.anchorEpoch - 1) throw new ApiError(404, `Epoch ${epoch} is before the simulator's history`);
    const index = query.has("index") ? parseUint(query.get("index") ?? "", "committee index") : null;
    const atSlot = query.has("slot") ? parseUint(query.get("slot") ?? "", "slot") : null;
    if (atSlot !== null && epochOf(atSlot) !== epoch) throw new ApiError(400, `Slot ${atSlot} is not in epoch ${epoch}`);
    if (index !== null && index >= model.committeesPerSlot) throw new ApiError(400, `Committee index ${index} out of range (${model.committeesPerSlot} per slot)`);
    const data =
      index === null && atSlot === null
        ? context.committeesJson(epoch, () => committeesText(model, epoch, null, null))
        : committeesText(model, epoch, index, atSlot);
    return textReply(`{${metaText(context.meta(slot))},"data":${data}}`);
  });

  router.add("GET", "/eth/v1/beacon/states/{state_id}/sync_committees", (request) => {
    const slot = stateSlot(request);
    const stateEpoch = epochOf(slot);
    const epoch = request.query.has("epoch") ? parseUint(request.query.get("epoch") ?? "", "epoch") : stateEpoch;
    const period = model.syncPeriodOf(epoch);
    const statePeriod = model.syncPeriodOf(stateEpoch);
    if (period !== statePeriod && period !== statePeriod + 1) {
      throw new ApiError(400, `Epoch ${epoch} is not in the state's sync committee period ${statePeriod} or the next`);
    }
    const members = [...model.syncCommittee(period)].map(String);
    const subnetSize = SYNC_COMMITTEE_SIZE / SYNC_COMMITTEE_SUBNET_COUNT;
    return json({
      ...context.meta(slot),
      data: {
        validators: members,
        validator_aggregates: Array.from({ length: SYNC_COMMITTEE_SUBNET_COUNT }, (_, i) => members.slice(i * subnetSize, (i + 1) * subnetSize)),
      },
    });
  });

  const validatorsReply = (slot: number, ids: readonly string[], statuses: readonly string[]): Reply => {
    for (const status of statuses) if (!STATUS_FILTERS.has(status)) throw new ApiError(400, `Invalid validator status: ${status}`);
    const epoch = epochOf(slot);
    const balances = model.balances(epoch);
    const keep = (status: ValidatorStatus): boolean => statuses.length === 0 || statuses.some((f) => statusMatches(status, f));
    const render = (index: number): string | null => {
      const record = model.validator(index);
      const balance = balances[index] ?? 0;
      const status = validatorStatus(record, epoch, balance);
      if (!keep(status)) return null;
      return validatorJson(index, balance, status, record);
    };
    const head = `{${metaText(context.meta(slot))},"data":[`;
    if (ids.length > 0) {
      const items = indicesOf(model, ids)
        .map(render)
        .filter((item): item is string => item !== null);
      return textReply(`${head}${items.join(",")}]}`);
    }
    return streamReply(head, "]}", model.validatorCount, render);
  };

  router.add("GET", "/eth/v1/beacon/states/{state_id}/validators", (request) =>
    validatorsReply(stateSlot(request), listQuery(request.query, "id"), listQuery(request.query, "status")),
  );

  router.add("POST", "/eth/v1/beacon/states/{state_id}/validators", (request) => {
    const slot = stateSlot(request);
    const body = parseJsonBody(request.body);
    if (body !== undefined && (typeof body !== "object" || body === null || Array.isArray(body))) throw new ApiError(400, "body must be an object {ids, statuses}");
    const fields = (body ?? {}) as { ids?: unknown; statuses?: unknown };
    return validatorsReply(slot, stringArray(fields.ids, "ids"), stringArray(fields.statuses, "statuses"));
  });

  router.add("GET", "/eth/v1/beacon/states/{state_id}/validators/{validator_id}", (request) => {
    const slot = stateSlot(request);
    const index = validatorIndexOf(model, request.params.validator_id ?? "");
    if (index === null) throw new ApiError(404, "Validator not found");
    const epoch = epochOf(slot);
    const balance = model.balances(epoch)[index] ?? 0;
    const record = model.validator(index);
    return textReply(`{${metaText(context.meta(slot))},"data":${validatorJson(index, balance, validatorStatus(record, epoch, balance), record)}}`);
  });

  const balancesReply = (slot: number, ids: readonly string[]): Reply => {
    const balances = model.balances(epochOf(slot));
    const render = (index: number): string => `{"index":"${index}","balance":"${balances[index] ?? 0}"}`;
    const head = `{${metaText(context.meta(slot))},"data":[`;
    if (ids.length > 0) return textReply(`${head}${indicesOf(model, ids).map(render).join(",")}]}`);
    return streamReply(head, "]}", model.validatorCount, render);
  };

  router.add("GET", "/eth/v1/beacon/states/{state_id}/validator_balances", (request) =>
    balancesReply(stateSlot(request), listQuery(request.query, "id")),
  );

  router.add("POST", "/eth/v1/beacon/states/{state_id}/validator_balances", (request) =>
    balancesReply(stateSlot(request), stringArray(parseJsonBody(request.body), "body")),
  );

  router.add("GET", "/eth/v1/beacon/states/{state_id}/pending_deposits", (request) => {
    const slot = stateSlot(request);
    return json(
      { version: model.fork, ...context.meta(slot), data: pendingDeposits(model).map((d) => ssz.electra.PendingDeposit.toJson(d)) },
      { "eth-consensus-version": model.fork },
    );
  });
}

/** The committees endpoint's data array as JSON text, optionally filtered by committee index and slot. */
export function committeesText(model: ChainModel, epoch: number, index: number | null, atSlot: number | null): string {
  const committees = model.committees(epoch);
  const parts: string[] = [];
  for (let offset = 0; offset < 32; offset++) {
    const slot = startSlotOf(epoch) + offset;
    if (atSlot !== null && slot !== atSlot) continue;
    for (let c = 0; c < committees.committeesPerSlot; c++) {
      if (index !== null && c !== index) continue;
      const members = committees.members(offset, c);
      const quoted = new Array<string>(members.length);
      for (let i = 0; i < members.length; i++) quoted[i] = `"${members[i] ?? 0}"`;
      parts.push(`{"index":"${c}","slot":"${slot}","validators":[${quoted.join(",")}]}`);
    }
  }
  return `[${parts.join(",")}]`;
}

export function validatorJson(
  index: number,
  balance: number,
  status: ValidatorStatus,
  record: { pubkey: Uint8Array; withdrawalCredentials: Uint8Array; effectiveBalance: number; slashed: boolean; activationEligibilityEpoch: number; activationEpoch: number; exitEpoch: number; withdrawableEpoch: number },
): string {
  const epoch = (e: number): string => (e === FAR_FUTURE_EPOCH ? FAR_FUTURE_EPOCH_STRING : String(e));
  return (
    `{"index":"${index}","balance":"${balance}","status":"${status}","validator":{` +
    `"pubkey":"${hex(record.pubkey)}","withdrawal_credentials":"${hex(record.withdrawalCredentials)}",` +
    `"effective_balance":"${record.effectiveBalance}","slashed":${record.slashed},` +
    `"activation_eligibility_epoch":"${epoch(record.activationEligibilityEpoch)}","activation_epoch":"${epoch(record.activationEpoch)}",` +
    `"exit_epoch":"${epoch(record.exitEpoch)}","withdrawable_epoch":"${epoch(record.withdrawableEpoch)}"}}`
  );
}

/** Query arrays the way nodes accept them: repeated (`id=1&id=2`) or comma-separated (`id=1,2`). */
export function listQuery(query: URLSearchParams, name: string): string[] {
  return query
    .getAll(name)
    .flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter((value) => value !== "");
}

export function metaText(meta: { execution_optimistic: boolean; finalized: boolean }): string {
  return `"execution_optimistic":${meta.execution_optimistic},"finalized":${meta.finalized}`;
}

export function textReply(text: string, status = 200): Reply {
  return { status, body: { kind: "text", text, contentType: "application/json" } };
}

/** A JSON list over [0, count) streamed in pieces; `render` returns null to leave an item out. */
export function streamReply(head: string, tail: string, count: number, render: (index: number) => string | null): Reply {
  function* chunks(): Generator<string> {
    yield head;
    let first = true;
    for (let start = 0; start < count; start += STREAM_CHUNK) {
      const items: string[] = [];
      for (let i = start; i < Math.min(count, start + STREAM_CHUNK); i++) {
        const item = render(i);
        if (item !== null) items.push(item);
      }
      if (items.length === 0) continue;
      yield (first ? "" : ",") + items.join(",");
      first = false;
    }
    yield tail;
  }
  return { status: 200, body: { kind: "stream", chunks: chunks(), contentType: "application/json" } };
}
