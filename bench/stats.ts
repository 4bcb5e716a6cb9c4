export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Against the baseline measured in the same run. */
  readonly ratio?: number;
  /** Target for `ratio`, or for `value` when targetIsAbsolute. */
  readonly target?: number;
  readonly targetIsAbsolute?: boolean;
  /** The target is a maximum (seconds), not a minimum. */
  readonly lowerIsBetter?: boolean;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function formatResult(result: BenchResult): string {
  const value = result.value >= 100 ? result.value.toFixed(0) : result.value.toFixed(3);
  const ratio = result.ratio === undefined ? "" : `  ratio ${result.ratio.toFixed(2)}`;
  let verdict = "";
  if (result.target !== undefined) {
    const measured = result.targetIsAbsolute === true ? result.value : (result.ratio ?? 0);
    const relation = result.lowerIsBetter === true ? "≤" : "≥";
    const met = result.lowerIsBetter === true ? measured <= result.target : measured >= result.target;
    verdict = `  target ${result.targetIsAbsolute === true ? `${relation} ${result.target} ${result.unit}` : `ratio ${relation} ${result.target}`}: ${met ? "met" : "MISSED"}`;
  }
  return `${result.name}: ${value} ${result.unit}${ratio}${verdict}`;
}
