import { ssz } from "@lodestar/types";
import { describe, expect, it } from "vitest";
import { FORKS, parseChainSpec, type ForkName } from "../../src/beacon/chainSpec.js";
import { stateLayout } from "../../src/beacon/stateLayout.js";
import { FAR_FUTURE, StateReader, type StateSnapshot } from "../../src/beacon/stateReader.js";
import { mainnetSpecValues } from "../helpers/mainnetSpec.js";

const spec = parseChainSpec(mainnetSpecValues({ FULU: 0 }));
const FORKS_WITH_FLAGS = FORKS.filter((f) => f !== "phase0");

/** A small PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

interface Built {
  readonly bytes: Uint8Array;
  readonly pubkeys: string[];
  readonly value: ReturnType<typeof ssz.electra.BeaconState.defaultValue>;
}

/** A state of `fork` with `n` random validators, serialized by @lodestar/types itself. */
function buildState(fork: ForkName, n: number, seed: number): Built {
  const random = prng(seed);
  const type = ssz[fork as "electra"].BeaconState;
  const value = type.defaultValue();
  const int = (max: number): number => Math.floor(random() * max);
  value.slot = 123_456 + int(1000);
  value.genesisValidatorsRoot = Uint8Array.from({ length: 32 }, () => int(256));
  value.finalizedCheckpoint = { epoch: 3_000 + int(10), root: new Uint8Array(32) };
  value.currentJustifiedCheckpoint = { epoch: 3_010 + int(10), root: new Uint8Array(32) };
  const pubkeys: string[] = [];
  for (let i = 0; i < n; i++) {
    const pubkey = Uint8Array.from({ length: 48 }, () => int(256));
    pubkeys.push(`0x${Buffer.from(pubkey).toString("hex")}`);
    const epochOrFar = (): number => (random() < 0.3 ? Infinity : int(2 ** 32 - 2));
    const credentials = Uint8Array.from({ length: 32 }, () => int(256));
    credentials[0] = int(3);
    value.validators.push({
      pubkey,
      withdrawalCredentials: credentials,
      effectiveBalance: int(2048) * 1e9,
      slashed: random() < 0.1,
      activationEligibilityEpoch: epochOrFar(),
      activationEpoch: epochOrFar(),
      exitEpoch: epochOrFar(),
      withdrawableEpoch: epochOrFar(),
    });
    value.balances.push(Math.floor(random() * 2 ** 45));
    value.previousEpochParticipation.push(int(8));
    value.currentEpochParticipation.push(int(8));
    value.inactivityScores.push(random() < 0.8 ? 0 : int(2 ** 40));
  }
  if ("pendingPartialWithdrawals" in value) {
    for (let k = 0; k < 5; k++) value.pendingPartialWithdrawals.push({ validatorIndex: int(n), amount: 1_000_000_000n, withdrawableEpoch: 7 });
  }
  return { bytes: type.serialize(value), pubkeys, value };
}

function readInChunks(fork: ForkName, bytes: Uint8Array, chunkSizes: () => number, options: { wanted?: Set<string>; from?: number } = {}): StateSnapshot {
  const reader = new StateReader({
    layout: stateLayout(fork, spec),
    expectedLength: bytes.length,
    ...(options.wanted === undefined ? {} : { wantedPubkeys: options.wanted }),
    ...(options.from === undefined ? {} : { pubkeysFrom: options.from }),
  });
  for (let at = 0; at < bytes.length; ) {
    const size = Math.max(1, chunkSizes());
    // A fresh copy per chunk, as a socket delivers them: nothing may keep a view into the previous one.
    reader.push(bytes.slice(at, at + size));
    at += size;
  }
  return reader.finish();
}

describe("BeaconState layout", () => {
  it.each(FORKS)("%s: field positions are those of @lodestar/types' mainnet BeaconState", (fork) => {
    const layout = stateLayout(fork, spec);
    const theirs = ssz[fork].BeaconState.fieldsEntries;
    expect(layout.fields.length).toBe(theirs.length);
    let position = 0;
    theirs.forEach((entry, i) => {
      const ours = layout.fields[i];
      // Names differ only in case convention: snake_case on the wire and in the spec, camelCase in lodestar.
      expect(ours?.name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())).toBe(entry.fieldName);
      expect(ours?.fixedSize).toBe(entry.fieldType.fixedSize);
      expect(layout.fixedOffsets.get(ours?.name ?? "")).toBe(position);
      position += entry.fieldType.fixedSize ?? 4;
    });
    expect(layout.fixedPartSize).toBe(position);
  });
});

