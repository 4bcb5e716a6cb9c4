/**
 * The metric catalogue (docs/metrics.md) is what the registry exports, and every exported metric
 * is on a dashboard, in an alert rule, or listed as internal with a reason; the names the
 * dashboards and rules use before issue 5 exports them are exactly the planned ones.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeRegistry, renderCatalogue, serviceRegistry, unitOf } from "../../src/metrics/catalogue.js";
import { INTERNAL_METRICS, PLANNED_METRICS } from "../../src/metrics/catalogueNotes.js";
import { PROMETHEUS_MADE, allExpressions, familyOf } from "../helpers/observability.js";
import { metricNames } from "../helpers/promql.js";
import { PROJECT_ROOT } from "../helpers/vectors.js";

const exported = describeRegistry(serviceRegistry());
const families = new Map(exported.map((m) => [m.name, m.type]));
const planned = new Set(PLANNED_METRICS.map((m) => m.name));
/** Metric family → where the dashboards and rules use it. */
const uses = new Map<string, string[]>();
for (const e of allExpressions()) {
  for (const name of metricNames(e.expr)) {
    const family = familyOf(name, families);
    uses.set(family, [...(uses.get(family) ?? []), e.where]);
  }
}

describe("metric catalogue", () => {
  it("docs/metrics.md is what `npm run docs:metrics` generates from the registry", () => {
    const committed = readFileSync(join(PROJECT_ROOT, "docs", "metrics.md"), "utf8");
    // On failure: run `npm run docs:metrics` and commit docs/metrics.md.
    expect(committed).toBe(renderCatalogue(exported));
  });

  it("lists every stakeops metric with its type, labels and unit", () => {
    const doc = renderCatalogue(exported);
    for (const m of exported) expect(doc).toContain(`| \`${m.name}\` | ${m.type} |`);
    expect(exported.find((m) => m.name === "stakeops_attestation_timely")?.labels).toEqual(["operator", "flag"]);
    expect(exported.find((m) => m.name === "stakeops_epoch_processing_seconds")?.type).toBe("histogram");
  });

  const units: readonly (readonly [string, string])[] = [
    ["stakeops_epoch_processing_seconds", "seconds"],
    ["process_cpu_seconds_total", "seconds"],
    ["process_start_time_seconds", "unix time (seconds)"],
    ["stakeops_balance_gwei", "Gwei"],
    ["stakeops_effectiveness_ratio", "ratio (0..1)"],
    ["stakeops_performance_score", "score (0..1)"],
    ["stakeops_attestation_inclusion_delay_avg_slots", "slots"],
    ["stakeops_monitor_head_slot", "slot number"],
    ["stakeops_monitor_settled_epoch", "epoch number"],
    ["stakeops_beacon_node_up", "1 up, 0 down"],
    ["process_resident_memory_bytes", "bytes"],
    ["stakeops_proposals_total", "count"],
    ["stakeops_validators", "count"],
  ];
  for (const [name, unit] of units) it(`unit of ${name}: ${unit}`, () => expect(unitOf(name)).toBe(unit));
});

describe("every metric is watched or explained", () => {
  it("every exported metric is on a dashboard, in a rule, or internal with a reason", () => {
    const unwatched = exported.map((m) => m.name).filter((name) => !uses.has(name) && INTERNAL_METRICS[name] === undefined);
    // On failure: put the metric on a dashboard, or into INTERNAL_METRICS (src/metrics/catalogueNotes.ts) with why not.
    expect(unwatched).toEqual([]);
  });

  it("an internal metric is exported and used nowhere (the list does not go stale)", () => {
    for (const [name, reason] of Object.entries(INTERNAL_METRICS)) {
      expect(families.has(name), `${name} is not exported`).toBe(true);
      expect(uses.get(name) ?? [], `${name} is listed as internal but used`).toEqual([]);
      expect(reason.length).toBeGreaterThan(10);
    }
  });

  it("dashboards and rules name only exported, planned or Prometheus-made metrics", () => {
    const unknown = [...uses].filter(([name]) => !families.has(name) && !planned.has(name) && !PROMETHEUS_MADE.has(name));
    expect(unknown).toEqual([]);
  });

  it("planned metrics are not exported yet, and each is used (else it has no business in the list)", () => {
    for (const name of planned) {
      // On failure: issue 5 exports it now; remove it from PLANNED_METRICS.
      expect(families.has(name), `${name} is exported: remove it from PLANNED_METRICS`).toBe(false);
      expect(uses.get(name)?.length ?? 0, `${name} is used by no dashboard or rule`).toBeGreaterThan(0);
    }
  });

  it("each of the four dashboards uses the monitor's figures or the service's", () => {
    const byDashboard = new Map<string, Set<string>>();
    for (const e of allExpressions()) {
      const file = e.where.split(":")[0] as string;
      for (const name of metricNames(e.expr)) byDashboard.set(file, (byDashboard.get(file) ?? new Set()).add(familyOf(name, families)));
    }
    expect(byDashboard.get("operators-overview.json")).toContain("stakeops_network_performance_score");
    expect(byDashboard.get("operator-detail.json")).toContain("stakeops_attestation_inclusion_delay_avg_slots");
    expect(byDashboard.get("slashing-risk-exits.json")).toContain("stakeops_inventory_findings");
    expect(byDashboard.get("service-health.json")).toContain("stakeops_beacon_request_seconds");
  });
});
