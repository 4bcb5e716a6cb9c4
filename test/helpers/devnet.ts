/**
 * Runs the real Lodestar 1.5.1 devnet (../shared/beacon-devnet) for end-to-end tests: a beacon node
 * with 16 interop genesis validators (0..13 run by the node itself) and, when asked, a separate
 * validator client serving the Keymanager API with no keys.
 *
 * Each instance gets its own free ports and its own working folder: the devnet scripts `cd` to the
 * folder they are started from and keep their data in `./data`, so the instance folder holds
 * symlinks to the installed scripts and node_modules and a private `data/`. Two test files can run
 * chains side by side, and nothing is written to the shared folder or to the installed copy.
 *
 * Process output goes to log files that outlive the instance (their paths are returned), because a
 * failed test is diagnosed from them after stop() has removed the data.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { BeaconClient } from "../../src/beacon/beaconClient.js";
import { resolveDepositNetwork, type Network } from "../../src/chain/networks.js";
import { parseHex } from "../../src/util/hex.js";
import { ensureDevnetInstalled } from "./devnetInstall.js";
import { interopPubkey } from "./interopKeys.js";

export { devnetSource, ensureDevnetInstalled } from "./devnetInstall.js";
export { interopKeystore, interopPubkey, interopSecretKey } from "./interopKeys.js";

export interface DevnetOptions {
  /** Also start the validator client with the Keymanager API (auth on, token file read back). */
  readonly validatorClient?: boolean;
  /** SECONDS_PER_SLOT for chain and validator client; default 1 (an epoch of the minimal preset is then 8 s). */
  readonly slotSeconds?: number;
  /** Extra chain config (`--params.NAME VALUE`), given to the beacon node and the validator client alike. */
  readonly params?: Readonly<Record<string, string | number>>;
  /** Per process: how long to wait for its API to answer. Default 90 s (two chains on two cores start slowly). */
  readonly startupTimeoutMs?: number;
}

export interface Devnet {
  readonly beaconUrl: string;
  readonly keymanagerUrl: string | null;
  readonly keymanagerToken: string | null;
  readonly logs: { readonly beacon: string; readonly validatorClient: string | null };
  /** SECONDS_PER_SLOT the chain runs with. */
  readonly slotSeconds: number;
  /** Stops the processes (SIGTERM to each process group, SIGKILL after 15 s) and removes the instance's data. Idempotent. */
  stop(): Promise<void>;
}

export interface DevnetWithKeymanager extends Devnet {
  readonly keymanagerUrl: string;
  readonly keymanagerToken: string;
  readonly logs: { readonly beacon: string; readonly validatorClient: string };
  /** Stops the validator client only (its validators go offline); the chain runs on. */
  stopValidatorClient(): Promise<void>;
}

/** Installed copy's files the scripts need beside them; `data/` stays private to the instance. */
const LINKED = ["start-dev.sh", "start-vc.sh", "polyfill.cjs", "node_modules"];
const LOG_ROOT = join(tmpdir(), "stakeops-devnet-logs");
const LOG_MAX_AGE_MS = 24 * 3600_000;
const STOP_GRACE_MS = 15_000;
const PORT_ATTEMPTS = 3;

export function startDevnet(options: DevnetOptions & { readonly validatorClient: true }): Promise<DevnetWithKeymanager>;
export function startDevnet(options?: DevnetOptions): Promise<Devnet>;
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const installed = await ensureDevnetInstalled();
  await pruneOldLogs();
  // A free port found now can be taken before Lodestar binds it; that shows as EADDRINUSE at start.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(installed, options);
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

class PortInUseError extends Error {}

