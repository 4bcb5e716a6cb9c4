/**
 * Wiring only: builds every service of `stakeops serve` from the configuration, and owns start
 * and stop. Nothing else constructs services; nothing here holds business logic.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { buildServer } from "./api/server.js";
import { createAuthenticator } from "./api/auth.js";
import type { ReadinessReport } from "./api/routes/health.js";
import type { BeaconNodeApi } from "./beacon/beaconApi.js";
import { BeaconClient } from "./beacon/beaconClient.js";
import { BeaconEventStream } from "./beacon/eventStream.js";
import type { ServiceConfig } from "./config/loadConfig.js";
import { JobRunner } from "./jobs/jobRunner.js";
import { PeriodicTask } from "./jobs/periodicTask.js";
import { InventoryReconciler } from "./keymanager/inventory.js";
import { createLogger } from "./logging.js";
import { KeymanagerClient } from "./keymanager/keymanagerClient.js";
import { KeyTransfer } from "./keymanager/keyTransfer.js";
import { ValidatorClientService, type KeymanagerFactory } from "./keymanager/validatorClientService.js";
import { ServiceMetrics } from "./metrics/metrics.js";
import { systemClock, type Clock } from "./registry/clock.js";
import { KeyCustody } from "./registry/custody.js";
import { KeyGenerationJob } from "./registry/keyGenerationJob.js";
import { KeyRegistration } from "./registry/keyRegistration.js";
import { KeyStatusSync } from "./registry/keyStatusSync.js";
import { EpochMonitor } from "./monitor/epochMonitor.js";
import { PerformanceQuery } from "./monitor/performanceQuery.js";
import type { PerformanceTotals } from "./monitor/performance.js";
import { MonitorRepository } from "./store/monitor.js";
import { ExitsRepository } from "./store/exits.js";
import { ExitService } from "./exit/exitService.js";
import { ExitSigner } from "./exit/exitSigner.js";
import { readWithdrawalRequestFee } from "./exit/withdrawalRequest.js";
import { ChainPositionReader } from "./migration/chainPosition.js";
import { MigrationDriver } from "./migration/migrationDriver.js";
import { MigrationService } from "./migration/migrationService.js";
import { KeyMigrationsRepository } from "./store/keyMigrations.js";
import { OPEN_MIGRATION_KEY_STATES } from "./store/schema.js";
import { JobService } from "./registry/jobService.js";
import { OperatorService } from "./registry/operatorService.js";
import { ChainRiskChecks } from "./risk/chainChecks.js";
import { DoppelgangerCheck } from "./risk/doppelganger.js";
import { MonitorRiskSignals } from "./risk/monitorSignals.js";
import { RemovedKeysExpectations } from "./risk/offlineExpectations.js";
import { RiskService } from "./risk/riskService.js";
import { SlashedKeysCheck } from "./risk/slashedKeys.js";
import { SLASHING_TOPICS, SlashingEventSignals } from "./risk/slashingEvents.js";
import { SecretBox } from "./registry/secretBox.js";
import { openStore, type Store } from "./store/database.js";
import { InventoryFindingsRepository } from "./store/inventoryFindings.js";
import { JobsRepository } from "./store/jobs.js";
import { KeyAssignmentsRepository } from "./store/keyAssignments.js";
import { LeasesRepository } from "./store/leases.js";
import { OperatorsRepository } from "./store/operators.js";
import { RiskSignalsRepository } from "./store/riskSignals.js";
import { SlashingProtectionRepository } from "./store/slashingProtection.js";
import { ValidatorClientsRepository } from "./store/validatorClients.js";
import { ValidatorKeysRepository } from "./store/validatorKeys.js";

export interface App {
  readonly server: FastifyInstance;
  readonly store: Store;
  readonly jobRunner: JobRunner;
  readonly inventory: InventoryReconciler;
  readonly statusSync: KeyStatusSync | null;
  readonly monitor: EpochMonitor | null;
  readonly exits: ExitService;
  /** Slashing-risk signals: the service, the monitor's hook, the chain checks and the slashing events (null without a beacon node). */
  readonly risk: { readonly service: RiskService; readonly monitorSignals: MonitorRiskSignals; readonly chainChecks: ChainRiskChecks | null; readonly events: BeaconEventStream | null };
  /** Advances key migrations (null without a beacon node: nothing can be watched offline). */
  readonly migrationDriver: MigrationDriver | null;
  /** Listens on the configured host and port; resolves to the address. */
  start(): Promise<string>;
  /** Stops accepting requests, lets in-flight ones finish, aborts background work, closes the database. */
  stop(): Promise<void>;
}

