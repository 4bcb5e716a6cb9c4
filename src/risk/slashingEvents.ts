/**
 * SLASHED_ON_CHAIN as early as the beacon node knows: its event stream announces every proposer
 * and attester slashing it has received and validated (`proposer_slashing`, `attester_slashing`),
 * before any block includes it. A validated slashing cannot be withdrawn and any proposer may
 * include it, so the validator is as good as slashed from that moment: the signal is the one the
 * state flag gives later (never resolved), with the event as its source. The monitor sees the same
 * slashings in blocks and in the state an epoch or two later; the stream only makes it sooner.
 */
import { isoNow, type Clock } from "../registry/clock.js";
import type { BeaconEvent } from "../beacon/eventStream.js";
import type { RiskSignalsRepository } from "../store/riskSignals.js";
import type { ValidatorKeysRepository } from "../store/validatorKeys.js";
import { asObject, objectField, stringField, JsonFieldError } from "../util/jsonFields.js";
import { arrayField, asString, item } from "../util/jsonValues.js";
import type { RiskObservation } from "./signals.js";

export const SLASHING_TOPICS = ["proposer_slashing", "attester_slashing"] as const;

export interface SlashingEventsDependencies {
  readonly signals: RiskSignalsRepository;
  readonly keys: Pick<ValidatorKeysRepository, "findByIndices">;
  readonly clock: Clock;
}

export class SlashingEventSignals {
  constructor(private readonly deps: SlashingEventsDependencies) {}

  /** Records the registered validators an event slashes; returns how many. Other topics are ignored. */
  async handle(event: BeaconEvent): Promise<number> {
    const indices = slashedBy(event);
    if (indices.length === 0) return 0;
    const observations: RiskObservation[] = (await this.deps.keys.findByIndices(indices)).map((key) => ({
      kind: "SLASHED_ON_CHAIN",
      pubkey: key.pubkey,
      validatorIndex: Number(key.validator_index),
      operatorId: key.operator_id,
      details: { source: "event-stream", topic: event.topic },
    }));
    await this.deps.signals.observe(observations, isoNow(this.deps.clock));
    return observations.length;
  }
}

/** The validators an event's slashing makes slashable; throws JsonFieldError on a malformed one. */
export function slashedBy(event: BeaconEvent): number[] {
  const data = asObject(event.data, "data");
  if (event.topic === "proposer_slashing") {
    const header = objectField(objectField(data, "signed_header_1", "data"), "message", "data.signed_header_1");
    return [uint(stringField(header, "proposer_index", "data.signed_header_1.message"), "data.signed_header_1.message.proposer_index")];
  }
  if (event.topic === "attester_slashing") {
    // Slashable are the validators in both attestations (the spec's process_attester_slashing).
    const indices = (key: string): Set<number> =>
      new Set(arrayField(objectField(data, key, "data"), "attesting_indices", `data.${key}`).map((v, i) => uint(asString(v, item(`data.${key}.attesting_indices`, i)), item(`data.${key}.attesting_indices`, i))));
    const first = indices("attestation_1");
    const second = indices("attestation_2");
    return [...first].filter((v) => second.has(v));
  }
  return [];
}

function uint(value: string, path: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || !Number.isSafeInteger(Number(value))) throw new JsonFieldError(path, `expected a validator index, got "${value.slice(0, 30)}"`);
  return Number(value);
}
