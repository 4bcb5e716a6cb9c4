/**
 * A stakeops service wired to a simulated beacon node (liveness) and two simulated validator
 * clients over real HTTP, with keys in custody and on chain: the world key migrations run in.
 * The clock is injected, so deadlines pass on demand; the chain moves with `at(epoch, slot)`.
 * `restart()` stops the service and starts a new one on the same database and custody folder,
 * the way a crash and a restart look to the next instance.
 */
import { randomBytes } from "node:crypto";
import { KeymanagerClient } from "../../src/keymanager/keymanagerClient.js";
import type { KeymanagerApi } from "../../src/keymanager/keymanagerApi.js";
import type { KeymanagerFactory } from "../../src/keymanager/validatorClientService.js";
import { bls } from "../../src/crypto/bls.js";
import { encryptKeystore } from "../../src/keygen/keystore.js";
import type { Clock } from "../../src/registry/clock.js";
import type { TickSummary } from "../../src/migration/migrationDriver.js";
import type { MigrationView } from "../../src/migration/migrationService.js";
import { ValidatorKeysRepository } from "../../src/store/validatorKeys.js";
import { toPrefixedHex } from "../../src/util/hex.js";
import { MAINNET_GENESIS_VALIDATORS_ROOT } from "../simulator/chainConfig.js";
import { startBeaconSimulator, type BeaconSimulator } from "../simulator/index.js";
import { createOperator, startTestApp, type TestApp, type TestAppOptions } from "./app.js";
import type { Engine } from "./stores.js";
import { startSimulatedValidatorClient, type SimulatedValidatorClient } from "./keymanagerSimulator.js";

export const SLOTS_PER_EPOCH = 32; // the simulator's mainnet preset
const PASSWORD = "operator keystore password";

/** What the Keymanager API does around a call, to simulate a crash at the worst moment. */
export interface KeymanagerHooks {
  /** Called after the client answered a DELETE; throwing a plain Error is a crash before the answer is recorded. */
  afterDelete?: (() => void) | undefined;
  afterImport?: (() => void) | undefined;
  /** Called before an import is sent; throwing is a crash before the request left. */
  beforeImport?: (() => void) | undefined;
}

