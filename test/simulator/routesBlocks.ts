/** Blocks and headers: JSON always, SSZ for blocks when asked with Accept: application/octet-stream. */
import { ssz } from "@lodestar/types";
import { signedHeader } from "./blocks.js";
import type { BlockHeader } from "./chainLayout.js";
import { parseUint, resolveBlock } from "./identifiers.js";
import { hex, type RouteContext } from "./routeContext.js";
import { ApiError, json, type Reply, type Router, type SimRequest } from "./router.js";

export function wantsSsz(request: SimRequest): boolean {
  return (request.headers.accept ?? "").includes("application/octet-stream");
}

export function addBlockRoutes(router: Router, context: RouteContext): void {
  const { model } = context;

  const headerData = (header: BlockHeader, canonical: boolean): unknown => ({
    root: header.rootHex,
    canonical,
    header: ssz.phase0.SignedBeaconBlockHeader.toJson(signedHeader(model, header)),
  });

  router.add("GET", "/eth/v1/beacon/headers/{block_id}", ({ params }) => {
    const target = resolveBlock(model, params.block_id ?? "");
    const canonical = target.kind === "canonical";
    const meta = canonical ? context.meta(target.header.slot) : { execution_optimistic: context.faults.optimistic, finalized: false };
    return json({ ...meta, data: headerData(target.header, canonical) });
  });

  // The list form: the head's header, the canonical block of ?slot=, or the child of ?parent_root=.
  router.add("GET", "/eth/v1/beacon/headers", ({ query }) => {
    const slotText = query.get("slot");
    const parentRoot = query.get("parent_root")?.toLowerCase() ?? null;
    let header: BlockHeader | null = null;
    if (slotText !== null) {
      const slot = parseUint(slotText, "slot");
      if (slot >= model.anchorSlot && slot <= model.headSlot) header = model.layout.header(slot);
    } else if (parentRoot !== null) {
      const parentSlot = model.layout.slotOfBlockRoot(parentRoot);
      if (parentSlot !== null && parentSlot < model.headSlot) {
        const childSlot = model.layout.latestBlockSlot(model.headSlot);
        // The child is the first block after the parent: walk forward to it.
        for (let s = parentSlot + 1; s <= childSlot && header === null; s++) header = model.layout.header(s);
      }
    } else {
      header = resolveBlock(model, "head").header;
    }
    if (header !== null && parentRoot !== null && hex(header.parentRoot) !== parentRoot) header = null;
    return json({ ...context.meta(header?.slot ?? model.headSlot), data: header === null ? [] : [headerData(header, true)] });
  });

  router.add("GET", "/eth/v2/beacon/blocks/{block_id}", (request) => {
    const header = canonicalHeader(context, request.params.block_id ?? "");
    const block = context.block(header.slot);
    if (block === null) throw new ApiError(404, `Block not found: no block at slot ${header.slot}`);
    const version = model.fork;
    if (wantsSsz(request)) {
      const bytes = context.blockType().serialize(block);
      return sszReply(bytes, version);
    }
    return json({ version, ...context.meta(header.slot), data: context.blockType().toJson(block) }, { "eth-consensus-version": version });
  });

  router.add("GET", "/eth/v1/beacon/blocks/{block_id}/root", ({ params }) => {
    const header = canonicalHeader(context, params.block_id ?? "");
    return json({ ...context.meta(header.slot), data: { root: header.rootHex } });
  });

  router.add("GET", "/eth/v2/beacon/blocks/{block_id}/attestations", ({ params }) => {
    const header = canonicalHeader(context, params.block_id ?? "");
    const block = context.block(header.slot);
    if (block === null) throw new ApiError(404, `Block not found: no block at slot ${header.slot}`);
    const attestations = block.message.body.attestations.map((a) => ssz.electra.Attestation.toJson(a));
    return json({ version: model.fork, ...context.meta(header.slot), data: attestations }, { "eth-consensus-version": model.fork });
  });
}

/** Only canonical blocks have bodies here: a replaced block's root answers 404 on the block endpoints. */
function canonicalHeader(context: RouteContext, blockId: string): BlockHeader {
  const target = resolveBlock(context.model, blockId);
  if (target.kind !== "canonical") throw new ApiError(404, `Block not found: ${blockId} was reorged out`);
  return target.header;
}

export function sszReply(bytes: Uint8Array, version: string): Reply {
  return {
    status: 200,
    headers: { "eth-consensus-version": version },
    body: { kind: "bytes", segments: [bytes], length: bytes.length, contentType: "application/octet-stream" },
  };
}
