/**
 * Every metric stakeops exports, declared in one place on one explicit registry (never
 * prom-client's global one). Names follow the Prometheus conventions: `stakeops_` prefix, base
 * units in the name, `_total` for counters. Gauges over database state are computed at scrape.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ratios, type PerformanceTotals } from "../monitor/performance.js";

/** The monitor's latest processed epoch: totals per operator (by name) and for the network. */
export interface LatestPerformance {
  readonly epoch: number;
  readonly operators: readonly { readonly operator: string; readonly totals: PerformanceTotals }[];
  readonly network: PerformanceTotals;
}

export interface MetricsSources {
  /** Registered keys per operator name and lifecycle state. */
  keysByOperatorAndState(): Promise<readonly { operator: string; state: string; count: number }[]>;
  /** Open inventory findings per kind and severity. */
  openFindings(): Promise<readonly { kind: string; severity: string; count: number }[]>;
  /** Null before the monitor has processed an epoch (or without a beacon node). */
  latestPerformance(): Promise<LatestPerformance | null>;
  /** Per configured beacon node: whether its last exchange succeeded. */
  beaconNodes(): readonly { node: string; up: boolean }[];
  /** Open slashing-risk signals per operator name ("" when no operator), signal kind and severity. */
  openRiskSignals(): Promise<readonly { operator: string; signal: string; severity: string; count: number }[]>;
  /** Keys of unfinished key migrations, per state. */
  migrationsInProgress(): Promise<readonly { state: string; count: number }[]>;
}

