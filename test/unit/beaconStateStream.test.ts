/**
 * The SSZ state over HTTP, with faults the real world has: a node that answers JSON to an SSZ
 * request, a body cut mid-way, a second node that is healthy; and nodes of different chains.
 */
import { ssz } from "@lodestar/types";
import { describe, expect, it } from "vitest";
import { BeaconClient } from "../../src/beacon/beaconClient.js";
import { parseChainSpec } from "../../src/beacon/chainSpec.js";
import { stateLayout } from "../../src/beacon/stateLayout.js";
import { json, useFakeServers } from "../helpers/fakeServer.js";
import { mainnetSpecValues } from "../helpers/mainnetSpec.js";

const fake = useFakeServers();
const spec = parseChainSpec(mainnetSpecValues());
const layout = stateLayout("electra", spec);

function smallState(): Uint8Array {
  const value = ssz.electra.BeaconState.defaultValue();
  value.slot = 4242;
  for (let i = 0; i < 10; i++) {
    value.validators.push({ ...ssz.phase0.Validator.defaultValue(), pubkey: new Uint8Array(48).fill(i + 1), effectiveBalance: 32e9, exitEpoch: Infinity, withdrawableEpoch: Infinity });
    value.balances.push(32e9 + i);
    value.previousEpochParticipation.push(7);
    value.currentEpochParticipation.push(0);
    value.inactivityScores.push(0);
  }
  return ssz.electra.BeaconState.serialize(value);
}

describe("SSZ state over HTTP", () => {
  it("streams the state with Accept: application/octet-stream and decodes it", async () => {
    const bytes = smallState();
    const node = await fake((_req, res) => void res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(bytes.length) }).end(bytes));
    const snapshot = await new BeaconClient({ urls: [node.url] }).getStateSnapshot(4242, { layout });
    expect(snapshot?.slot).toBe(4242);
    expect([...(snapshot?.balance ?? [])].at(-1)).toBe(32e9 + 9);
    expect(node.requests[0]).toMatchObject({ path: "/eth/v2/debug/beacon/states/4242", headers: expect.objectContaining({ accept: "application/octet-stream" }) });
  });

  it("a node that answers JSON instead of SSZ counts as not serving it: null, for the JSON fallback", async () => {
    const node = await fake((_req, res) => json(res, 200, { version: "electra", data: {} }));
    await expect(new BeaconClient({ urls: [node.url] }).getStateSnapshot(1, { layout })).resolves.toBeNull();
  });

  it("a body cut mid-way is retried on the next node; the healthy node's state is used", async () => {
    const bytes = smallState();
    const cutting = await fake((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(bytes.length) });
      res.write(bytes.subarray(0, 5_000));
      setTimeout(() => res.destroy(), 20);
    });
    const healthy = await fake((_req, res) => void res.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes));
    const client = new BeaconClient({ urls: [cutting.url, healthy.url], backoffMs: 1 });
    const snapshot = await client.getStateSnapshot(4242, { layout });
    expect(snapshot?.validatorCount).toBe(10);
    expect(client.nodeHealth().find((n) => n.node === cutting.label)).toMatchObject({ consecutiveFailures: 1, lastError: { code: "BEACON_UNREACHABLE" } });
  });

  it("a cut body on the only node fails as transient (unreachable), not as a malformed state", async () => {
    const bytes = smallState();
    const cutting = await fake((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(bytes.length) });
      res.write(bytes.subarray(0, 5_000));
      setTimeout(() => res.destroy(), 20);
    });
    await expect(new BeaconClient({ urls: [cutting.url], retries: 1, backoffMs: 1 }).getStateSnapshot(1, { layout })).rejects.toMatchObject({ code: "BEACON_UNREACHABLE" });
    expect(cutting.requests).toHaveLength(2);
  });

  it("a state that is not a BeaconState of this fork is a bad answer, naming the node", async () => {
    const node = await fake((_req, res) => void res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.alloc(layout.fixedPartSize + 100, 1)));
    await expect(new BeaconClient({ urls: [node.url] }).getStateSnapshot(1, { layout })).rejects.toMatchObject({
      code: "BEACON_BAD_RESPONSE",
      message: expect.stringContaining(node.label),
    });
  });
});

describe("several nodes must follow one chain", () => {
  const genesis = (root: string) => ({ data: { genesis_time: "1606824023", genesis_validators_root: root, genesis_fork_version: "0x00000000" } });

  it("refuses nodes whose genesis differs", async () => {
    const a = await fake((_req, res) => json(res, 200, genesis(`0x${"aa".repeat(32)}`)));
    const b = await fake((_req, res) => json(res, 200, genesis(`0x${"bb".repeat(32)}`)));
    await expect(new BeaconClient({ urls: [a.url, b.url] }).checkSameChain()).rejects.toMatchObject({
      code: "BEACON_CHAINS_DIFFER",
      message: expect.stringMatching(/follow different chains.*fix BEACON_NODE_URLS/),
    });
  });

  it("accepts nodes of one chain, and reports one that does not answer", async () => {
    const a = await fake((_req, res) => json(res, 200, genesis(`0x${"aa".repeat(32)}`)));
    const b = await fake((_req, res) => json(res, 200, genesis(`0x${"aa".repeat(32)}`)));
    const down = await fake((_req, res) => json(res, 503, { code: 503, message: "down" }));
    const report = await new BeaconClient({ urls: [a.url, b.url, down.url] }).checkSameChain();
    expect(report.unreachable).toEqual([down.label]);
    expect(report.genesis?.genesisValidatorsRoot).toBe(`0x${"aa".repeat(32)}`);
  });
});
