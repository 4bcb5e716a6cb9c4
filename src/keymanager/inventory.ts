/**
 * Reconciles what validator clients actually hold with the registry, every poll:
 * - a key live in two clients: KEY_IN_MULTIPLE_CLIENTS (critical; the classic way to be slashed);
 * - a key in a client but not in the registry: KEY_NOT_IN_REGISTRY (warning);
 * - an active registry key in no client: REGISTRY_KEY_IN_NO_CLIENT (warning);
 * - a client that does not answer: CLIENT_UNREACHABLE (warning).
 * Findings are opened, refreshed and resolved in the database (risk scoring and alerts build on
 * them later). Assignments left in doubt by an interrupted import or removal are settled from
 * what the client reports.
 */
import { isStakeopsError } from "../errors.js";
import type { Logger } from "../jobs/logger.js";
import { isoNow, type Clock } from "../registry/clock.js";
import type { InventoryFindingsRepository } from "../store/inventoryFindings.js";
import type { KeyAssignmentsRepository } from "../store/keyAssignments.js";
import type { FindingSeverity } from "../store/schema.js";
import type { ValidatorClientsRepository } from "../store/validatorClients.js";
import type { ValidatorKeysRepository } from "../store/validatorKeys.js";
import type { ValidatorClientService } from "./validatorClientService.js";

export type FindingKind = "KEY_IN_MULTIPLE_CLIENTS" | "KEY_NOT_IN_REGISTRY" | "REGISTRY_KEY_IN_NO_CLIENT" | "CLIENT_UNREACHABLE";
export const FINDING_KINDS: readonly FindingKind[] = ["KEY_IN_MULTIPLE_CLIENTS", "KEY_NOT_IN_REGISTRY", "REGISTRY_KEY_IN_NO_CLIENT", "CLIENT_UNREACHABLE"];
const SEVERITY: Readonly<Record<FindingKind, FindingSeverity>> = {
  KEY_IN_MULTIPLE_CLIENTS: "critical",
  KEY_NOT_IN_REGISTRY: "warning",
  REGISTRY_KEY_IN_NO_CLIENT: "warning",
  CLIENT_UNREACHABLE: "warning",
};

export interface InventoryDependencies {
  readonly clients: ValidatorClientService;
  readonly clientRows: ValidatorClientsRepository;
  readonly keys: ValidatorKeysRepository;
  readonly assignments: KeyAssignmentsRepository;
  readonly findings: InventoryFindingsRepository;
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
    const seen = new Set<string>();
    const counts: Record<FindingKind, number> = { KEY_IN_MULTIPLE_CLIENTS: 0, KEY_NOT_IN_REGISTRY: 0, REGISTRY_KEY_IN_NO_CLIENT: 0, CLIENT_UNREACHABLE: 0 };
    const observe = async (kind: FindingKind, details: object, pubkey: string | null, clientId: string | null, operatorId: string | null): Promise<void> => {
      const id = `${kind}|${pubkey ?? ""}|${clientId ?? ""}`;
      seen.add(id);
      counts[kind]++;
      await this.deps.findings.observe(
        { id, kind, severity: SEVERITY[kind], pubkey, validator_client_id: clientId, operator_id: operatorId, details: JSON.stringify(details) },
        at,
      );
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
        await observe("CLIENT_UNREACHABLE", { code: error.code, message: error.message }, null, client.id, client.operatorId);
        continue;
      }
      for (const pubkey of new Set(pubkeys)) holders.set(pubkey, [...(holders.get(pubkey) ?? []), client.id]);
      await this.settleAssignments(client.id, new Set(pubkeys));
    }

    const registry = new Map((await this.deps.keys.listAll()).map((k) => [k.pubkey, k]));
    const clientOperator = new Map(clients.map((c) => [c.id, c.operatorId]));
    for (const [pubkey, clientIds] of holders) {
      const key = registry.get(pubkey);
      if (clientIds.length > 1) {
        await observe("KEY_IN_MULTIPLE_CLIENTS", { validatorClientIds: clientIds }, pubkey, null, key?.operator_id ?? null);
      }
      if (key === undefined) {
        for (const clientId of clientIds) await observe("KEY_NOT_IN_REGISTRY", {}, pubkey, clientId, clientOperator.get(clientId) ?? null);
      }
    }
    // A key counts as missing only if no unreachable client might be holding it.
    const possiblyHeld = new Set((await this.deps.assignments.listLive()).filter((a) => unreachable.has(a.validator_client_id)).map((a) => a.pubkey));
    for (const key of registry.values()) {
      if ((key.state === "active" || key.state === "exiting") && !holders.has(key.pubkey) && !possiblyHeld.has(key.pubkey)) {
        await observe("REGISTRY_KEY_IN_NO_CLIENT", { state: key.state }, key.pubkey, null, key.operator_id);
      }
    }

    // Resolve what was not seen, except facts about clients that did not answer this time.
    const reachableKinds: FindingKind[] = ["KEY_IN_MULTIPLE_CLIENTS", "REGISTRY_KEY_IN_NO_CLIENT"];
    await this.deps.findings.resolveUnseen(reachableKinds, seen, at);
    for (const client of clients) {
      const kinds: FindingKind[] = unreachable.has(client.id) ? [] : ["KEY_NOT_IN_REGISTRY", "CLIENT_UNREACHABLE"];
      if (kinds.length > 0) await this.deps.findings.resolveUnseen(kinds, seen, at, client.id);
    }
    if (unreachable.size > 0) this.deps.logger.warn({ unreachable: [...unreachable] }, "validator clients did not answer the inventory poll");
    return { clients: clients.length, unreachable: unreachable.size, findings: counts };
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
