/**
 * The epoch monitor at mainnet scale (issue 4): one epoch processed against the beacon-node
 * simulator serving a mainnet-preset electra chain, at 100k, 500k, 1M and 2.2M validators in the
 * state (half active; registered validators in proportion, 500,000 to 40 operators at 2.2M).
 * Simulator, registry setup and monitor each run in their own process; the monitor's peak RSS is
 * its own. The baseline, measured in the same run, is streaming the same state and dropping it:
 * the I/O no monitor can avoid.
 *
 * `npm run bench -- monitor`; `STAKEOPS_BENCH_MONITOR_SIZES=100000,2200000` picks sizes.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { BenchResult } from "./stats.js";

const SIZES = (process.env["STAKEOPS_BENCH_MONITOR_SIZES"] ?? "100000,500000,1000000,2200000").split(",").map(Number);
const MAINNET_REGISTERED_SHARE = 500_000 / 2_200_000;
const OPERATORS = 40;

interface Step {
  readonly step: string;
  readonly seconds: number;
  readonly maxRssMb: number;
}

function tsx(args: readonly string[]): ReturnType<typeof spawn> {
  return spawn(process.execPath, ["--import", "tsx", ...args], { stdio: ["ignore", "pipe", "inherit"] });
}

async function lines(args: readonly string[]): Promise<Step[]> {
  const child = tsx(args);
  const steps: Step[] = [];
  if (child.stdout === null) throw new Error("no stdout");
  for await (const line of createInterface({ input: child.stdout })) steps.push(JSON.parse(line) as Step);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`${args.join(" ")} exited with ${String(code)}`);
  return steps;
}

async function startSimulator(validators: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = tsx(["test/simulator/main.ts", "--validators", String(validators), "--active", String(Math.floor(validators / 2)), "--port", "0", "--genesis-time", "now"]);
  if (child.stdout === null) throw new Error("no stdout");
  const reader = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    reader.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`simulator exited with ${String(code)}`)));
  });
  const { url } = JSON.parse(first) as { url: string };
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

export async function benchMonitor(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const validators of SIZES) {
    const registered = Math.round(validators * MAINNET_REGISTERED_SHARE);
    const dir = await mkdtemp(join(tmpdir(), "stakeops-bench-monitor-"));
    const sim = await startSimulator(validators);
    try {
      const db = join(dir, "stakeops.db");
      await lines(["bench/monitorProcess.ts", "setup", db, String(validators), String(registered), String(OPERATORS)]);
      const head = (await (await fetch(`${sim.url}/eth/v1/beacon/headers/head`)).json()) as { data: { header: { message: { slot: string } } } };
      const stateSlot = Number(head.data.header.message.slot) - 1;
      // Warm the simulator's caches for this state, then measure the pure download.
      await lines(["bench/monitorProcess.ts", "download", sim.url, String(stateSlot)]);
      const [baseline] = await lines(["bench/monitorProcess.ts", "download", sim.url, String(stateSlot)]);
      const steps = await lines(["bench/monitorProcess.ts", "run", db, sim.url]);
      const label = `${(validators / 1e6).toFixed(1)}M validators, ${(registered / 1e3).toFixed(0)}k registered`;
      if (baseline !== undefined) results.push({ name: `monitor ${label}: ${baseline.step}`, value: baseline.seconds, unit: "s" });
      for (const step of steps) {
        const atScale = validators === 2_200_000;
        results.push({
          name: `monitor ${label}: ${step.step}`,
          value: step.seconds,
          unit: "s",
          ...(baseline === undefined ? {} : { ratio: step.seconds / baseline.seconds }),
          ...(atScale ? { target: 10, targetIsAbsolute: true, lowerIsBetter: true } : {}),
        });
        results.push({ name: `monitor ${label}: ${step.step}, s per million validators`, value: step.seconds / (validators / 1e6), unit: "s/M" });
      }
      const rss = Math.max(...steps.map((s) => s.maxRssMb));
      results.push({
        name: `monitor ${label}: peak RSS of the monitor process`,
        value: rss,
        unit: "MB",
        ...(validators === 2_200_000 ? { target: 1_536, targetIsAbsolute: true, lowerIsBetter: true } : {}),
      });
    } finally {
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return results;
}
