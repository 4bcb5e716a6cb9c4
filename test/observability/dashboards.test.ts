/**
 * The Grafana dashboards as files: the four the monitoring team needs, each on whatever Prometheus
 * the `datasource` variable picks, every variable they use defined, every panel explained, and the
 * figures the issue asks for on the dashboard that should show them. Whether the queries run and
 * return data is test/observability/prometheus.test.ts's job.
 */
import { describe, expect, it } from "vitest";
import { describeRegistry, serviceRegistry } from "../../src/metrics/catalogue.js";
import { PLANNED_METRICS } from "../../src/metrics/catalogueNotes.js";
import { familyOf, loadDashboards, type Dashboard } from "../helpers/observability.js";
import { metricNames, variablesOf } from "../helpers/promql.js";

const dashboards = loadDashboards();
const families = new Map(describeRegistry(serviceRegistry()).map((m) => [m.name, m.type]));
const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

function byUid(uid: string): Dashboard {
  const d = dashboards.find((x) => x.uid === uid);
  if (d === undefined) throw new Error(`no dashboard with uid ${uid}`);
  return d;
}

/** Metric families a dashboard's queries read. */
function familiesOf(d: Dashboard): Set<string> {
  return new Set(d.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr).map((n) => familyOf(n, families)))));
}