class DevnetProcess {
  readonly exited: Promise<void>;
  private exitedAlready = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", () => {
        this.exitedAlready = true;
        resolve();
      });
      child.once("error", () => {
        this.exitedAlready = true;
        resolve();
      });
    });
  }

  get running(): boolean {
    return !this.exitedAlready;
  }

  /** The whole process group: the script execs node, and anything node spawns goes with it. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  async stop(): Promise<void> {
    this.signal("SIGTERM");
    if (await settlesWithin(this.exited, STOP_GRACE_MS)) return;
    this.signal("SIGKILL");
    await settlesWithin(this.exited, 5_000);
  }
}

async function startOnce(installed: string, options: DevnetOptions): Promise<Devnet> {
  const slotSeconds = options.slotSeconds ?? 1;
  const timeoutMs = options.startupTimeoutMs ?? 90_000;
  const instance = await mkdtemp(join(tmpdir(), "stakeops-devnet-run-"));
  for (const name of LINKED) await symlink(join(installed, name), join(instance, name));
  const logDir = join(LOG_ROOT, basename(instance));
  await mkdir(logDir, { recursive: true });

  const [restPort, p2pPort, kmPort] = await freePorts(3);
  const beaconUrl = `http://127.0.0.1:${restPort}`;
  const params = Object.entries(options.params ?? {}).flatMap(([name, value]) => [`--params.${name}`, String(value)]);
  const env = { ...withoutNodeOptions(process.env), SLOT: String(slotSeconds), REST_PORT: String(restPort), P2P_PORT: String(p2pPort) };

  const processes: DevnetProcess[] = [];
  const killAll = (): void => processes.forEach((p) => p.signal("SIGKILL"));
  // If the test process dies without calling stop(), its chains must not live on.
  process.once("exit", killAll);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const p of [...processes].reverse()) await p.stop();
    process.removeListener("exit", killAll);
    await rm(instance, { recursive: true, force: true });
  };

  try {
    const beacon = launch("beacon node", join(instance, "start-dev.sh"), params, env, join(logDir, "beacon.log"));
    processes.push(beacon);
    await waitUntil(
      beacon,
      timeoutMs,
      `the beacon node's REST API (${beaconUrl})`,
      async () => (await probe(`${beaconUrl}/eth/v1/beacon/genesis`)) === 200,
    );

    if (options.validatorClient !== true) {
      const withoutClient: Devnet = {
        beaconUrl,
        keymanagerUrl: null,
        keymanagerToken: null,
        logs: { beacon: beacon.logFile, validatorClient: null },
        slotSeconds,
        stop,
      };
      return withoutClient;
    }
    const vcEnv = { ...env, KM_PORT: String(kmPort), BEACON_URL: beaconUrl, KM_AUTH: "true" };
    const vc = launch("validator client", join(instance, "start-vc.sh"), params, vcEnv, join(logDir, "vc.log"));
    processes.push(vc);
    const keymanagerUrl = `http://127.0.0.1:${kmPort}`;
    const tokenFile = join(instance, "data", "vc", "validator-db", "api-token.txt");
    let token = "";
    await waitUntil(vc, timeoutMs, `the validator client's Keymanager API (${keymanagerUrl})`, async () => {
      // Read again each time: a file seen mid-write would otherwise leave a truncated token.
      token = existsSync(tokenFile) ? (await readFile(tokenFile, "utf8")).trim() : "";
      return token !== "" && (await probe(`${keymanagerUrl}/eth/v1/keystores`, token)) === 200;
    });
    const withClient: DevnetWithKeymanager = {
      beaconUrl,
      keymanagerUrl,
      keymanagerToken: token,
      logs: { beacon: beacon.logFile, validatorClient: vc.logFile },
      slotSeconds,
      stop,
      stopValidatorClient: () => vc.stop(),
    };
    return withClient;
  } catch (error) {
    const tails = await Promise.all(
      processes.map(async (p) => `--- ${p.name}: ${p.logFile} (last lines) ---\n${await tail(p.logFile, 40)}`),
    );
    await stop();
    const inUse = tails.some((t) => t.includes("EADDRINUSE"));
    const message = `${error instanceof Error ? error.message : String(error)}\n${tails.join("\n")}`;
    if (inUse) throw new PortInUseError(message);
    console.error(`devnet failed to start:\n${message}`);
    throw new Error(`devnet failed to start: ${message}`, { cause: error });
  }
}

function launch(name: string, script: string, args: readonly string[], env: NodeJS.ProcessEnv, logFile: string): DevnetProcess {
  const fd = openSync(logFile, "a");
  try {
    // detached: a process group of its own, so stop() can signal the group and ctrl-C of the test run does not race it.
    const child = spawn("bash", [script, ...args], { env, detached: true, stdio: ["ignore", fd, fd] });
    return new DevnetProcess(name, child, logFile);
  } finally {
    closeSync(fd);
  }
}

async function waitUntil(proc: DevnetProcess, timeoutMs: number, what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) throw new Error(`the ${proc.name} exited before ${what} answered`);
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`${what} did not answer within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** HTTP status of a GET, or 0 when nothing answers (yet). */
async function probe(url: string, token?: string): Promise<number> {
  try {
    const response = await fetch(url, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(2_000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Ports free right now, all different: the probing sockets stay open until every port is picked. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => {
              const address = server.address();
              resolve(typeof address === "object" && address !== null ? address.port : 0);
            });
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

function withoutNodeOptions(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // The test runner's own loader flags must not leak into Lodestar's node.
  const { NODE_OPTIONS: _ignored, ...rest } = env;
  return rest;
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function tail(file: string, lines: number): Promise<string> {
  try {
    return (await readFile(file, "utf8")).split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function pruneOldLogs(): Promise<void> {
  try {
    for (const name of await readdir(LOG_ROOT)) {
      const path = join(LOG_ROOT, name);
      if (Date.now() - (await stat(path)).mtimeMs > LOG_MAX_AGE_MS) await rm(path, { recursive: true, force: true });
    }
  } catch {
    // no logs yet
  }
}

/** Slot `slot` of a chain that started at `genesisTime` (Unix seconds) has begun, by the wall clock. */
export async function untilSlot(genesisTime: number, slotSeconds: number, slot: number): Promise<void> {
  const wait = (genesisTime + slot * slotSeconds) * 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** The slot the wall clock is in (slot 0 before genesis). */
export function currentSlot(genesisTime: number, slotSeconds: number): number {
  return Math.max(0, Math.floor((Date.now() / 1000 - genesisTime) / slotSeconds));
}

/**
 * The service settings of a protocol on this devnet: the chain's deposit fork version (its
 * /genesis reports Capella's), validator `index`'s withdrawal credentials as the protocol's (each
 * interop validator has its own 0x00 ones), and the devnet as beacon node.
 */
export async function devnetProtocolConfig(devnet: Devnet, index = 14): Promise<{ network: Network; withdrawalCredentials: Uint8Array; beaconNodeUrls: string[] }> {
  const beacon = new BeaconClient({ urls: [devnet.beaconUrl] });
  const spec = await beacon.getSpec();
  const [validator] = await beacon.getValidatorsByPubkey([interopPubkey(index)]);
  if (validator === undefined) throw new Error(`validator ${index} is not on the devnet`);
  return {
    network: resolveDepositNetwork({ forkVersion: spec["GENESIS_FORK_VERSION"], networkName: "devnet" }),
    withdrawalCredentials: parseHex(validator.withdrawalCredentials, { what: "credentials", bytes: 32, prefix: "required" }),
    beaconNodeUrls: [devnet.beaconUrl],
  };
}
