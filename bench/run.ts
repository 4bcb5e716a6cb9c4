/**
 * `npm run bench`: prints figures; BENCHMARKS.md records them with this command. Not a test: the
 * machine is shared and noisy, so results are compared as ratios within one run.
 * `npm run bench -- keys` or `-- deposits` (`registration`, `monitor`) runs one group.
 */
import { availableParallelism, cpus } from "node:os";
import { benchDeposits } from "./deposits.js";
import { benchKeys } from "./keys.js";
import { benchMonitor } from "./monitor.js";
import { benchRegistration } from "./registration.js";
import { formatResult, type BenchResult } from "./stats.js";

const groups: Record<string, () => Promise<BenchResult[]>> = { keys: benchKeys, deposits: benchDeposits, registration: benchRegistration, monitor: benchMonitor };
const wanted = process.argv.slice(2).filter((a) => a in groups);

console.log(`node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? "unknown CPU"})`);
for (const name of wanted.length > 0 ? wanted : Object.keys(groups)) {
  console.log(`\n[${name}]`);
  for (const result of await (groups[name] as () => Promise<BenchResult[]>)()) console.log(formatResult(result));
}
