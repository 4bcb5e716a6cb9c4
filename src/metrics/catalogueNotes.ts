/**
 * What the registry cannot say about its metrics: which ones no dashboard or alert uses (and why),
 * and which ones the dashboards and alerts already use before the code exports them. Both lists are
 * rendered into docs/metrics.md and enforced by test/observability: an exported metric must be on
 * a dashboard, in an alert rule, or here; a metric named in a dashboard or rule must be exported or
 * planned here.
 */

export interface PlannedMetric {
  readonly name: string;
  readonly type: "counter" | "gauge";
  readonly labels: readonly string[];
  readonly meaning: string;
}

/**
 * Metrics a dashboard or rule uses before the code exports them. Empty: stakeops_slashing_risk,
 * the last one, is exported now (a test fails while a name here is exported).
 */
export const PLANNED_METRICS: readonly PlannedMetric[] = [];

const CPU_SPLIT = "user/system split of process_cpu_seconds_total, which Service health shows";
const MEMORY_DETAIL = "memory detail for debugging; Service health shows resident memory and the V8 heap in use";
const LAG_DETAIL = "event-loop delay statistics; Service health shows the p99, these are for debugging";
const HANDLES = "libuv resources keeping the loop alive: for hunting leaks, not for watching";

/** Exported, deliberately on no dashboard and in no alert: metric name → why. */
export const INTERNAL_METRICS: Readonly<Record<string, string>> = {
  process_cpu_user_seconds_total: CPU_SPLIT,
  process_cpu_system_seconds_total: CPU_SPLIT,
  process_virtual_memory_bytes: MEMORY_DETAIL,
  process_heap_bytes: MEMORY_DETAIL,
  nodejs_heap_size_total_bytes: MEMORY_DETAIL,
  nodejs_external_memory_bytes: MEMORY_DETAIL,
  nodejs_heap_space_size_total_bytes: MEMORY_DETAIL,
  nodejs_heap_space_size_used_bytes: MEMORY_DETAIL,
  nodejs_heap_space_size_available_bytes: MEMORY_DETAIL,
  nodejs_eventloop_lag_seconds: LAG_DETAIL,
  nodejs_eventloop_lag_min_seconds: LAG_DETAIL,
  nodejs_eventloop_lag_max_seconds: LAG_DETAIL,
  nodejs_eventloop_lag_mean_seconds: LAG_DETAIL,
  nodejs_eventloop_lag_stddev_seconds: LAG_DETAIL,
  nodejs_eventloop_lag_p50_seconds: LAG_DETAIL,
  nodejs_eventloop_lag_p90_seconds: LAG_DETAIL,
  nodejs_active_resources: HANDLES,
  nodejs_active_resources_total: HANDLES,
  nodejs_active_handles: HANDLES,
  nodejs_active_handles_total: HANDLES,
  nodejs_active_requests: HANDLES,
  nodejs_active_requests_total: HANDLES,
  nodejs_version_info: "the Node.js version, for inventories rather than graphs",
  nodejs_gc_duration_seconds: "garbage-collection pauses, for debugging latency",
};