export interface AppOverrides {
  readonly clock?: Clock;
  readonly logStream?: NodeJS.WritableStream;
  /** Keymanager clients (tests substitute fault-injecting ones). */
  readonly keymanager?: KeymanagerFactory;
  /** Poll for queued jobs this often. */
  readonly jobPollIntervalMs?: number;
}

export async function createApp(config: ServiceConfig, overrides: AppOverrides = {}): Promise<App> {
  const clock = overrides.clock ?? systemClock;
  const instanceId = randomUUID();
  const logger = createLogger(config.logLevel, overrides.logStream);
  const store = await openStore(config.database);
  const { db } = store;

  const operatorsRepo = new OperatorsRepository(db);
  const keysRepo = new ValidatorKeysRepository(db);
  const clientsRepo = new ValidatorClientsRepository(db);
  const assignments = new KeyAssignmentsRepository(db);
  const protection = new SlashingProtectionRepository(db);
  const jobsRepo = new JobsRepository(db);
  const findings = new InventoryFindingsRepository(db);
  const leases = new LeasesRepository(db);
  const monitorResults = new MonitorRepository(db);
  const exitsRepo = new ExitsRepository(db);
  const signals = new RiskSignalsRepository(db);
  const risk = new RiskService({ signals });
  const keyMigrations = new KeyMigrationsRepository(db);
  let beaconClient: BeaconClient | null = null;

  const metrics = new ServiceMetrics({
    keysByOperatorAndState: async () => {
      const names = new Map((await operatorsRepo.list()).map((o) => [o.id, o.name]));
      return (await keysRepo.countByOperatorAndState()).map((r) => ({ operator: names.get(r.operator_id) ?? r.operator_id, state: r.state, count: r.n }));
    },
    openFindings: async () => {
      const counts = new Map<string, { kind: string; severity: string; count: number }>();
      for (const f of await findings.listOpen()) {
        const key = `${f.kind}|${f.severity}`;
        counts.set(key, { kind: f.kind, severity: f.severity, count: (counts.get(key)?.count ?? 0) + 1 });
      }
      return [...counts.values()];
    },
    latestPerformance: async () => {
      const last = await monitorResults.lastProcessed();
      if (last === undefined) return null;
      const epoch = Number(last.epoch);
      const names = new Map((await operatorsRepo.list()).map((o) => [o.id, o.name]));
      const [operators, network] = await Promise.all([monitorResults.operatorTotalsAt(epoch), monitorResults.networkTotals(epoch, epoch)]);
      return {
        epoch,
        operators: operators.map((o) => ({ operator: names.get(o.operatorId) ?? o.operatorId, totals: JSON.parse(o.totals) as PerformanceTotals })),
        network: JSON.parse(network[0]?.totals ?? "null") as PerformanceTotals,
      };
    },
    migrationsInProgress: async () => {
      const counts = new Map((await keyMigrations.countOpenByState()).map((r) => [r.state, r.n]));
      return OPEN_MIGRATION_KEY_STATES.map((state) => ({ state, count: counts.get(state) ?? 0 }));
    },
    beaconNodes: () => beaconClient?.nodeHealth().map((n) => ({ node: n.node, up: n.consecutiveFailures === 0 })) ?? [],
    openRiskSignals: async () => {
      const names = new Map((await operatorsRepo.list()).map((o) => [o.id, o.name]));
      return (await risk.openCounts()).map((r) => ({ operator: r.operatorId === null ? "" : (names.get(r.operatorId) ?? r.operatorId), signal: r.kind, severity: r.severity, count: r.count }));
    },
  });

  beaconClient =
    config.beaconNodeUrls.length === 0
      ? null
      : new BeaconClient(
          { urls: config.beaconNodeUrls },
          {
            onRequest: (event) => {
              metrics.beaconRequests.inc({ node: event.node, endpoint: event.endpoint, code: typeof event.status === "number" ? String(event.status) : "0" });
              metrics.beaconRequestSeconds.observe({ node: event.node, endpoint: event.endpoint }, event.seconds);
            },
          },
        );

  const beacon: BeaconNodeApi | null = beaconClient;
  const custody = new KeyCustody({ dir: config.keysDir, password: config.keystorePassword });
  const keymanager: KeymanagerFactory = overrides.keymanager ?? ((endpoint) => new KeymanagerClient({ url: endpoint.url, token: endpoint.token }));
  const operators = new OperatorService({ operators: operatorsRepo, clock });
  const registration = new KeyRegistration(
    { network: config.network, withdrawalCredentials: config.withdrawalCredentials, depositAmountGwei: config.depositAmountGwei },
    { db, dialect: store.dialect, operators: operatorsRepo, keys: keysRepo, custody, beacon, clock },
  );
  const clients = new ValidatorClientService({
    clients: clientsRepo,
    secrets: new SecretBox(config.keystorePassword, "validator-client tokens"),
    keymanager,
    clock,
  });
  const transfer = new KeyTransfer({ clients, operators: operatorsRepo, keys: keysRepo, assignments, protection, risk, custody, clock, migrations: keyMigrations });
    const migrationChain = beacon === null ? null : new ChainPositionReader(beacon);
  const migrations = new MigrationService(
    { offlineEpochs: config.migration.offlineEpochs, timeoutEpochs: config.migration.timeoutEpochs },
    { migrations: keyMigrations, keys: keysRepo, assignments, risk, chain: migrationChain, clock },
  );

  const keyGeneration = new KeyGenerationJob(
    {
      network: config.network,
      withdrawalCredentials: config.withdrawalCredentials,
      depositAmountGwei: config.depositAmountGwei,
      custodyPassword: config.keystorePassword,
      workers: config.keygenWorkers,
    },
    { registration },
  );
  const jobRunner = new JobRunner(
    { instanceId, pollIntervalMs: overrides.jobPollIntervalMs ?? 2_000, staleAfterMs: 120_000, progressIntervalMs: 1_000 },
    { jobs: jobsRepo, handlers: [keyGeneration], clock, logger, onFinished: (kind, outcome) => metrics.jobs.inc({ kind, outcome }) },
  );

  const exitSecrets = new SecretBox(config.keystorePassword, "signed exits");
  const exits = new ExitService(
          { dryRun: config.exits.dryRun, killSwitch: config.exits.killSwitch, filePolicy: config.exits.policy },
          {
            beacon: beaconClient,
            results: monitorResults,
            exits: exitsRepo,
            keys: keysRepo,
            operators: operatorsRepo,
            secrets: exitSecrets,
            signer: new ExitSigner({
              exits: exitsRepo,
              secrets: exitSecrets,
              custody,
              assignments,
              keymanager: async (id) => (await clients.api(id)).api,
              withdrawalFee: async () => (config.exits.executionRpcUrl === null ? null : readWithdrawalRequestFee(config.exits.executionRpcUrl)),
            }),
            clock,
            logger,
            events: { outcome: (operator, reason, outcome) => metrics.exits.inc({ operator, reason, outcome }) },
          },
        );

  const server = await buildServer(
    { bodyLimitBytes: config.bodyLimitBytes },
    {
      logger,
      auth: createAuthenticator(config.adminToken, operators),
      readiness: () => readiness(store, beacon),
      operators,
      registration,
      keys: keysRepo,
      jobs: new JobService({ runner: jobRunner, jobs: jobsRepo, operators: operatorsRepo }),
      clients,
      transfer,
      findings,
      metrics,
      performance: new PerformanceQuery({ results: monitorResults, keys: keysRepo, operators: operatorsRepo }),
      exits,
      risk,
      clock,
      migrations,
    },
  );
  const inventory = new InventoryReconciler({ clients, clientRows: clientsRepo, keys: keysRepo, assignments, signals, clock, logger });
  const tasks: PeriodicTask[] = [
    new PeriodicTask(
      { name: "inventory", intervalMs: config.inventoryIntervalMs, instanceId },
      {
        leases,
        clock,
        logger,
        run: async (signal) => {
          const summary = await inventory.reconcile(signal);
          metrics.inventoryPolls.inc({ outcome: "ok" }, summary.clients - summary.unreachable);
          metrics.inventoryPolls.inc({ outcome: "unreachable" }, summary.unreachable);
        },
      },
    ),
  ];
  const chainChecks =
    beacon === null
      ? null
      : new ChainRiskChecks({
          slashed: new SlashedKeysCheck({ keys: keysRepo, signals, clock }),
          doppelganger: new DoppelgangerCheck(
            { windowEpochs: config.risk.doppelgangerWindowEpochs },
            // Safe key migration adds its source of keys expected offline here.
            { beacon, expectations: [new RemovedKeysExpectations({ assignments })], keys: keysRepo, assignments, signals, clock, logger },
          ),
        });
  if (chainChecks !== null) {
    tasks.push(new PeriodicTask({ name: "risk", intervalMs: config.risk.intervalMs, instanceId }, { leases, clock, logger, run: async (signal) => void (await chainChecks.run(signal)) }));
  }
  const monitorSignals = new MonitorRiskSignals({ signals, keys: keysRepo, clock });
  const slashingEvents = new SlashingEventSignals({ signals, keys: keysRepo, clock });
  // Every instance listens (the writes are idempotent): a slashing is worth knowing epochs early.
  const events =
    config.beaconNodeUrls.length === 0
      ? null
      : new BeaconEventStream({ urls: config.beaconNodeUrls, topics: SLASHING_TOPICS }, { onEvent: async (event) => void (await slashingEvents.handle(event)), logger });
  const statusSync = beacon === null ? null : new KeyStatusSync({ beacon, keys: keysRepo, clock, logger });
  if (statusSync !== null) {
    tasks.push(new PeriodicTask({ name: "key-status", intervalMs: config.statusIntervalMs, instanceId }, { leases, clock, logger, run: async (signal) => void (await statusSync.sync(signal)) }));
  }

  const monitor =
    beaconClient === null || !config.monitor.enabled
      ? null
      : new EpochMonitor(
          { retentionEpochs: config.monitor.retentionEpochs, maxCatchupEpochs: config.monitor.maxCatchupEpochs, tickBudgetMs: config.monitor.intervalMs },
          {
            chain: beaconClient,
            results: monitorResults,
            keys: keysRepo,
            clock,
            logger,
            events: {
              epochProcessed: (summary, seconds, firstTime) => {
                metrics.epochsProcessed.inc();
                metrics.epochProcessingSeconds.observe(seconds);
                monitorSignals.enqueue(summary, (error) => logger.error({ err: error, epoch: summary.epoch }, "risk signals of a processed epoch not recorded"));
                if (!firstTime) return;
                void operatorsRepo
                  .list()
                  .then((list) => {
                    const names = new Map(list.map((o) => [o.id, o.name]));
                    for (const [operatorId, totals] of summary.operators) {
                      const operator = names.get(operatorId) ?? operatorId;
                      metrics.proposals.inc({ operator, outcome: "proposed" }, totals.proposed);
                      metrics.proposals.inc({ operator, outcome: "missed" }, totals.proposalDuties - totals.proposed);
                    }
                  })
                  .catch((error: unknown) => logger.warn({ err: error }, "proposal metrics not updated"));
              },
              epochsSkipped: (count) => metrics.epochsSkipped.inc(count),
              reorgDetected: () => metrics.reorgs.inc(),
              headSeen: (slot, settled) => {
                metrics.headSlot.set(slot);
                metrics.settledEpoch.set(settled);
              },
            },
          },
        );
  if (monitor !== null) {
    tasks.push(new PeriodicTask({ name: "monitor", intervalMs: config.monitor.intervalMs, instanceId }, { leases, clock, logger, run: async (signal) => void (await monitor.tick(signal)) }));
  }

  if (beaconClient !== null) {
    tasks.push(
      new PeriodicTask(
        { name: "exits", intervalMs: config.exits.intervalMs, instanceId },
        {
          leases,
          clock,
          logger,
          run: async (signal) => {
            await exits.evaluate(signal);
            await exits.track(signal);
          },
        },
      ),
    );
  }
  // Key migrations: one instance advances them (lease); each step is persisted and resumable.
  const migrationDriver =
    beacon === null || migrationChain === null
      ? null
      : new MigrationDriver(
          { timeoutEpochs: config.migration.timeoutEpochs },
          {
            migrations: keyMigrations,
            transfer,
            clients,
            assignments,
            keys: keysRepo,
            protection,
            beacon,
            chain: migrationChain,
            // Open critical risk signals on a key abort its migration before the import.
            importGate: {
              blocked: async (pubkeys) =>
                new Map([...(await risk.blockingSignals(pubkeys))].map(([pubkey, found]) => [pubkey, found.map((r) => r.kind).join(", ")])),
            },
            clock,
            logger,
            events: { finished: (outcome, code) => metrics.keyMigrations.inc({ outcome, reason: code ?? "none" }) },
          },
        );
  if (migrationDriver !== null) {
    tasks.push(new PeriodicTask({ name: "key-migrations", intervalMs: config.migration.intervalMs, instanceId }, { leases, clock, logger, run: async (signal) => void (await migrationDriver.tick(signal)) }));
  }

  return {
    server,
    store,
    jobRunner,
    inventory,
    statusSync,
    monitor,
    exits,
    risk: { service: risk, monitorSignals, chainChecks, events },
    migrationDriver,
    async start() {
      if (beaconClient !== null && config.beaconNodeUrls.length > 1) {
        // Refuse to start on nodes of different chains: their answers would be mixed silently.
        const { unreachable } = await beaconClient.checkSameChain(AbortSignal.timeout(30_000));
        if (unreachable.length > 0) logger.warn({ nodes: unreachable }, "beacon nodes not answering at start: whether they follow the same chain could not be checked");
      }
      const address = await server.listen({ host: config.host, port: config.port });
      jobRunner.start();
      for (const task of tasks) task.start();
      events?.start();
      logger.info({ address, network: config.network.name, database: store.dialect, beaconNodes: config.beaconNodeUrls.length, instanceId }, "stakeops serving");
      return address;
    },
    async stop() {
      await server.close();
      await jobRunner.stop();
      await Promise.all(tasks.map((t) => t.stop()));
      await events?.stop();
      await store.close();
    },
  };
}

async function readiness(store: Store, beacon: BeaconNodeApi | null): Promise<ReadinessReport> {
  const database = (await store.ping()) ? "ok" : "failing";
  let beaconCheck: ReadinessReport["checks"][string] = "not configured";
  if (beacon !== null) {
    try {
      await beacon.getSyncing(AbortSignal.timeout(5_000));
      beaconCheck = "ok";
    } catch {
      beaconCheck = "failing";
    }
  }
  return { ready: database === "ok" && beaconCheck !== "failing", checks: { database, beacon: beaconCheck } };
}
