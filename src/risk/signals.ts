/**
 * The slashing-risk signals: what each kind means, how severe it is, and which check finds it.
 * A signal is one fact about one key (or one client), with one row per fact: its id is
 * `kind|pubkey|context`, where the context is whatever else makes the fact distinct (the client
 * for per-client facts, the target epoch for a double vote). Seeing the fact again refreshes the
 * row; a check that no longer sees it resolves it, except SLASHED_ON_CHAIN, which is forever.
 *
 * | kind | severity | found by |
 * | --- | --- | --- |
 * | SLASHED_ON_CHAIN | critical | event stream (a validated slashing), monitor (state flag, *_slashed status), registry key state |
 * | SLASHING_IN_BLOCK | critical | monitor (proposer/attester slashings in the epoch's blocks) |
 * | DOUBLE_VOTE | critical | monitor (two different votes for one target in blocks) |
 * | DOPPELGANGER | critical | doppelganger check (liveness of keys expected offline) |
 * | KEY_IN_MULTIPLE_CLIENTS | critical | inventory |
 * | PUBKEY_UNDER_TWO_OPERATORS | critical | inventory (a key of operator X in operator Y's client) |
 * | KEY_NOT_IN_REGISTRY, REGISTRY_KEY_IN_NO_CLIENT, CLIENT_UNREACHABLE | warning | inventory |
 */
export type RiskSeverity = "critical" | "warning";
export const RISK_SEVERITIES: readonly RiskSeverity[] = ["critical", "warning"];

export const RISK_SIGNAL_KINDS = [
  "SLASHED_ON_CHAIN",
  "SLASHING_IN_BLOCK",
  "DOUBLE_VOTE",
  "DOPPELGANGER",
  "KEY_IN_MULTIPLE_CLIENTS",
  "PUBKEY_UNDER_TWO_OPERATORS",
  "KEY_NOT_IN_REGISTRY",
  "REGISTRY_KEY_IN_NO_CLIENT",
  "CLIENT_UNREACHABLE",
] as const;
export type RiskSignalKind = (typeof RISK_SIGNAL_KINDS)[number];

export const SIGNAL_SEVERITY: Readonly<Record<RiskSignalKind, RiskSeverity>> = {
  SLASHED_ON_CHAIN: "critical",
  SLASHING_IN_BLOCK: "critical",
  DOUBLE_VOTE: "critical",
  DOPPELGANGER: "critical",
  KEY_IN_MULTIPLE_CLIENTS: "critical",
  PUBKEY_UNDER_TWO_OPERATORS: "critical",
  KEY_NOT_IN_REGISTRY: "warning",
  REGISTRY_KEY_IN_NO_CLIENT: "warning",
  CLIENT_UNREACHABLE: "warning",
};

/** A slashing cannot be undone: once the chain says slashed, the signal stays open for good. */
export const NEVER_RESOLVED: ReadonlySet<RiskSignalKind> = new Set(["SLASHED_ON_CHAIN"]);

/** What the validator-client inventory finds; `GET /api/v1/inventory/findings` is these signals, open. */
export const INVENTORY_SIGNAL_KINDS = [
  "KEY_IN_MULTIPLE_CLIENTS",
  "PUBKEY_UNDER_TWO_OPERATORS",
  "KEY_NOT_IN_REGISTRY",
  "REGISTRY_KEY_IN_NO_CLIENT",
  "CLIENT_UNREACHABLE",
] as const satisfies readonly RiskSignalKind[];
export type InventorySignalKind = (typeof INVENTORY_SIGNAL_KINDS)[number];

/** One sighting of a fact, as a check reports it. */
export interface RiskObservation {
  readonly kind: RiskSignalKind;
  readonly pubkey: string | null;
  readonly validatorIndex?: number | null;
  readonly operatorId: string | null;
  readonly validatorClientId?: string | null;
  readonly epoch?: number | null;
  /** Makes the fact distinct beyond kind and pubkey (part of the id). */
  readonly context?: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A signal as the service reports it. */
export interface RiskSignal {
  readonly id: string;
  readonly kind: RiskSignalKind;
  readonly severity: RiskSeverity;
  readonly pubkey: string | null;
  readonly validatorIndex: number | null;
  readonly operatorId: string | null;
  readonly validatorClientId: string | null;
  readonly epoch: number | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly resolvedAt: string | null;
}

export function signalId(kind: RiskSignalKind, pubkey: string | null, context?: string): string {
  return `${kind}|${pubkey ?? ""}|${context ?? ""}`;
}

export function observationId(o: RiskObservation): string {
  return signalId(o.kind, o.pubkey, o.context);
}

export function isRiskSignalKind(value: string): value is RiskSignalKind {
  return (RISK_SIGNAL_KINDS as readonly string[]).includes(value);
}
