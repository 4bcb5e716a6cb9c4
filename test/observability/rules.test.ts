/**
 * The alert rules with Prometheus's own tool: `promtool check rules`, `promtool test rules` (unit
 * tests under deploy/prometheus/tests, each alert seen firing and not firing), `promtool check
 * config` on the compose stack's prometheus.yml; and what promtool does not check: every alert has
 * a severity, a summary, a description and a runbook section that exists.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROMETHEUS_DIR, RULES_FILE, RULE_TESTS_DIR, loadAlertCases, loadRules } from "../helpers/observability.js";
import { runTool } from "../helpers/promtool.js";
import { PROJECT_ROOT } from "../helpers/vectors.js";

const rules = loadRules();
const alerts = rules.filter((r) => r.kind === "alert");
const runbook = readFileSync(join(PROJECT_ROOT, "docs", "runbook.md"), "utf8");

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
      (m[1] as string)
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    ),
  );
}

describe("alert rules with promtool", () => {
  it("promtool check rules accepts the rules file", async () => {
    const run = await runTool("promtool", ["check", "rules", RULES_FILE]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it("promtool test rules passes every unit test", async () => {
    const files = readdirSync(RULE_TESTS_DIR).filter((f) => f.endsWith(".test.yml")).sort();
    expect(files.length).toBeGreaterThan(0);
    // Run from the tests folder: their rule_files are relative paths.
    const run = await runTool("promtool", ["test", "rules", ...files], { cwd: RULE_TESTS_DIR });
    expect(run.code, run.output).toBe(0);
    expect(run.output).not.toMatch(/FAILED/);
  });

  it("promtool check config accepts the compose stack's prometheus.yml, with the rules it loads", async () => {
    const run = await runTool("promtool", ["check", "config", "prometheus.yml"], { cwd: PROMETHEUS_DIR });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("SUCCESS: 1 rule files found");
    expect(run.output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it("every alert has a unit test where it fires and one where it does not", () => {
    const cases = loadAlertCases();
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert.name);
      expect(mine.some((c) => c.fires), `${alert.name}: no promtool case where it fires`).toBe(true);
      expect(mine.some((c) => !c.fires), `${alert.name}: no promtool case where it stays silent`).toBe(true);
    }
    // A case naming an alert that no longer exists would pass vacuously.
    for (const c of cases) expect(alerts.map((a) => a.name), `${c.file}: ${c.test}`).toContain(c.alertname);
  });
});

describe("alert rules for people", () => {
  const sections = anchors(runbook);

  it("alert names are unique and say what they are about", () => {
    expect(new Set(alerts.map((a) => a.name)).size).toBe(alerts.length);
    for (const a of alerts) expect(a.name).toMatch(/^Stakeops[A-Z][A-Za-z]+$/);
  });

  for (const alert of alerts) {
    it(`${alert.name}: severity, summary, description and a runbook section`, () => {
      expect(["critical", "warning"]).toContain(alert.labels["severity"]);
      expect(alert.annotations["summary"]?.length ?? 0).toBeGreaterThan(10);
      expect(alert.annotations["description"]?.length ?? 0).toBeGreaterThan(alert.annotations["summary"]?.length ?? 0);
      const url = alert.annotations["runbook_url"] ?? "";
      expect(url).toBe(`docs/runbook.md#${alert.name.toLowerCase()}`);
      expect(sections, `docs/runbook.md has no "## ${alert.name}" section`).toContain(alert.name.toLowerCase());
    });
  }

  it("the runbook has a section for no alert that does not exist", () => {
    const documented = [...runbook.matchAll(/^## (Stakeops\w+)$/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(alerts.map((a) => a.name).sort());
  });
});