describe("StateReader", () => {
  it.each(FORKS_WITH_FLAGS)("%s: decodes what @lodestar/types serialized, whatever the chunking", (fork) => {
    const built = buildState(fork, 257, 42 + FORKS.indexOf(fork));
    const random = prng(7);
    for (const chunking of [() => 65_536, () => 1 + Math.floor(random() * 700), () => 121 * 3 + 5]) {
      const s = readInChunks(fork, built.bytes, chunking);
      const v = built.value;
      expect(s.fork).toBe(fork);
      expect(s.slot).toBe(v.slot);
      expect(s.genesisValidatorsRoot).toBe(`0x${Buffer.from(v.genesisValidatorsRoot).toString("hex")}`);
      expect(s.finalizedEpoch).toBe(v.finalizedCheckpoint.epoch);
      expect(s.currentJustifiedEpoch).toBe(v.currentJustifiedCheckpoint.epoch);
      expect(s.validatorCount).toBe(257);
      const epoch = (e: number): number => (e === Infinity ? FAR_FUTURE : e);
      v.validators.forEach((validator, i) => {
        expect(s.effectiveBalance[i]).toBe(validator.effectiveBalance);
        expect(s.slashed[i]).toBe(validator.slashed ? 1 : 0);
        expect(s.credentialType[i]).toBe(validator.withdrawalCredentials[0]);
        expect(s.activationEligibilityEpoch[i]).toBe(epoch(validator.activationEligibilityEpoch));
        expect(s.activationEpoch[i]).toBe(epoch(validator.activationEpoch));
        expect(s.exitEpoch[i]).toBe(epoch(validator.exitEpoch));
        expect(s.withdrawableEpoch[i]).toBe(epoch(validator.withdrawableEpoch));
      });
      expect([...s.balance]).toEqual(v.balances);
      expect([...s.previousParticipation]).toEqual(v.previousEpochParticipation);
      expect([...s.currentParticipation]).toEqual(v.currentEpochParticipation);
      expect([...s.inactivityScores]).toEqual(v.inactivityScores);
      const partial = "pendingPartialWithdrawals" in v ? v.pendingPartialWithdrawals.map((p) => p.validatorIndex) : [];
      expect([...s.pendingPartialWithdrawals].sort()).toEqual([...new Set(partial)].sort());
    }
  });

  it("finds the indices of asked-for pubkeys, only from the given index on", () => {
    const built = buildState("electra", 100, 5);
    const wanted = new Set([built.pubkeys[3] as string, built.pubkeys[70] as string, built.pubkeys[99] as string, `0x${"ab".repeat(48)}`]);
    const s = readInChunks("electra", built.bytes, () => 1000, { wanted, from: 50 });
    expect(new Map(s.foundPubkeys)).toEqual(new Map([[built.pubkeys[70], 70], [built.pubkeys[99], 99]]));
  });

  it("reads FAR_FUTURE_EPOCH and other epochs beyond 32 bits as FAR_FUTURE", () => {
    const built = buildState("deneb", 3, 9);
    built.value.validators[1] = { ...built.value.validators[1]!, exitEpoch: Infinity, activationEpoch: 2 ** 40 };
    const bytes = ssz.deneb.BeaconState.serialize(built.value);
    const s = readInChunks("deneb", bytes, () => 4096);
    expect(s.exitEpoch[1]).toBe(FAR_FUTURE);
    expect(s.activationEpoch[1]).toBe(FAR_FUTURE);
  });

  it("refuses a state that ends early, naming how far it got", () => {
    const built = buildState("capella", 50, 11);
    // Inside the fixed part, and inside the validators (a list the reader decodes).
    for (const cut of [100, stateLayout("capella", spec).fixedPartSize + 121 * 10 + 3]) {
      const reader = new StateReader({ layout: stateLayout("capella", spec) });
      reader.push(built.bytes.slice(0, cut));
      expect(() => reader.finish()).toThrow(expect.objectContaining({ code: "STATE_TRUNCATED" }));
    }
    const withLength = new StateReader({ layout: stateLayout("capella", spec), expectedLength: built.bytes.length });
    withLength.push(built.bytes.slice(0, built.bytes.length - 1));
    expect(() => withLength.finish()).toThrow(/ended after \d+ of \d+ bytes/);
  });

  it("refuses a state read with the wrong fork's layout instead of misreading it", () => {
    const built = buildState("capella", 20, 13);
    const reader = new StateReader({ layout: stateLayout("electra", spec), expectedLength: built.bytes.length });
    expect(() => reader.push(built.bytes)).toThrow(expect.objectContaining({ code: "STATE_MALFORMED", message: expect.stringMatching(/wrong fork or preset/) }));
  });

  it("refuses phase0, which has no participation flags", () => {
    expect(() => new StateReader({ layout: stateLayout("phase0", spec) })).toThrow(expect.objectContaining({ code: "STATE_UNSUPPORTED_FORK" }));
  });
});
