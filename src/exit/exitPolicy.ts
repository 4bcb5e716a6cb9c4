/**
 * The exit policy: a JSON document saying which validators performed badly enough to be exited,
 * and the limits on doing it. Every field but `rules` has a documented default, so the smallest
 * useful document is a rule list; `{"rules":[{"type":"consecutive-misses","epochs":2}]}` means
 * exactly "exit a validator that missed its attestation in 2 consecutive epochs".
 *
 * Rules (each decides on the monitor's stored per-epoch results):
 * - consecutive-misses {epochs}: no timely flag (a missed attestation) in each of the last
 *   `epochs` processed epochs. Lido's validators monitoring calls a validator bad after 3 bad
 *   epochs; the default is 3.
 * - below-baseline {leeway, strikes, window}: the validator's score below the network's score
 *   minus `leeway` in at least `strikes` of the last `window` epochs. Lido's performance oracle
 *   gives a strike when performance is below the network's minus a leeway, and acts on 3 strikes
 *   within 6 frames; the defaults are 3 of 6 (epochs here, not oracle frames) and a leeway of 0.1.
 * - operator-below-baseline {leeway, window, maxValidators}: an operator whose score, summed over
 *   the last `window` epochs, is below the network's minus `leeway` exits its worst validators
 *   first, at most `maxValidators` per decision.
 */
import { isJsonObject } from "../util/jsonFields.js";
import { ExitError } from "./errors.js";

export type ExitRule =
  | { readonly type: "consecutive-misses"; readonly epochs: number }
  | { readonly type: "below-baseline"; readonly leeway: number; readonly strikes: number; readonly window: number }
  | { readonly type: "operator-below-baseline"; readonly leeway: number; readonly window: number; readonly maxValidators: number };

export interface ExitLimits {
  /** Real exits decided per epoch, across all operators. */
  readonly perEpoch: number;
  /** Real exits per 225 epochs (a mainnet day). */
  readonly perDay: number;
  /** Real exits per operator per 225 epochs. */
  readonly perOperatorPerDay: number;
}

export interface ExitGuardSettings {
  /** Nothing while finality is more than this many epochs behind the head. */
  readonly maxFinalityLagEpochs: number;
  /** Nothing while the network's timely-target share in any epoch of the window is below this: a network-wide incident, or our own data is wrong. */
  readonly minNetworkTargetRatio: number;
}

export interface ExitPolicy {
  /** true: decide and log, exit nobody (a pause, beside STAKEOPS_EXIT_DRY_RUN and the kill switch). */
  readonly paused: boolean;
  readonly rules: readonly ExitRule[];
  readonly limits: ExitLimits;
  readonly guards: ExitGuardSettings;
}

export const DEFAULT_LIMITS: ExitLimits = { perEpoch: 2, perDay: 10, perOperatorPerDay: 3 };
export const DEFAULT_GUARDS: ExitGuardSettings = { maxFinalityLagEpochs: 5, minNetworkTargetRatio: 0.7 };
export const DEFAULT_RULE_FIELDS = {
  "consecutive-misses": { epochs: 3 },
  "below-baseline": { leeway: 0.1, strikes: 3, window: 6 },
  "operator-below-baseline": { leeway: 0.1, window: 6, maxValidators: 1 },
} as const;
/** No rules: the service exits nobody until a policy says otherwise. */
export const DEFAULT_POLICY: ExitPolicy = { paused: false, rules: [], limits: DEFAULT_LIMITS, guards: DEFAULT_GUARDS };

/** The longest look-back any rule of the policy needs, in epochs. */
export function policyWindow(policy: ExitPolicy): number {
  let window = 1;
  for (const rule of policy.rules) window = Math.max(window, rule.type === "consecutive-misses" ? rule.epochs : rule.window);
  return window;
}

