/**
 * Validator-facing endpoints: proposer and attester duties, liveness, attestation rewards, and the
 * voluntary exit pool (accepted and recorded only).
 */
import { ssz } from "@lodestar/types";
import { SLOTS_PER_EPOCH } from "./chainConfig.js";
import { startSlotOf } from "./chainLayout.js";
import { indicesOf, parseJsonBody, parseUint, stringArray } from "./identifiers.js";
import { simulatedPubkeyHex } from "./pubkeys.js";
import { hex, type RouteContext } from "./routeContext.js";
import { ApiError, json, type Router, type SimRequest } from "./router.js";
import { metaText, streamReply, textReply } from "./routesState.js";

export function addDutyRoutes(router: Router, context: RouteContext): void {
  const { model, faults } = context;

  /** Validator duties are refused while syncing, as nodes do. */
  const requireSynced = (): void => {
    if (faults.syncing) throw new ApiError(503, "Node is syncing");
  };
  const epochParam = (request: SimRequest): number => parseUint(request.params.epoch ?? "", "epoch");

  router.add("GET", "/eth/v1/validator/duties/proposer/{epoch}", (request) => {
    requireSynced();
    const epoch = epochParam(request);
    const current = model.headEpoch;
    const refusal = context.options.pastProposerDuties;
    const message = `Requested epoch ${epoch} must equal current ${current} or next epoch ${current + 1}`;
    if (epoch > current + 1) throw new ApiError(400, message);
    if (epoch < current && refusal !== "serve") throw new ApiError(refusal, message);
    if (epoch < model.anchorEpoch) throw new ApiError(404, `Epoch ${epoch} is before the simulator's history`);
    // The proposers of an epoch are fixed by the last block before it; with Fulu's lookahead, by the one an epoch earlier.
    const dependentSlot = startSlotOf(model.fork === "fulu" ? epoch - 1 : epoch) - 1;
    const data = Array.from({ length: SLOTS_PER_EPOCH }, (_, i) => {
      const slot = startSlotOf(epoch) + i;
      const index = model.proposer(slot);
      return { pubkey: simulatedPubkeyHex(index), validator_index: String(index), slot: String(slot) };
    });
    return json({ dependent_root: hex(model.layout.blockRootAt(dependentSlot)), execution_optimistic: faults.optimistic, data });
  });

  router.add("POST", "/eth/v1/validator/duties/attester/{epoch}", (request) => {
    requireSynced();
    const epoch = epochParam(request);
    if (epoch > model.headEpoch + 1) throw new ApiError(400, `Requested epoch ${epoch} is beyond the next epoch ${model.headEpoch + 1}`);
    if (epoch < model.anchorEpoch - 1) throw new ApiError(404, `Epoch ${epoch} is before the simulator's history`);
    const committees = model.committees(epoch);
    const data = indicesOf(model, stringArray(parseJsonBody(request.body), "body")).flatMap((index) => {
      const duty = committees.dutyOf(index);
      if (duty === null) return [];
      return [
        {
          pubkey: simulatedPubkeyHex(index),
          validator_index: String(index),
          committee_index: String(duty.committeeIndex),
          committee_length: String(duty.committeeLength),
          committees_at_slot: String(committees.committeesPerSlot),
          validator_committee_index: String(duty.positionInCommittee),
          slot: String(startSlotOf(epoch) + duty.slotOffset),
        },
      ];
    });
    return json({ dependent_root: hex(model.layout.blockRootAt(startSlotOf(epoch - 1) - 1)), execution_optimistic: faults.optimistic, data });
  });

  router.add("POST", "/eth/v1/validator/liveness/{epoch}", (request) => {
    const epoch = epochParam(request);
    if (epoch > model.headEpoch) throw new ApiError(400, `Epoch ${epoch} is after the current epoch ${model.headEpoch}`);
    if (epoch < model.anchorEpoch - 1) throw new ApiError(400, `Epoch ${epoch} is before the simulator's history`);
    const ids = stringArray(parseJsonBody(request.body), "body");
    const data = ids.map((id) => {
      const index = parseUint(id, "validator index");
      return { index: String(index), is_live: index < model.validatorCount && model.isLive(index, epoch) };
    });
    return json({ data });
  });

  router.add("POST", "/eth/v1/beacon/rewards/attestations/{epoch}", (request) => {
    const epoch = epochParam(request);
    // Rewards for an epoch's votes are settled by the transition at the end of the next epoch.
    const settledAt = startSlotOf(epoch + 2) - 1;
    if (model.headSlot < settledAt) throw new ApiError(400, `Attestation rewards of epoch ${epoch} are known once slot ${settledAt} is reached (head ${model.headSlot})`);
    if (epoch < model.anchorEpoch - 1) throw new ApiError(404, `Epoch ${epoch} is before the simulator's history`);
    const indices = indicesOf(model, stringArray(parseJsonBody(request.body), "body"));
    const answer = model.attestationRewards(epoch, indices);
    const ideal = answer.ideal.map(
      ({ effectiveBalance, deltas }) =>
        `{"effective_balance":"${effectiveBalance}","head":"${deltas.head}","target":"${deltas.target}","source":"${deltas.source}","inactivity":"0"}`,
    );
    const render = (i: number): string => {
      const item = answer.total[i];
      if (item === undefined) return "";
      const { index, deltas, inactivity } = item;
      return `{"validator_index":"${index}","head":"${deltas.head}","target":"${deltas.target}","source":"${deltas.source}","inactivity":"${inactivity === 0 ? 0 : -inactivity}"}`;
    };
    const head = `{${metaText(context.meta(settledAt))},"data":{"ideal_rewards":[${ideal.join(",")}],"total_rewards":[`;
    return streamReply(head, "]}}", answer.total.length, render);
  });

  router.add("POST", "/eth/v1/beacon/pool/voluntary_exits", (request) => {
    const body = parseJsonBody(request.body);
    try {
      ssz.phase0.SignedVoluntaryExit.fromJson(body);
    } catch (error) {
      throw new ApiError(400, `Invalid voluntary exit: ${error instanceof Error ? error.message : "malformed"}`);
    }
    context.voluntaryExits.push(body);
    return textReply("");
  });

  router.add("GET", "/eth/v1/beacon/pool/voluntary_exits", () => json({ data: context.voluntaryExits }));

}