export class MutableClock implements Clock {
  constructor(private current = new Date("2026-11-21T10:00:00.000Z")) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface MigrationWorld {
  t: TestApp;
  readonly first: TestApp;
  readonly sim: BeaconSimulator;
  readonly source: SimulatedValidatorClient;
  readonly destination: SimulatedValidatorClient;
  readonly op: { id: string; token: string };
  readonly sourceId: string;
  readonly destinationId: string;
  readonly pubkeys: readonly string[];
  readonly clock: MutableClock;
  /** The simulated chain's, which the clients' slashing protection names. */
  readonly genesisValidatorsRoot: string;
  readonly hooks: KeymanagerHooks;
  /** Calls per Keymanager operation, across every client. */
  readonly calls: { imports: number; deletes: number };
  /** The epoch the head was in when the world was made. */
  readonly startEpoch: number;
  at(epoch: number, slotInEpoch: number): void;
  migrate(pubkeys: readonly string[], options?: { from?: string; to?: string; token?: string }): Promise<{ status: number; body: { id: string; results: { status: string; code?: string }[] } }>;
  tick(): Promise<TickSummary>;
  view(id: string): Promise<MigrationView>;
  restart(): Promise<void>;
  /** Another instance on the same database, running alongside (PostgreSQL only); closed with the world. */
  another(): Promise<TestApp>;
  close(): Promise<void>;
}

export interface WorldOptions {
  readonly engine?: Engine;
  readonly keys?: number;
  /** Validator index of each key, in order; null leaves the key unknown to the registry. */
  readonly indices?: readonly (number | null)[];
  readonly app?: TestAppOptions;
}

export async function startMigrationWorld(options: WorldOptions = {}): Promise<MigrationWorld> {
  const sim = await startBeaconSimulator({ validatorCount: 64, activeCount: 64, seed: 3 });
  // The clients' slashing protection is for the simulated chain (mainnet's root), as a real client's would be.
  const source = await startSimulatedValidatorClient("source-token", { genesisValidatorsRoot: MAINNET_GENESIS_VALIDATORS_ROOT });
  const destination = await startSimulatedValidatorClient("destination-token", { genesisValidatorsRoot: MAINNET_GENESIS_VALIDATORS_ROOT });
  const clock = new MutableClock();
  const hooks: KeymanagerHooks = {};
  const calls = { imports: 0, deletes: 0 };
  const keymanager: KeymanagerFactory = (endpoint) => hooked(new KeymanagerClient({ url: endpoint.url, token: endpoint.token }), hooks, calls);
  const appOptions: TestAppOptions = { clock, keymanager, ...options.app, config: { beaconNodeUrls: [sim.url], ...options.app?.config } };
  const first = await startTestApp({ ...appOptions, ...(options.engine === undefined ? {} : { engine: options.engine }) });
  const op = await createOperator(first, "acme");

  const count = options.keys ?? 1;
  const keystores: string[] = [];
  const pubkeys: string[] = [];
  for (let i = 0; i < count; i++) {
    const secret = bls.SecretKey.fromKeygen(randomBytes(32));
    pubkeys.push(toPrefixedHex(secret.toPublicKey().toBytes()));
    keystores.push(JSON.stringify(await encryptKeystore(secret.toBytes(), PASSWORD, { kdf: "pbkdf2", path: `m/12381/3600/${i}/0/0`, pbkdf2: { c: 16_384 } })));
  }
  const registered = await first.request("POST", `/api/v1/operators/${op.id}/keys/keystores`, { token: op.token, body: { keystores, passwords: keystores.map(() => PASSWORD) } });
  if (registered.json<{ registered: number }>().registered !== count) throw new Error(`keys not registered: ${registered.body}`);
  const repo = new ValidatorKeysRepository(first.app.store.db);
  const indices = options.indices ?? pubkeys.map((_, i) => 10 + i);
  for (const [i, pubkey] of pubkeys.entries()) {
    const index = indices[i];
    if (index !== null && index !== undefined) await repo.updateChainState(pubkey, "active", index, clock.now().toISOString());
  }

  const register = async (vc: SimulatedValidatorClient): Promise<string> => {
    const response = await first.request("POST", `/api/v1/operators/${op.id}/validator-clients`, { token: op.token, body: { url: vc.url, token: vc.token } });
    if (response.statusCode !== 201) throw new Error(response.body);
    return response.json<{ id: string }>().id;
  };
  const sourceId = await register(source);
  const destinationId = await register(destination);
  const imported = await first.request("POST", `/api/v1/validator-clients/${sourceId}/keys`, { token: op.token, body: { pubkeys } });
  if (!imported.json<{ results: { status: string }[] }>().results.every((r) => r.status === "imported")) throw new Error(imported.body);
  calls.imports = 0;

  const startEpoch = sim.model.headEpoch;
  const others: TestApp[] = [];
  const world: MigrationWorld = {
    t: first,
    first,
    sim,
    source,
    destination,
    op,
    sourceId,
    destinationId,
    pubkeys,
    clock,
    genesisValidatorsRoot: MAINNET_GENESIS_VALIDATORS_ROOT,
    hooks,
    calls,
    startEpoch,
    at: (epoch, slot) => sim.setHead(epoch * SLOTS_PER_EPOCH + slot),
    async migrate(keys, request = {}) {
      const response = await world.t.request("POST", `/api/v1/validator-clients/${request.from ?? sourceId}/migrate`, {
        token: request.token ?? op.token,
        body: { to: request.to ?? destinationId, pubkeys: keys },
      });
      return { status: response.statusCode, body: response.json() };
    },
    async tick() {
      const driver = world.t.app.migrationDriver;
      if (driver === null) throw new Error("no migration driver");
      return driver.tick();
    },
    async view(id) {
      const response = await world.t.request("GET", `/api/v1/migrations/${id}`, { token: op.token });
      if (response.statusCode !== 200) throw new Error(response.body);
      return response.json<MigrationView>();
    },
    async restart() {
      await world.t.app.stop();
      world.t = await startTestApp({ ...appOptions, sameAs: first });
    },
    async another() {
      const instance = await startTestApp({ ...appOptions, sameAs: first });
      others.push(instance);
      return instance;
    },
    async close() {
      for (const other of others) await other.close();
      if (world.t !== first) await world.t.close();
      await first.close();
      await Promise.all([source.close(), destination.close(), sim.close()]);
    },
  };
  return world;
}

function hooked(api: KeymanagerApi, hooks: KeymanagerHooks, calls: { imports: number; deletes: number }): KeymanagerApi {
  return {
    listKeystores: (signal) => api.listKeystores(signal),
    listRemoteKeys: (signal) => api.listRemoteKeys(signal),
    async importKeystores(request, signal) {
      hooks.beforeImport?.();
      calls.imports++;
      const answer = await api.importKeystores(request, signal);
      hooks.afterImport?.();
      return answer;
    },
    async deleteKeystores(pubkeys, signal) {
      calls.deletes++;
      const answer = await api.deleteKeystores(pubkeys, signal);
      hooks.afterDelete?.();
      return answer;
    },
    signVoluntaryExit: (pubkey, epoch, signal) => api.signVoluntaryExit(pubkey, epoch, signal),
  };
}
