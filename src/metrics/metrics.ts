/**
 * Every metric stakeops exports, declared in one place on one explicit registry (never
 * prom-client's global one). Names follow the Prometheus conventions: `stakeops_` prefix, base
 * units in the name, `_total` for counters. Gauges over database state are computed at scrape.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface MetricsSources {
  /** Registered keys per operator name and lifecycle state. */
  keysByOperatorAndState(): Promise<readonly { operator: string; state: string; count: number }[]>;
  /** Open inventory findings per kind and severity. */
  openFindings(): Promise<readonly { kind: string; severity: string; count: number }[]>;
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
    collectDefaultMetrics({ register: this.registry });
  }
}
