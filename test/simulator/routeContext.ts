/**
 * What route handlers share: the model, the faults that show in answers, the per-slot caches of
 * answers that are expensive to build at mainnet size, and the server's behaviour options.
 */
import { ssz, type electra } from "@lodestar/types";
import { epochOf, startSlotOf } from "./chainLayout.js";
import type { ChainModel } from "./chainModel.js";
import { signedBlock } from "./blocks.js";
import type { SimulatorFaults } from "./faults.js";
import { Lru } from "./lru.js";
import { StateAssembler } from "./stateSsz.js";

/**
 * How proposer duties for a past epoch are answered: served (current nodes), or refused as older
 * Lodestar did ("Requested epoch X must equal current Y or next epoch Z") with 400 or 500.
 */
export type PastProposerDuties = "serve" | 400 | 500;

export interface RouteOptions {
  readonly pastProposerDuties: PastProposerDuties;
  /** States of at most this many validators are also served as JSON; bigger ones answer 406. */
  readonly maxJsonStateValidators: number;
  readonly version: string;
}

export class RouteContext {
  readonly states: StateAssembler;
  /** Signed voluntary exits received on the pool endpoint, as JSON values. */
  readonly voluntaryExits: unknown[] = [];
  private readonly blockCache = new Lru<number, electra.SignedBeaconBlock | null>(64);
  /** The committees endpoint's data array, as JSON text, per epoch (11 MB at 1.1M active validators). */
  private readonly committeeJson = new Lru<number, string>(3);

  constructor(
    readonly model: ChainModel,
    readonly faults: SimulatorFaults,
    readonly options: RouteOptions,
  ) {
    this.states = new StateAssembler(model);
    model.onChange((fromSlot) => this.blockCache.deleteWhere((slot) => slot >= fromSlot));
  }

  block(slot: number): electra.SignedBeaconBlock | null {
    return this.blockCache.get(slot, () => signedBlock(this.model, slot));
  }

  committeesJson(epoch: number, build: () => string): string {
    return this.committeeJson.get(epoch, build);
  }

  /** The `execution_optimistic` and `finalized` fields of an answer about `slot`. */
  meta(slot: number): { execution_optimistic: boolean; finalized: boolean } {
    const finalizedSlot = startSlotOf(this.model.finality.finalizedEpoch(epochOf(this.model.headSlot)));
    return { execution_optimistic: this.faults.optimistic, finalized: slot <= finalizedSlot };
  }

  blockType(): typeof ssz.electra.SignedBeaconBlock {
    // Fulu blocks are Electra blocks (same body); only the version label differs.
    return ssz.electra.SignedBeaconBlock;
  }
}

export const hex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString("hex")}`;
