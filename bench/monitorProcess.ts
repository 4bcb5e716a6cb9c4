/**
 * One side of the monitor benchmark, run as its own process so that its peak RSS is its own:
 *
 *   setup  <db> <validators> <registered> <operators>   writes the registry (not measured)
 *   run    <db> <beacon url>                           processes the settled epoch, then the next one
 *   download <beacon url> <slot>                       streams one state and drops it (the I/O floor)
 *
 * Prints one JSON line per measured step: {"step", "seconds", "maxRssMb"}.
 */
import { resolve } from "node:path";
import { BeaconClient } from "../src/beacon/beaconClient.js";
import { silentLogger } from "../src/jobs/logger.js";
import { EpochMonitor } from "../src/monitor/epochMonitor.js";
import { openStore } from "../src/store/database.js";
import { MonitorRepository } from "../src/store/monitor.js";
import { ValidatorKeysRepository } from "../src/store/validatorKeys.js";
import { simulatedPubkeyHex } from "../test/simulator/index.js";
import { registryRow } from "../test/helpers/registryRows.js";

const [command, ...args] = process.argv.slice(2);

function report(step: string, seconds: number): void {
  process.stdout.write(`${JSON.stringify({ step, seconds, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
}

async function setup(db: string, validators: number, registered: number, operators: number): Promise<void> {
  const store = await openStore({ kind: "sqlite", path: resolve(db) });
  const now = new Date().toISOString();
  for (let o = 0; o < operators; o++) {
    await store.db.insertInto("operators").values({ id: `op-${o}`, name: `operator-${o}`, reward_address: null, active: 1, key_limit: null, token_hash: `hash-${o}`, created_at: now, updated_at: now }).execute();
  }
  // Registered validators spread over the whole registry, as a protocol's keys are.
  const stride = validators / registered;
  await store.db.transaction().execute(async (trx) => {
    const keys = new ValidatorKeysRepository(trx);
    const batch = [];
    for (let k = 0; k < registered; k++) {
      batch.push(registryRow(simulatedPubkeyHex(Math.floor(k * stride)), `op-${k % operators}`));
      if (batch.length === 10_000) await keys.insertMany(batch.splice(0));
    }
    await keys.insertMany(batch);
  });
  await store.close();
}

async function run(db: string, url: string): Promise<void> {
  const store = await openStore({ kind: "sqlite", path: resolve(db) });
  const beacon = new BeaconClient({ urls: [url], timeoutMs: 60_000 });
  const monitor = new EpochMonitor(
    { retentionEpochs: 1_000, maxCatchupEpochs: 10 },
    { chain: beacon, results: new MonitorRepository(store.db), keys: new ValidatorKeysRepository(store.db), clock: { now: () => new Date() }, logger: silentLogger },
  );
  await monitor.chainContext();
  const head = await beacon.getHeader("head");
  if (head === null) throw new Error("no head");
  const epoch = Math.floor(head.slot / 32) - 2;
  let started = performance.now();
  await monitor.processEpoch(epoch);
  report("first epoch (registry pubkeys resolved from the state)", (performance.now() - started) / 1000);
  // The next epoch, as the running service meets it: indices known, the head one epoch further.
  const advance = (): Promise<Response> =>
    fetch(`${url}/_sim/head`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ slot: head.slot + 32 }) });
  // A kept-alive socket the simulator closed meanwhile fails once; POSTs are not retried by fetch.
  const control = await advance().catch(advance);
  if (!control.ok) throw new Error(`simulator head: ${control.status}`);
  started = performance.now();
  await monitor.processEpoch(epoch + 1);
  report("next epoch", (performance.now() - started) / 1000);
  await store.close();
}

async function download(url: string, slot: number): Promise<void> {
  const started = performance.now();
  const response = await fetch(`${url}/eth/v2/debug/beacon/states/${slot}`, { headers: { accept: "application/octet-stream" } });
  let bytes = 0;
  for await (const chunk of response.body ?? []) bytes += (chunk as Uint8Array).byteLength;
  report(`state download only (${Math.round(bytes / 1e6)} MB)`, (performance.now() - started) / 1000);
}

switch (command) {
  case "setup":
    await setup(args[0] as string, Number(args[1]), Number(args[2]), Number(args[3]));
    break;
  case "run":
    await run(args[0] as string, args[1] as string);
    break;
  case "download":
    await download(args[0] as string, Number(args[1]));
    break;
  default:
    throw new Error(`unknown command ${String(command)}`);
}