/** Validates a policy document (parsed JSON), filling defaults; every problem is reported at once. */
export function parseExitPolicy(json: unknown, where = "exit policy"): ExitPolicy {
  const problems: string[] = [];
  if (!isJsonObject(json)) throw new ExitError("EXIT_POLICY_INVALID", `${where}: expected a JSON object with "rules"`, { problems: ["not an object"] });
  const known = new Set(["paused", "rules", "limits", "guards"]);
  for (const key of Object.keys(json)) if (!known.has(key)) problems.push(`unknown field "${key}" (known: ${[...known].join(", ")})`);
  const paused = json["paused"] ?? false;
  if (typeof paused !== "boolean") problems.push(`"paused" must be true or false`);
  const rawRules = json["rules"];
  const rules: ExitRule[] = [];
  if (!Array.isArray(rawRules)) problems.push(`"rules" must be an array (it may be empty)`);
  else rawRules.forEach((raw: unknown, i) => {
    const rule = parseRule(raw, `rules[${i}]`, problems);
    if (rule !== null) rules.push(rule);
  });
  const limits = parseNumbers(json["limits"], "limits", DEFAULT_LIMITS, problems, { integer: true, min: 0 });
  const guards = parseNumbers(json["guards"], "guards", DEFAULT_GUARDS, problems, { integer: false, min: 0 });
  if (guards.minNetworkTargetRatio > 1) problems.push("guards.minNetworkTargetRatio must be between 0 and 1");
  if (problems.length > 0) {
    throw new ExitError("EXIT_POLICY_INVALID", `${where} is not valid: ${problems.join("; ")}`, { problems });
  }
  return { paused: paused as boolean, rules, limits, guards };
}

function parseRule(raw: unknown, path: string, problems: string[]): ExitRule | null {
  if (!isJsonObject(raw)) {
    problems.push(`${path} must be an object with a "type"`);
    return null;
  }
  const type = raw["type"];
  if (type !== "consecutive-misses" && type !== "below-baseline" && type !== "operator-below-baseline") {
    problems.push(`${path}.type must be consecutive-misses, below-baseline or operator-below-baseline`);
    return null;
  }
  const defaults: Record<string, number> = DEFAULT_RULE_FIELDS[type];
  const fields: Record<string, number> = {};
  for (const key of Object.keys(raw)) if (key !== "type" && !(key in defaults)) problems.push(`${path}: unknown field "${key}" for ${type}`);
  for (const [key, fallback] of Object.entries(defaults)) {
    const value = raw[key] ?? fallback;
    const integer = key !== "leeway";
    if (typeof value !== "number" || !Number.isFinite(value) || (integer && (!Number.isSafeInteger(value) || value < 1)) || (!integer && (value < 0 || value > 1))) {
      problems.push(`${path}.${key} must be ${integer ? "a whole number ≥ 1" : "a number from 0 to 1"}`);
      continue;
    }
    fields[key] = value;
  }
  if (type === "below-baseline" && (fields["strikes"] ?? 0) > (fields["window"] ?? 0)) problems.push(`${path}: strikes cannot exceed window`);
  if (type === "consecutive-misses") return { type, epochs: fields["epochs"] ?? 0 };
  if (type === "below-baseline") return { type, leeway: fields["leeway"] ?? 0, strikes: fields["strikes"] ?? 0, window: fields["window"] ?? 0 };
  return { type, leeway: fields["leeway"] ?? 0, window: fields["window"] ?? 0, maxValidators: fields["maxValidators"] ?? 0 };
}

function parseNumbers<T extends object>(raw: unknown, path: string, defaults: T, problems: string[], rule: { integer: boolean; min: number }): T {
  if (raw === undefined) return defaults;
  if (!isJsonObject(raw)) {
    problems.push(`"${path}" must be an object`);
    return defaults;
  }
  const out: Record<string, number> = { ...(defaults as Record<string, number>) };
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in defaults)) {
      problems.push(`${path}: unknown field "${key}" (known: ${Object.keys(defaults).join(", ")})`);
      continue;
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value < rule.min || (rule.integer && !Number.isSafeInteger(value))) {
      problems.push(`${path}.${key} must be ${rule.integer ? "a whole number" : "a number"} ≥ ${rule.min}`);
      continue;
    }
    out[key] = value;
  }
  return out as T;
}
