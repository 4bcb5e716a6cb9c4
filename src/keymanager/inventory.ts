/**
 * Reconciles what validator clients actually hold with the registry, every poll:
 * - a key live in two clients: KEY_IN_MULTIPLE_CLIENTS (critical; the classic way to be slashed);
 * - a registered key in a client of another operator than its own: PUBKEY_UNDER_TWO_OPERATORS
 *   (critical: the registry cannot hold one pubkey under two operators, so this is how "the same
 *   key under two operators" shows: operator Y runs operator X's key, and X may run it too);
 * - a key in a client but not in the registry: KEY_NOT_IN_REGISTRY (warning);
 * - an active registry key in no client: REGISTRY_KEY_IN_NO_CLIENT (warning);
 * - a client that does not answer: CLIENT_UNREACHABLE (warning).
 * Findings are risk signals (src/risk/signals.ts): written in one batch per poll; what a poll no
 * longer sees is resolved, except facts about clients that did not answer this time. Assignments
 * left in doubt by an interrupted import or removal are settled from what the client reports.
 */
import { isStakeopsError } from "../errors.js";
import type { Logger } from "../jobs/logger.js";
import { isoNow, type Clock } from "../registry/clock.js";
import { INVENTORY_SIGNAL_KINDS, observationId, type InventorySignalKind, type RiskObservation } from "../risk/signals.js";
import type { KeyAssignmentsRepository } from "../store/keyAssignments.js";
import type { RiskSignalsRepository } from "../store/riskSignals.js";
import type { ValidatorClientsRepository } from "../store/validatorClients.js";
import type { ValidatorKeysRepository } from "../store/validatorKeys.js";
import type { ValidatorClientService } from "./validatorClientService.js";

export type FindingKind = InventorySignalKind;
export const FINDING_KINDS: readonly FindingKind[] = INVENTORY_SIGNAL_KINDS;

export interface InventoryDependencies {
  readonly clients: ValidatorClientService;
  readonly clientRows: ValidatorClientsRepository;
  readonly keys: ValidatorKeysRepository;
  readonly assignments: KeyAssignmentsRepository;
  readonly signals: RiskSignalsRepository;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface InventorySummary {
  readonly clients: number;
  readonly unreachable: number;
  readonly findings: Readonly<Record<FindingKind, number>>;
}

export class InventoryReconciler {
  constructor(private readonly deps: InventoryDependencies) {}

