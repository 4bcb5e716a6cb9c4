/**
 * The risk module's face to the rest of the service: listing signals (the API), the open-signal
 * counts (the metric) and, for every action that could make a key sign in a second place, the
 * question "does an open critical signal stand against these keys?" (import, migration, exits).
 */
import type { RiskSignalQuery, RiskSignalRow, RiskSignalsRepository } from "../store/riskSignals.js";
import { RiskError } from "./errors.js";
import { type RiskSeverity, type RiskSignal, type RiskSignalKind } from "./signals.js";

export interface RiskServiceDependencies {
  readonly signals: RiskSignalsRepository;
}

export interface RiskListQuery {
  readonly severity?: RiskSeverity;
  readonly kinds?: readonly RiskSignalKind[];
  readonly resolved?: boolean | "any";
  readonly limit?: number;
}

/** Who asks: the admin sees everything, an operator its own keys' signals and those about its clients. */
export type RiskViewer = { readonly kind: "admin" } | { readonly kind: "operator"; readonly operatorId: string };

/** What blocks: answers, per pubkey, the open critical signals about it. */
export interface BlockingSignalSource {
  blockingSignals(pubkeys: readonly string[]): Promise<ReadonlyMap<string, readonly RiskSignal[]>>;
}

export class RiskService implements BlockingSignalSource {
  constructor(private readonly deps: RiskServiceDependencies) {}

  async list(query: RiskListQuery, viewer: RiskViewer): Promise<RiskSignal[]> {
    const repoQuery: RiskSignalQuery = { ...query, ...(viewer.kind === "operator" ? { visibleTo: viewer.operatorId } : {}) };
    const rows = await this.deps.signals.list(repoQuery);
    return rows.map((row) => {
      const signal = toSignal(row);
      // A signal about another operator's key shows in this operator's list only because its
      // client is involved; whose key it is stays out of it, as everywhere in the API.
      return viewer.kind === "operator" && signal.operatorId !== viewer.operatorId ? { ...signal, operatorId: null } : signal;
    });
  }

  /**
   * Open critical signals per pubkey (keys without any are absent). Every one of them blocks
   * importing the key into a validator client; other modules (migration, exits) ask the same.
   */
  async blockingSignals(pubkeys: readonly string[]): Promise<ReadonlyMap<string, readonly RiskSignal[]>> {
    const wanted = [...new Set(pubkeys.map((p) => p.toLowerCase()))];
    const blocking = new Map<string, RiskSignal[]>();
    for (const row of await this.deps.signals.openFor(wanted)) {
      if (row.severity !== "critical" || row.pubkey === null) continue;
      blocking.set(row.pubkey, [...(blocking.get(row.pubkey) ?? []), toSignal(row)]);
    }
    return blocking;
  }

  /** Throws KEY_AT_RISK (HTTP 409) naming every blocking signal, if any of these keys has one. */
  async assertNotBlocked(pubkeys: readonly string[]): Promise<void> {
    const blocking = await this.blockingSignals(pubkeys);
    if (blocking.size === 0) return;
    const keys = [...blocking].map(([pubkey, signals]) => ({ pubkey, signals: signals.map((s) => ({ id: s.id, kind: s.kind })) }));
    const kinds = [...new Set(keys.flatMap((k) => k.signals.map((s) => s.kind)))];
    throw new RiskError("KEY_AT_RISK", `${keys.length} key(s) have open critical risk signals (${kinds.join(", ")}); resolve them first (GET /api/v1/risk)`, { keys });
  }

  /** Open signals per operator id, kind and severity. */
  async openCounts(): Promise<{ operatorId: string | null; kind: RiskSignalKind; severity: RiskSeverity; count: number }[]> {
    return (await this.deps.signals.countOpen()).map((r) => ({ operatorId: r.operator_id, kind: r.kind, severity: r.severity, count: r.n }));
  }
}

export function toSignal(row: RiskSignalRow): RiskSignal {
  return {
    id: row.id,
    kind: row.kind,
    severity: row.severity,
    pubkey: row.pubkey,
    validatorIndex: row.validator_index === null ? null : Number(row.validator_index),
    operatorId: row.operator_id,
    validatorClientId: row.validator_client_id,
    epoch: row.epoch === null ? null : Number(row.epoch),
    details: parseDetails(row.details),
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    resolvedAt: row.resolved_at,
  };
}

function parseDetails(text: string): Readonly<Record<string, unknown>> {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    return { raw: text };
  }
}
