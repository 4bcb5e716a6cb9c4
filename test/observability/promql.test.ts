/**
 * The PromQL name extractor and the Grafana variable substitution that the dashboard and alert
 * checks rely on: if they miss a name, a typo in a dashboard goes unnoticed.
 */
import { describe, expect, it } from "vitest";
import { metricNames, substituteVariables, variablesOf } from "../helpers/promql.js";

describe("metricNames", () => {
  const cases: readonly (readonly [string, string, readonly string[]])[] = [
    ["a bare metric", "up", ["up"]],
    ["matchers hold no metric, even with metric-like values", 'stakeops_validators{status=~"active_.*", operator="up"}', ["stakeops_validators"]],
    ["aggregation with `by` before the argument", "max by (operator) (stakeops_performance_score)", ["stakeops_performance_score"]],
    ["aggregation with `by` after the argument", "sum(stakeops_jobs_total) by (kind, outcome)", ["stakeops_jobs_total"]],
    ["functions and ranges", 'rate(stakeops_beacon_requests_total{code=~"0|5.."}[5m])', ["stakeops_beacon_requests_total"]],
    ["histogram series keep their suffix", "histogram_quantile(0.95, sum by (le) (rate(stakeops_epoch_processing_seconds_bucket[30m])))", ["stakeops_epoch_processing_seconds_bucket"]],
    ["vector matching keywords and their label lists", "a / on (operator) group_left (flag) b", ["a", "b"]],
    ["ignoring and group_right", "a * ignoring (instance) group_right () b", ["a", "b"]],
    ["set operators and bool", "a and b or c unless d > bool 1", ["a", "b", "c", "d"]],
    ["offset durations and numbers", "x offset 15m - x offset 1h30m + 1e9 - 0.05", ["x"]],
    ["subqueries", "max_over_time((sum by (operator) (x))[1d:5m] offset 15m)", ["x"]],
    ["without", "max without (instance) (stakeops_monitor_settled_epoch)", ["stakeops_monitor_settled_epoch"]],
    ["time() and vector() are functions", "time() - process_start_time_seconds or vector(0)", ["process_start_time_seconds"]],
    ["comments are skipped", "x # the y of z\n+ w", ["x", "w"]],
    ["strings are skipped", 'label_replace(x, "dst", "$1", "src", "(.*)")', ["x"]],
    ["each name once", "a / a", ["a"]],
    ["names with colons (recording rules)", "job:up:sum > 0", ["job:up:sum"]],
  ];
  for (const [what, expr, names] of cases) {
    it(what, () => expect(metricNames(expr)).toEqual(names));
  }
});

describe("substituteVariables", () => {
  it("replaces every syntax Grafana accepts, built-ins included", () => {
    expect(substituteVariables('x{job="$job", operator=~"${operator}", i="[[instance]]", f="${operator:regex}"}[$__rate_interval]', { job: "stakeops", operator: "alpha", instance: "a:1" })).toBe(
      'x{job="stakeops", operator=~"alpha", i="a:1", f="alpha"}[1m]',
    );
  });

  it("refuses a variable it has no value for", () => {
    expect(() => substituteVariables('x{operator="$operatr"}', { operator: "alpha" })).toThrow(/\$operatr/);
  });

  it("lists the variables of an expression, without the built-ins", () => {
    expect(variablesOf('x{job="$job"}[$__range] / y{o="${operator}"}')).toEqual(["job", "operator"]);
  });
});
