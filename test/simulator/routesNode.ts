/** Node and chain-wide endpoints: genesis, config, fork schedule, syncing, version, health. */
import { FORKS, MAINNET_GENESIS_VALIDATORS_ROOT, specJson } from "./chainConfig.js";
import type { RouteContext } from "./routeContext.js";
import { json, type Router } from "./router.js";

export function addNodeRoutes(router: Router, context: RouteContext): void {
  const { model, faults } = context;

  router.add("GET", "/eth/v1/beacon/genesis", () =>
    json({
      data: {
        genesis_time: String(model.genesisTime),
        genesis_validators_root: MAINNET_GENESIS_VALIDATORS_ROOT,
        genesis_fork_version: FORKS.genesis.version,
      },
    }),
  );

  router.add("GET", "/eth/v1/config/spec", () => json({ data: specJson(model.fork) }));

  router.add("GET", "/eth/v1/config/fork_schedule", () => {
    const schedule = Object.values(FORKS).filter((fork) => model.fork === "fulu" || fork !== FORKS.fulu);
    return json({
      data: schedule.map((fork, i) => ({
        previous_version: (schedule[Math.max(0, i - 1)] ?? fork).version,
        current_version: fork.version,
        epoch: String(fork.epoch),
      })),
    });
  });

  router.add("GET", "/eth/v1/node/syncing", () => {
    const { syncing, syncDistance, optimistic, elOffline } = faults.current;
    const distance = syncing ? syncDistance : 0;
    return json({
      data: {
        head_slot: String(Math.max(0, model.headSlot - distance)),
        sync_distance: String(distance),
        is_syncing: syncing,
        is_optimistic: optimistic,
        el_offline: elOffline,
      },
    });
  });

  router.add("GET", "/eth/v1/node/version", () => json({ data: { version: context.options.version } }));

  // 200 ready, 206 syncing (the Beacon API's health codes); no body.
  router.add("GET", "/eth/v1/node/health", () => ({ status: faults.syncing ? 206 : 200, body: { kind: "text", text: "", contentType: "text/plain" } }));
}
