/**
 * Keeps each key's lifecycle state and validator index in step with the beacon chain:
 * registered → deposited → active → exiting → exited | slashed, only ever forward.
 */
import type { BeaconNodeApi } from "../beacon/beaconApi.js";
import type { Logger } from "../jobs/logger.js";
import type { ValidatorKeysRepository } from "../store/validatorKeys.js";
import { isoNow, type Clock } from "./clock.js";
import { advances, keyStateFromChain } from "./keyLifecycle.js";

export interface KeyStatusSyncDependencies {
  readonly beacon: BeaconNodeApi;
  readonly keys: ValidatorKeysRepository;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class KeyStatusSync {
  constructor(private readonly deps: KeyStatusSyncDependencies) {}

  /** Returns how many keys changed state. */
  async sync(signal?: AbortSignal): Promise<number> {
    const keys = await this.deps.keys.listNotFinal();
    if (keys.length === 0) return 0;
    const validators = new Map(
      (await this.deps.beacon.getValidatorsByPubkey(keys.map((k) => k.pubkey), "head", signal)).map((v) => [v.pubkey.toLowerCase(), v]),
    );
    let changed = 0;
    for (const key of keys) {
      const validator = validators.get(key.pubkey);
      if (validator === undefined) continue;
      const chainState = keyStateFromChain(validator.status, validator.slashed);
      const state = advances(key.state, chainState) ? chainState : key.state;
      if (state === key.state && key.validator_index === validator.index) continue;
      await this.deps.keys.updateChainState(key.pubkey, state, validator.index, isoNow(this.deps.clock));
      if (state !== key.state) {
        changed++;
        this.deps.logger.info({ pubkey: key.pubkey, from: key.state, to: state, validatorIndex: validator.index }, "key state changed on chain");
      }
    }
    return changed;
  }
}