describe("Grafana dashboards", () => {
  it("are the four the monitoring team works with, with stable uids", () => {
    expect(dashboards.map((d) => [d.uid, d.title]).sort()).toEqual([
      ["stakeops-operator-detail", "stakeops / Operator detail"],
      ["stakeops-operators", "stakeops / Operators overview"],
      ["stakeops-risk-exits", "stakeops / Slashing risk and exits"],
      ["stakeops-service-health", "stakeops / Service health"],
    ]);
  });

  for (const d of dashboards) {
    describe(d.file, () => {
      it("takes its Prometheus from a `datasource` variable, in every panel, target and query variable", () => {
        expect(d.variables[0]?.raw).toMatchObject({ name: "datasource", type: "datasource", query: "prometheus" });
        for (const p of d.panels.filter((x) => x.type !== "row")) {
          expect(p.datasource, p.title).toEqual(DATASOURCE);
          for (const t of p.targets) expect(t.datasource, `${p.title} ${t.refId}`).toEqual(DATASOURCE);
        }
        for (const v of d.variables.filter((x) => x.type === "query")) expect(v.raw["datasource"], v.name).toEqual(DATASOURCE);
      });

      it("defines every variable its queries use, and filters every query by the job", () => {
        const defined = new Set(d.variables.map((v) => v.name));
        for (const p of d.panels) {
          for (const t of p.targets) {
            for (const name of variablesOf(t.expr)) expect(defined, `${p.title} ${t.refId} uses $${name}`).toContain(name);
            // Two deployments in one Prometheus must not mix: every selector names the job.
            const selectors = t.expr.match(/\b[a-z_:][a-z0-9_:]*\{[^}]*\}/g) ?? [];
            expect(selectors.length, `${p.title} ${t.refId}`).toBeGreaterThan(0);
            for (const s of selectors) expect(s, `${p.title} ${t.refId}`).toContain('job="$job"');
          }
        }
      });

      it("explains every panel, and lays panels out without overlap", () => {
        const panels = d.panels.filter((p) => p.type !== "row");
        expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
        for (const p of panels) {
          expect(p.title.length, JSON.stringify(p.gridPos)).toBeGreaterThan(0);
          expect(p.description.length, p.title).toBeGreaterThan(20);
          expect(p.targets.length, p.title).toBeGreaterThan(0);
          expect(new Set(p.targets.map((t) => t.refId)).size, p.title).toBe(p.targets.length);
          expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
        }
        const boxes = d.panels.map((p) => ({ title: p.title, ...p.gridPos }));
        for (const [i, a] of boxes.entries()) {
          for (const b of boxes.slice(i + 1)) {
            const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            expect(overlap, `"${a.title}" overlaps "${b.title}"`).toBe(false);
          }
        }
      });
    });
  }

  it("Operators overview: one table row per operator with every figure, the network baseline beside it", () => {
    const d = byUid("stakeops-operators");
    const table = d.panels.find((p) => p.type === "table");
    expect(table).toBeDefined();
    for (const t of table?.targets ?? []) {
      expect(t.instant, t.refId).toBe(true);
      expect(t.expr, t.refId).toMatch(/^(sum|max) by \(operator\)/);
    }
    expect(table?.raw["transformations"]).toEqual(expect.arrayContaining([expect.objectContaining({ id: "merge" })]));
    const inTable = new Set((table?.targets ?? []).flatMap((t) => metricNames(t.expr).map((n) => familyOf(n, families))));
    for (const figure of [
      "stakeops_validators",
      "stakeops_attestation_timely",
      "stakeops_effectiveness_ratio",
      "stakeops_attestation_missed",
      "stakeops_proposals_total",
      "stakeops_sync_participation_ratio",
      "stakeops_slashing_risk",
      "stakeops_exits_total",
      "stakeops_network_performance_score",
    ]) {
      expect(inTable, figure).toContain(figure);
    }
    // The baseline panels stand to the right of the table, on its rows.
    const baseline = d.panels.filter((p) => p.targets.some((t) => /stakeops_network_/.test(t.expr)) && p.type === "stat");
    expect(baseline.length).toBeGreaterThanOrEqual(3);
    for (const p of baseline) {
      expect(p.gridPos.x).toBeGreaterThanOrEqual((table?.gridPos.x ?? 0) + (table?.gridPos.w ?? 0));
      expect(p.gridPos.y).toBeLessThan((table?.gridPos.y ?? 0) + (table?.gridPos.h ?? 0));
    }
  });

  it("Operator detail: an $operator variable from stakeops_validators, and the history of every per-operator figure", () => {
    const d = byUid("stakeops-operator-detail");
    const operator = d.variables.find((v) => v.name === "operator");
    expect(operator?.query).toBe('label_values(stakeops_validators{job="$job"}, operator)');
    expect(operator?.raw["multi"]).toBe(false);
    const perOperator = [
      ...describeRegistry(serviceRegistry()).filter((m) => m.labels.includes("operator")).map((m) => m.name),
      ...PLANNED_METRICS.filter((m) => m.labels.includes("operator")).map((m) => m.name),
    ];
    const shown = familiesOf(d);
    for (const name of perOperator) expect(shown, name).toContain(name);
    for (const p of d.panels.filter((x) => x.type !== "row")) {
      expect(p.targets.some((t) => t.expr.includes('operator="$operator"')), p.title).toBe(true);
    }
    // Most graphs are figures of the last processed epoch kept as history: time series, not stats only.
    expect(d.panels.filter((p) => p.type === "timeseries").length).toBeGreaterThanOrEqual(12);
  });

  it("Slashing risk and exits: inventory findings, risk signals, slashed validators, exits and the rate limit", () => {
    const shown = familiesOf(byUid("stakeops-risk-exits"));
    for (const name of ["stakeops_inventory_findings", "stakeops_slashing_risk", "stakeops_validators", "stakeops_exits_total", "stakeops_registry_keys"]) {
      expect(shown, name).toContain(name);
    }
    // Failures, the rate limit and the guards each have their own figure.
    const exprs = byUid("stakeops-risk-exits").panels.flatMap((p) => p.targets.map((t) => t.expr));
    for (const outcome of ["failed", "rate_limited", "blocked"]) expect(exprs.some((e) => e.includes(`outcome="${outcome}"`)), outcome).toBe(true);
  });

  it("Service health: epoch lag, processing time, beacon node errors and latency per node", () => {
    const d = byUid("stakeops-service-health");
    const shown = familiesOf(d);
    for (const name of [
      "stakeops_monitor_settled_epoch",
      "stakeops_monitor_last_processed_epoch",
      "stakeops_epoch_processing_seconds",
      "stakeops_beacon_node_up",
      "stakeops_beacon_requests_total",
      "stakeops_beacon_request_seconds",
      "stakeops_http_requests_total",
    ]) {
      expect(shown, name).toContain(name);
    }
    const perNode = d.panels.filter((p) => p.targets.some((t) => /by \(node[,)]/.test(t.expr)));
    expect(perNode.map((p) => p.title)).toEqual(expect.arrayContaining(["Beacon errors per node", "Beacon latency per node (p95)"]));
  });
});
