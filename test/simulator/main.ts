/**
 * The simulator as its own process, so that a benchmark's memory and CPU figures are the monitor's
 * alone:
 *
 *   node --import tsx test/simulator/main.ts --validators 2200000 --active 1100000 --head-slot N --port 0
 *
 * Prints one JSON line {"url": "...", "pid": ...} on stdout once listening (after building the
 * validator records), then serves until SIGTERM or SIGINT. Errors go to stderr with exit code 1.
 */
import { parseArgs } from "node:util";
import { SECONDS_PER_SLOT, type SimulatedFork } from "./chainConfig.js";
import { defaultHeadSlot } from "./chainModel.js";
import type { PastProposerDuties } from "./routeContext.js";
import { startBeaconSimulator } from "./server.js";

const USAGE = `usage: main.ts --validators N --active N [--head-slot N] [--port N] [--seed N] [--fork electra|fulu]
  [--history-epochs N] [--miss-rate R] [--missed-slot-rate R] [--genesis-time N|now]
  [--past-proposer-duties serve|400|500] [--pending-deposits N]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      validators: { type: "string" },
      active: { type: "string" },
      "head-slot": { type: "string" },
      port: { type: "string" },
      seed: { type: "string" },
      fork: { type: "string" },
      "history-epochs": { type: "string" },
      "miss-rate": { type: "string" },
      "missed-slot-rate": { type: "string" },
      "genesis-time": { type: "string" },
      "past-proposer-duties": { type: "string" },
      "pending-deposits": { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const validatorCount = integer(values.validators, "--validators");
  const fork = values.fork ?? "electra";
  if (fork !== "electra" && fork !== "fulu") throw new Error("--fork must be electra or fulu");
  const headSlot = values["head-slot"] === undefined ? defaultHeadSlot(fork as SimulatedFork) : integer(values["head-slot"], "--head-slot");
  const past = values["past-proposer-duties"] ?? "serve";
  if (past !== "serve" && past !== "400" && past !== "500") throw new Error("--past-proposer-duties must be serve, 400 or 500");
  const simulator = await startBeaconSimulator({
    validatorCount,
    activeCount: values.active === undefined ? validatorCount : integer(values.active, "--active"),
    headSlot,
    port: values.port === undefined ? 0 : integer(values.port, "--port"),
    fork: fork as SimulatedFork,
    prebuild: true,
    pastProposerDuties: (past === "serve" ? "serve" : Number(past)) as PastProposerDuties,
    ...optional("seed", "--seed", values.seed, integer),
    ...optional("historyEpochs", "--history-epochs", values["history-epochs"], integer),
    ...optional("defaultMissRate", "--miss-rate", values["miss-rate"], rate),
    ...optional("missedSlotRate", "--missed-slot-rate", values["missed-slot-rate"], rate),
    ...optional("pendingDeposits", "--pending-deposits", values["pending-deposits"], integer),
    // "now": the wall clock is at the head slot's start, for a monitor that follows real time.
    ...optional("genesisTime", "--genesis-time", values["genesis-time"], (text, flag) =>
      text === "now" ? Math.floor(Date.now() / 1000) - headSlot * SECONDS_PER_SLOT : integer(text, flag),
    ),
  });
  process.stdout.write(`${JSON.stringify({ url: simulator.url, pid: process.pid })}\n`);
  const stop = (): void => {
    void simulator.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

function integer(text: string | undefined, flag: string): number {
  if (text === undefined) throw new Error(`${flag} is required\n${USAGE}`);
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value)) throw new Error(`${flag} must be a non-negative integer, got "${text}"`);
  return value;
}

function rate(text: string, flag: string): number {
  const value = Number(text);
  if (!(value >= 0 && value <= 1)) throw new Error(`${flag} must be between 0 and 1, got "${text}"`);
  return value;
}

/** `{key: parse(text)}` when the flag was given, `{}` otherwise (exactOptionalPropertyTypes). */
function optional<K extends string>(key: K, flag: string, text: string | undefined, parse: (text: string, flag: string) => number): Partial<Record<K, number>> {
  if (text === undefined) return {};
  return { [key]: parse(text, flag) } as Partial<Record<K, number>>;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