export class ServiceMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: "stakeops_http_requests_total",
    help: "HTTP API requests answered, by route template, method and status code.",
    labelNames: ["method", "route", "code"] as const,
    registers: [this.registry],
  });

  readonly httpRequestSeconds = new Histogram({
    name: "stakeops_http_request_seconds",
    help: "HTTP API request duration in seconds, by route template and method.",
    labelNames: ["method", "route"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly beaconRequests = new Counter({
    name: "stakeops_beacon_requests_total",
    help: "Beacon API requests, by node, endpoint template and HTTP status code (0 = no answer).",
    labelNames: ["node", "endpoint", "code"] as const,
    registers: [this.registry],
  });

  readonly beaconRequestSeconds = new Histogram({
    name: "stakeops_beacon_request_seconds",
    help: "Beacon API request duration in seconds, by node and endpoint template.",
    labelNames: ["node", "endpoint"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly jobs = new Counter({
    name: "stakeops_jobs_total",
    help: "Background jobs finished, by kind and outcome (succeeded, failed).",
    labelNames: ["kind", "outcome"] as const,
    registers: [this.registry],
  });

  readonly inventoryPolls = new Counter({
    name: "stakeops_inventory_polls_total",
    help: "Validator-client inventory polls, by outcome (ok, unreachable).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly proposals = new Counter({
    name: "stakeops_proposals_total",
    help: "Block proposal duties of registered validators in processed epochs, by operator and outcome (proposed, missed).",
    labelNames: ["operator", "outcome"] as const,
    registers: [this.registry],
  });

  readonly exits = new Counter({
    name: "stakeops_exits_total",
    help: "Exit decisions, by operator, reason (the policy rule, manual, guard) and outcome (dry_run, submitted, confirmed, withdrawal_request, rate_limited, not_eligible, blocked, failed).",
    labelNames: ["operator", "reason", "outcome"] as const,
    registers: [this.registry],
  });

  readonly epochProcessingSeconds = new Histogram({
    name: "stakeops_epoch_processing_seconds",
    help: "Time to process one epoch (state, blocks, committees, rewards, storage), in seconds.",
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 6, 8, 10, 15, 20, 30, 60],
    registers: [this.registry],
  });

  readonly epochsProcessed = new Counter({
    name: "stakeops_monitor_epochs_processed_total",
    help: "Epochs processed by the monitor (reprocessing after a reorg included).",
    registers: [this.registry],
  });

  readonly epochsSkipped = new Counter({
    name: "stakeops_monitor_epochs_skipped_total",
    help: "Epochs the monitor could not process and recorded as skipped (node cannot serve them, or beyond the catch-up window).",
    registers: [this.registry],
  });

  readonly reorgs = new Counter({
    name: "stakeops_monitor_reorgs_total",
    help: "Processed epochs found changed by a reorg and processed again.",
    registers: [this.registry],
  });

  readonly headSlot = new Gauge({
    name: "stakeops_monitor_head_slot",
    help: "Head slot of the beacon node at the monitor's last tick.",
    registers: [this.registry],
  });

  readonly settledEpoch = new Gauge({
    name: "stakeops_monitor_settled_epoch",
    help: "Newest epoch whose attestations are settled (head past the end of the next epoch); the monitor lags by this minus the last processed epoch.",
    registers: [this.registry],
  });

  readonly keyMigrations = new Counter({
    name: "stakeops_key_migrations_total",
    help: "Keys whose migration between validator clients finished, by outcome (done, aborted) and reason (the abort code; none when done).",
    labelNames: ["outcome", "reason"] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricsSources) {
    new Gauge({
      name: "stakeops_registry_keys",
      help: "Registered validator keys, by operator and lifecycle state.",
      labelNames: ["operator", "state"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await sources.keysByOperatorAndState()) this.set({ operator: row.operator, state: row.state }, row.count);
      },
    });
    new Gauge({
      name: "stakeops_inventory_findings",
      help: "Open validator-client inventory findings, by kind and severity.",
      labelNames: ["kind", "severity"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await sources.openFindings()) this.set({ kind: row.kind, severity: row.severity }, row.count);
      },
    });
    new Gauge({
      name: "stakeops_key_migrations_in_progress",
      help: "Keys of unfinished key migrations, by state (requested, removing, waiting_offline, importing).",
      labelNames: ["state"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await sources.migrationsInProgress()) this.set({ state: row.state }, row.count);
      },
    });
    this.monitorGauges(sources);
    new Gauge({
      name: "stakeops_slashing_risk",
      help: "Open slashing-risk signals, by operator (empty: none known), signal and severity (critical, warning).",
      labelNames: ["operator", "signal", "severity"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await sources.openRiskSignals()) this.set({ operator: row.operator, signal: row.signal, severity: row.severity }, row.count);
      },
    });
    new Gauge({
      name: "stakeops_beacon_node_up",
      help: "1 when the beacon node's last exchange succeeded, 0 when it failed; per configured node (host:port).",
      labelNames: ["node"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const n of sources.beaconNodes()) this.set({ node: n.node }, n.up ? 1 : 0);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Gauges of the last processed epoch, read from the database at scrape: every instance exports
   * the same figures, whichever one processed the epoch. One query feeds them all.
   */
  private monitorGauges(sources: MetricsSources): void {
    let pending: Promise<LatestPerformance | null> | null = null;
    // All monitor gauges collect in the same scrape; they share one read.
    const latest = (): Promise<LatestPerformance | null> => {
      if (pending === null) {
        pending = sources.latestPerformance();
        void pending.finally(() => setImmediate(() => (pending = null))).catch(() => undefined);
      }
      return pending;
    };
    const perOperator = (
      name: string,
      help: string,
      value: (t: PerformanceTotals) => number | null,
    ): void => {
      new Gauge({
        name,
        help,
        labelNames: ["operator"] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          const l = await latest();
          for (const o of l?.operators ?? []) {
            const v = value(o.totals);
            if (v !== null) this.set({ operator: o.operator }, v);
          }
        },
      });
    };
    new Gauge({
      name: "stakeops_monitor_last_processed_epoch",
      help: "The newest epoch the monitor has processed.",
      registers: [this.registry],
      async collect() {
        this.reset();
        const l = await latest();
        if (l !== null) this.set(l.epoch);
      },
    });
    new Gauge({
      name: "stakeops_validators",
      help: "Registered validators known on chain, by operator and beacon-chain status, in the last processed epoch.",
      labelNames: ["operator", "status"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const o of (await latest())?.operators ?? []) {
          for (const [status, count] of Object.entries(o.totals.statusCounts)) this.set({ operator: o.operator, status }, count ?? 0);
        }
      },
    });
    perOperator("stakeops_attestation_duties", "Validators with an attestation duty in the last processed epoch, by operator.", (t) => t.attestationDuties);
    perOperator("stakeops_attestation_missed", "Validators whose attestation earned no timely flag (missed) in the last processed epoch, by operator.", (t) => t.attestationMissed);
    new Gauge({
      name: "stakeops_attestation_timely",
      help: "Validators with a timely source, target or head vote in the last processed epoch, by operator and flag.",
      labelNames: ["operator", "flag"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const o of (await latest())?.operators ?? []) {
          this.set({ operator: o.operator, flag: "source" }, o.totals.timelySource);
          this.set({ operator: o.operator, flag: "target" }, o.totals.timelyTarget);
          this.set({ operator: o.operator, flag: "head" }, o.totals.timelyHead);
        }
      },
    });
    perOperator("stakeops_attestation_inclusion_delay_avg_slots", "Average first-inclusion delay of attestations in the last processed epoch, in slots, by operator.", (t) => ratios(t).inclusionDelayAvg);
    perOperator("stakeops_effectiveness_ratio", "Attestation rewards earned / ideal in the last processed epoch, by operator.", (t) => ratios(t).effectiveness);
    perOperator("stakeops_sync_participation_ratio", "Sync-committee signatures / sync duties in the last processed epoch, by operator (absent without duties).", (t) => ratios(t).syncParticipation);
    perOperator("stakeops_balance_gwei", "Sum of the balances of the operator's validators at the end of the last processed epoch, in Gwei.", (t) => t.balanceGwei);
    perOperator("stakeops_performance_score", "Duty-weighted performance score (attestation 54 : proposal 8 : sync 2) in the last processed epoch, 0..1, by operator.", (t) => ratios(t).score);
    new Gauge({
      name: "stakeops_network_attestation_timely_ratio",
      help: "Share of all active validators of the network with a timely source, target or head vote in the last processed epoch.",
      labelNames: ["flag"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const l = await latest();
        if (l === null) return;
        const r = ratios(l.network).timely;
        for (const flag of ["source", "target", "head"] as const) {
          const v = r[flag];
          if (v !== null) this.set({ flag }, v);
        }
      },
    });
    const network = (name: string, help: string, value: (t: PerformanceTotals) => number | null): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          this.reset();
          const l = await latest();
          const v = l === null ? null : value(l.network);
          if (v !== null) this.set(v);
        },
      });
    };
    network("stakeops_network_attestation_missed_ratio", "Share of the network's active validators that missed their attestation in the last processed epoch.", (t) => ratios(t).missed);
    network("stakeops_network_effectiveness_ratio", "The network's attestation rewards earned / ideal in the last processed epoch.", (t) => ratios(t).effectiveness);
    network("stakeops_network_performance_score", "The network's duty-weighted performance score in the last processed epoch, 0..1 (the baseline for operators).", (t) => ratios(t).score);
  }
}