  async reconcile(signal?: AbortSignal): Promise<InventorySummary> {
    const at = isoNow(this.deps.clock);
    const clients = await this.deps.clients.list();
    const holders = new Map<string, string[]>();
    const unreachable = new Set<string>();
    const observations: RiskObservation[] = [];
    const counts = Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as Record<FindingKind, number>;
    // Per-client facts carry the client in their id, so each (key, client) pair is one fact.
    const observe = (kind: FindingKind, details: Readonly<Record<string, unknown>>, pubkey: string | null, clientId: string | null, operatorId: string | null): void => {
      counts[kind]++;
      observations.push({ kind, pubkey, operatorId, validatorClientId: clientId, ...(clientId === null ? {} : { context: clientId }), details });
    };

    for (const client of clients) {
      signal?.throwIfAborted();
      let pubkeys: string[];
      try {
        const { api } = await this.deps.clients.api(client.id);
        const [local, remote] = await Promise.all([api.listKeystores(signal), api.listRemoteKeys(signal)]);
        pubkeys = [...local.map((k) => k.pubkey), ...(remote ?? []).map((k) => k.pubkey)].map((p) => p.toLowerCase());
        await this.deps.clientRows.recordPoll(client.id, at, null);
      } catch (error) {
        if (!isStakeopsError(error)) throw error;
        unreachable.add(client.id);
        await this.deps.clientRows.recordPoll(client.id, at, error.code);
        observe("CLIENT_UNREACHABLE", { code: error.code, message: error.message }, null, client.id, client.operatorId);
        continue;
      }
      for (const pubkey of new Set(pubkeys)) holders.set(pubkey, [...(holders.get(pubkey) ?? []), client.id]);
      await this.settleAssignments(client.id, new Set(pubkeys));
    }

    const registry = new Map((await this.deps.keys.listAll()).map((k) => [k.pubkey, k]));
    const clientOperator = new Map(clients.map((c) => [c.id, c.operatorId]));
    const multiple = await this.stillInMultipleClients(holders, unreachable);
    for (const [pubkey, clientIds] of holders) {
      const key = registry.get(pubkey);
      if (clientIds.length > 1 || multiple.has(pubkey)) {
        observe("KEY_IN_MULTIPLE_CLIENTS", { validatorClientIds: multiple.get(pubkey) ?? clientIds }, pubkey, null, key?.operator_id ?? null);
      }
      if (key === undefined) {
        for (const clientId of clientIds) observe("KEY_NOT_IN_REGISTRY", {}, pubkey, clientId, clientOperator.get(clientId) ?? null);
        continue;
      }
      for (const clientId of clientIds) {
        const holder = clientOperator.get(clientId) ?? null;
        if (holder !== key.operator_id) {
          observe("PUBKEY_UNDER_TWO_OPERATORS", { registeredOperatorId: key.operator_id, clientOperatorId: holder }, pubkey, clientId, key.operator_id);
        }
      }
    }
    for (const [pubkey, clientIds] of multiple) {
      if (!holders.has(pubkey)) observe("KEY_IN_MULTIPLE_CLIENTS", { validatorClientIds: clientIds }, pubkey, null, registry.get(pubkey)?.operator_id ?? null);
    }
    // A key counts as missing only if no unreachable client might be holding it.
    const possiblyHeld = new Set((await this.deps.assignments.listLive()).filter((a) => unreachable.has(a.validator_client_id)).map((a) => a.pubkey));
    for (const key of registry.values()) {
      if ((key.state === "active" || key.state === "exiting") && !holders.has(key.pubkey) && !possiblyHeld.has(key.pubkey)) {
        observe("REGISTRY_KEY_IN_NO_CLIENT", { state: key.state }, key.pubkey, null, key.operator_id);
      }
    }
    await this.deps.signals.observe(observations, at);

    // Resolve what was not seen, except facts about clients that did not answer this time.
    const seen = new Set(observations.map(observationId));
    await this.deps.signals.resolveUnseen({ kinds: ["KEY_IN_MULTIPLE_CLIENTS", "REGISTRY_KEY_IN_NO_CLIENT"] }, seen, at);
    const answered = clients.filter((c) => !unreachable.has(c.id)).map((c) => c.id);
    await this.deps.signals.resolveUnseen({ kinds: ["KEY_NOT_IN_REGISTRY", "PUBKEY_UNDER_TWO_OPERATORS", "CLIENT_UNREACHABLE"], validatorClientIds: answered }, seen, at);
    if (unreachable.size > 0) this.deps.logger.warn({ unreachable: [...unreachable] }, "validator clients did not answer the inventory poll");
    return { clients: clients.length, unreachable: unreachable.size, findings: counts };
  }

  /**
   * Keys found in several clients before that may still be: the clients holding them now plus
   * those that held them and did not answer this time. A client going quiet is no evidence that it
   * let go of a key, so it does not resolve the critical signal on its own.
   */
  private async stillInMultipleClients(holders: ReadonlyMap<string, readonly string[]>, unreachable: ReadonlySet<string>): Promise<Map<string, string[]>> {
    const still = new Map<string, string[]>();
    if (unreachable.size === 0) return still;
    for (const open of await this.deps.signals.list({ kinds: ["KEY_IN_MULTIPLE_CLIENTS"] })) {
      if (open.pubkey === null) continue;
      const before = parseClientIds(open.details).filter((id) => unreachable.has(id));
      const maybe = [...new Set([...(holders.get(open.pubkey) ?? []), ...before])];
      if (maybe.length > 1) still.set(open.pubkey, maybe);
    }
    return still;
  }

  /** Imports or removals whose outcome was unknown are settled by what the client now reports. */
  private async settleAssignments(clientId: string, present: ReadonlySet<string>): Promise<void> {
    const at = isoNow(this.deps.clock);
    for (const assignment of await this.deps.assignments.liveForClient(clientId)) {
      const held = present.has(assignment.pubkey);
      if (held && assignment.state !== "active") await this.deps.assignments.setState(assignment.id, "active", at);
      if (!held) await this.deps.assignments.setState(assignment.id, "removed", at);
    }
  }
}

function parseClientIds(details: string): string[] {
  try {
    const parsed: unknown = JSON.parse(details);
    if (typeof parsed !== "object" || parsed === null || !("validatorClientIds" in parsed) || !Array.isArray(parsed.validatorClientIds)) return [];
    return parsed.validatorClientIds.filter((id): id is string => typeof id === "string");
  } catch {
    return [];
  }
}
