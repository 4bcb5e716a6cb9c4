/**
 * The Beacon API's identifiers, read the way a node reads them: state_id and block_id (head,
 * genesis, finalized, justified, a slot, a 0x root), epochs, validator ids (index or pubkey), and
 * request bodies. Anything malformed is a 400, anything unknown a 404, with the Beacon API's error body.
 */
import { epochOf, startSlotOf, type BlockHeader } from "./chainLayout.js";
import type { ChainModel } from "./chainModel.js";
import { indexOfSimulatedPubkey } from "./pubkeys.js";
import { ApiError } from "./router.js";

const UINT = /^(0|[1-9][0-9]*)$/;
const ROOT = /^0x[0-9a-fA-F]{64}$/;

export function parseUint(text: string, what: string): number {
  const value = Number(text);
  if (!UINT.test(text) || !Number.isSafeInteger(value)) throw new ApiError(400, `Invalid ${what}: ${JSON.stringify(text)}`);
  return value;
}

/** The slot of the state a state_id names. */
export function resolveStateSlot(model: ChainModel, stateId: string): number {
  const head = model.headSlot;
  switch (stateId) {
    case "head":
      return head;
    case "finalized":
      return startSlotOf(model.finality.finalizedEpoch(epochOf(head)));
    case "justified":
      return startSlotOf(model.finality.justifiedEpoch(epochOf(head)));
    case "genesis":
      throw new ApiError(404, `State not found: the simulator's history starts at slot ${model.anchorSlot}`);
  }
  if (ROOT.test(stateId)) {
    const slot = model.layout.slotOfStateRoot(stateId);
    if (slot === null || slot > head) throw new ApiError(404, `State not found: no state with root ${stateId}`);
    return slot;
  }
  if (!UINT.test(stateId)) throw new ApiError(400, `Invalid state ID: ${stateId}`);
  const slot = parseUint(stateId, "state ID");
  if (slot > head) throw new ApiError(404, `State not found: slot ${slot} is after the head (${head})`);
  if (slot < model.anchorSlot) throw new ApiError(404, `State not found: the simulator's history starts at slot ${model.anchorSlot}`);
  return slot;
}

export type BlockTarget = { readonly kind: "canonical"; readonly header: BlockHeader } | { readonly kind: "orphan"; readonly header: BlockHeader };

/** The block a block_id names: a canonical block at or before the head, or one a reorg replaced. */
export function resolveBlock(model: ChainModel, blockId: string): BlockTarget {
  const { layout } = model;
  const head = model.headSlot;
  const canonical = (slot: number): BlockTarget => {
    const header = layout.header(slot);
    if (header === null) throw new ApiError(404, `Block not found: no block at slot ${slot}`);
    return { kind: "canonical", header };
  };
  switch (blockId) {
    case "head":
      return canonical(layout.latestBlockSlot(head));
    case "finalized":
      return canonical(layout.latestBlockSlot(startSlotOf(model.finality.finalizedEpoch(epochOf(head)))));
    case "justified":
      return canonical(layout.latestBlockSlot(startSlotOf(model.finality.justifiedEpoch(epochOf(head)))));
    case "genesis":
      return { kind: "canonical", header: layout.genesisHeader() };
  }
  if (ROOT.test(blockId)) {
    const genesis = layout.genesisHeader();
    if (genesis.rootHex === blockId.toLowerCase()) return { kind: "canonical", header: genesis };
    const slot = layout.slotOfBlockRoot(blockId);
    if (slot !== null && slot <= head) return canonical(slot);
    const orphan = layout.orphan(blockId);
    if (orphan !== null) return { kind: "orphan", header: orphan };
    throw new ApiError(404, `Block not found: no block with root ${blockId}`);
  }
  if (!UINT.test(blockId)) throw new ApiError(400, `Invalid block ID: ${blockId}`);
  const slot = parseUint(blockId, "block ID");
  if (slot === 0) return { kind: "canonical", header: layout.genesisHeader() };
  if (slot > head) throw new ApiError(404, `Block not found: slot ${slot} is after the head (${head})`);
  if (slot < model.anchorSlot) throw new ApiError(404, `Block not found: the simulator's history starts at slot ${model.anchorSlot}`);
  return canonical(slot);
}

/** A validator id (decimal index or 0x pubkey) to an index in the registry; null when the state has no such validator. */
export function validatorIndexOf(model: ChainModel, id: string): number | null {
  if (id.startsWith("0x")) {
    if (!/^0x[0-9a-fA-F]{96}$/.test(id)) throw new ApiError(400, `Invalid validator ID: ${id}`);
    const index = indexOfSimulatedPubkey(id);
    return index !== null && index < model.validatorCount ? index : null;
  }
  const index = parseUint(id, "validator ID");
  return index < model.validatorCount ? index : null;
}

export function parseJsonBody(body: string): unknown {
  if (body.trim() === "") return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new ApiError(400, "Invalid JSON body");
  }
}

/** A JSON array of ids as strings (numbers tolerated, as some clients send them). */
export function stringArray(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ApiError(400, `${what} must be an array`);
  return value.map((item: unknown) => {
    if (typeof item === "string") return item;
    if (typeof item === "number" && Number.isSafeInteger(item) && item >= 0) return String(item);
    throw new ApiError(400, `${what} must hold strings`);
  });
}

/** Validator indices from ids; unknown validators are left out. Order kept, duplicates dropped. */
export function indicesOf(model: ChainModel, ids: readonly string[]): number[] {
  const seen = new Set<number>();
  for (const id of ids) {
    const index = validatorIndexOf(model, id);
    if (index !== null) seen.add(index);
  }
  return [...seen];
}
