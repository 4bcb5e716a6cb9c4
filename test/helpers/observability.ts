/**
 * The monitoring files of the repository as data: Grafana dashboards (grafana/dashboards), the
 * Prometheus alert rules and their promtool tests (deploy/prometheus), read and shape-checked once
 * so every observability test walks the same lists.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "./vectors.js";

export const DASHBOARDS_DIR = join(PROJECT_ROOT, "grafana", "dashboards");
export const PROMETHEUS_DIR = join(PROJECT_ROOT, "deploy", "prometheus");
export const RULES_FILE = join(PROMETHEUS_DIR, "rules", "stakeops.rules.yml");
export const RULE_TESTS_DIR = join(PROMETHEUS_DIR, "tests");

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objects(value: unknown, where: string): Json[] {
  if (!Array.isArray(value) || !value.every(isObject)) throw new Error(`${where}: expected a list of objects`);
  return value;
}

function text(value: unknown, where: string): string {
  if (typeof value !== "string") throw new Error(`${where}: expected a string`);
  return value;
}

export function readYaml(path: string): unknown {
  return parse(readFileSync(path, "utf8"));
}

export interface PanelTarget {
  readonly refId: string;
  readonly expr: string;
  readonly datasource: unknown;
  readonly instant: boolean;
}

export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly description: string;
  readonly datasource: unknown;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly targets: readonly PanelTarget[];
  readonly raw: Json;
}

export interface DashboardVariable {
  readonly name: string;
  readonly type: string;
  /** For query variables: the Grafana query (label_values(...)). */
  readonly query: string | null;
  readonly raw: Json;
}

export interface Dashboard {
  readonly file: string;
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly Panel[];
  readonly variables: readonly DashboardVariable[];
  readonly raw: Json;
}

function panelOf(raw: Json, where: string): Panel {
  const grid = isObject(raw["gridPos"]) ? raw["gridPos"] : {};
  return {
    id: typeof raw["id"] === "number" ? raw["id"] : -1,
    type: text(raw["type"], `${where}: type`),
    title: typeof raw["title"] === "string" ? raw["title"] : "",
    description: typeof raw["description"] === "string" ? raw["description"] : "",
    datasource: raw["datasource"],
    gridPos: { x: Number(grid["x"]), y: Number(grid["y"]), w: Number(grid["w"]), h: Number(grid["h"]) },
    targets: raw["targets"] === undefined ? [] : objects(raw["targets"], `${where}: targets`).map((t, i) => ({
      refId: text(t["refId"], `${where}: target ${i} refId`),
      expr: text(t["expr"], `${where}: target ${i} expr`),
      datasource: t["datasource"],
      instant: t["instant"] === true,
    })),
    raw,
  };
}

/** Panels in layout order, those inside collapsed rows included. */
function allPanels(list: readonly Json[], where: string): Panel[] {
  return list.flatMap((raw) => {
    const panel = panelOf(raw, `${where}: panel "${String(raw["title"])}"`);
    const nested = raw["panels"] === undefined ? [] : allPanels(objects(raw["panels"], `${where}: row panels`), where);
    return [panel, ...nested];
  });
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => {
      const raw: unknown = JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), "utf8"));
      if (!isObject(raw)) throw new Error(`${file}: not a JSON object`);
      const templating = isObject(raw["templating"]) ? raw["templating"] : { list: [] };
      return {
        file,
        uid: text(raw["uid"], `${file}: uid`),
        title: text(raw["title"], `${file}: title`),
        panels: allPanels(objects(raw["panels"], `${file}: panels`), file),
        variables: objects(templating["list"], `${file}: templating.list`).map((v) => {
          const query = v["query"];
          return {
            name: text(v["name"], `${file}: variable name`),
            type: text(v["type"], `${file}: variable type`),
            query: typeof query === "string" ? query : isObject(query) && typeof query["query"] === "string" ? query["query"] : null,
            raw: v,
          };
        }),
        raw,
      };
    });
}

export interface Rule {
  readonly group: string;
  /** The alert name, or the recorded series for a recording rule. */
  readonly name: string;
  readonly kind: "alert" | "record";
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

function stringMap(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new Error(`${where}: expected a mapping`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, text(v, `${where}.${k}`)]));
}

export function loadRules(path = RULES_FILE): Rule[] {
  const doc = readYaml(path);
  if (!isObject(doc)) throw new Error(`${path}: not a mapping`);
  return objects(doc["groups"], `${path}: groups`).flatMap((g) => {
    const group = text(g["name"], `${path}: group name`);
    return objects(g["rules"], `${path}: ${group} rules`).map((r) => {
      const alert = r["alert"];
      const name = text(alert ?? r["record"], `${path}: ${group}: rule name`);
      return {
        group,
        name,
        kind: alert === undefined ? ("record" as const) : ("alert" as const),
        expr: text(r["expr"], `${path}: ${name}: expr`),
        labels: stringMap(r["labels"], `${path}: ${name}: labels`),
        annotations: stringMap(r["annotations"], `${path}: ${name}: annotations`),
      };
    });
  });
}

export interface AlertCase {
  readonly file: string;
  readonly test: string;
  readonly alertname: string;
  readonly evalTime: string;
  readonly fires: boolean;
}

/** Every alert expectation of the promtool unit tests: which alert, and whether it should fire. */
export function loadAlertCases(): AlertCase[] {
  return readdirSync(RULE_TESTS_DIR)
    .filter((f) => f.endsWith(".test.yml"))
    .sort()
    .flatMap((file) => {
      const doc = readYaml(join(RULE_TESTS_DIR, file));
      if (!isObject(doc)) throw new Error(`${file}: not a mapping`);
      return objects(doc["tests"], `${file}: tests`).flatMap((test) => {
        const name = typeof test["name"] === "string" ? test["name"] : "(unnamed)";
        const cases = test["alert_rule_test"] === undefined ? [] : objects(test["alert_rule_test"], `${file}: ${name}: alert_rule_test`);
        return cases.map((c) => ({
          file,
          test: name,
          alertname: text(c["alertname"], `${file}: ${name}: alertname`),
          evalTime: String(c["eval_time"]),
          fires: Array.isArray(c["exp_alerts"]) && c["exp_alerts"].length > 0,
        }));
      });
    });
}

/** A dashboard target or a rule, as one expression to check. */
export interface Expression {
  readonly where: string;
  readonly expr: string;
  readonly source: "dashboard" | "rule";
  /** The dashboard of a panel's target. */
  readonly dashboard?: Dashboard;
}

export function allExpressions(): Expression[] {
  const fromDashboards = loadDashboards().flatMap((d) =>
    d.panels.flatMap((p) => p.targets.map((t) => ({ where: `${d.file}: "${p.title}" ${t.refId}`, expr: t.expr, source: "dashboard" as const, dashboard: d }))),
  );
  const fromRules = loadRules().map((r) => ({ where: `rule ${r.name}`, expr: r.expr, source: "rule" as const }));
  return [...fromDashboards, ...fromRules];
}

/** Series Prometheus makes itself for every target; `up` is on Service health and in StakeopsDown. */
export const PROMETHEUS_MADE: ReadonlySet<string> = new Set(["up"]);

/**
 * The family a series name belongs to: a histogram or summary is one family exported as
 * `<name>_bucket`, `<name>_sum` and `<name>_count` series.
 */
export function familyOf(name: string, families: ReadonlyMap<string, string>): string {
  if (families.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  const type = families.get(base);
  return base !== name && (type === "histogram" || type === "summary") ? base : name;
}
