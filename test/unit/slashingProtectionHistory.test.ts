/** The in-memory EIP-3076 history: verdicts and their reasons, both import modes, export, import findings. */
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import {
  InvalidInterchangeError,
  SlashingProtectionHistory,
  mergeInterchanges,
  minifyInterchange,
  parseInterchangeJson,
  serializeInterchange,
  type Interchange,
  type InterchangeRecord,
} from "../../src/risk/interchange/index.js";

const GVR = `0x${"04".repeat(32)}`;
const KEY = `0x${"a1".repeat(48)}`;
const OTHER_KEY = `0x${"b2".repeat(48)}`;
const R1 = `0x${"11".repeat(32)}`;
const R2 = `0x${"22".repeat(32)}`;
const ZERO = `0x${"00".repeat(32)}`;

const interchange = (...data: InterchangeRecord[]): Interchange => ({ genesisValidatorsRoot: GVR, data });
const blocks = (...slots: (number | [number, string])[]) =>
  slots.map((s) => (typeof s === "number" ? { slot: BigInt(s) } : { slot: BigInt(s[0]), signingRoot: s[1] }));
const attestations = (...pairs: ([number, number] | [number, number, string])[]) =>
  pairs.map(([source, target, signingRoot]) => ({
    sourceEpoch: BigInt(source),
    targetEpoch: BigInt(target),
    ...(signingRoot === undefined ? {} : { signingRoot }),
  }));
const record = (pubkey: string, b: ReturnType<typeof blocks>, a: ReturnType<typeof attestations> = []): InterchangeRecord => ({
  pubkey,
  signedBlocks: b,
  signedAttestations: a,
});

function historyWith(mode: "minimal" | "complete", ...data: InterchangeRecord[]): SlashingProtectionHistory {
  const history = new SlashingProtectionHistory({ genesisValidatorsRoot: GVR });
  history.import(interchange(...data), { mode });
  return history;
}

const reasonOf = (verdict: { safe: true; repeat: boolean } | { safe: false; reason: string }): string =>
  verdict.safe ? (verdict.repeat ? "repeat" : "safe") : verdict.reason;

describe("block verdicts, complete history", () => {
  const history = historyWith("complete", record(KEY, blocks([10, R1], 20)));

  it.each([
    // [slot, signing root, verdict]
    [21, R1, "safe"],
    [15, R1, "safe"], // complete: between two signed blocks, nothing was signed at 15
    [10, R1, "repeat"], // the same block again: no new evidence
    [10, R2, "double-proposal"],
    [10, undefined, "double-proposal"], // unknown root: cannot prove it is the same block
    [20, R1, "double-proposal"], // the block at 20 has no known root
    [9, R1, "below-watermark"], // condition (2): at or below the lowest signed slot
  ] as const)("slot %s with root %s: %s", (slot, root, expected) => {
    expect(reasonOf(history.checkBlock(KEY, slot, root))).toBe(expected);
  });

  it("names the block a refusal conflicts with, and the watermark", () => {
    expect(history.checkBlock(KEY, 10, R2)).toMatchObject({ reason: "double-proposal", conflictsWith: { slot: 10n, signingRoot: R1 } });
    expect(history.checkBlock(KEY, 3)).toMatchObject({ reason: "below-watermark", field: "slot", watermark: 10n });
  });

  it("answers safe for a key it has never seen", () => {
    expect(history.checkBlock(OTHER_KEY, 0)).toEqual({ safe: true, repeat: false });
  });
});

describe("attestation verdicts, complete history", () => {
  const history = historyWith("complete", record(KEY, [], attestations([10, 20, R1], [12, 15])));

  it.each([
    // [source, target, signing root, verdict]
    [20, 21, R1, "safe"],
    [10, 20, R1, "repeat"],
    [11, 20, R1, "double-vote"], // same target, other source: the root cannot be the same message
    [10, 20, R2, "double-vote"],
    [12, 15, undefined, "double-vote"], // the signed one has no known root
    [9, 21, R1, "surrounding"], // 9→21 surrounds 10→20
    [13, 14, R1, "surrounded"], // inside 10→20 and 12→15
    [5, 4, R1, "source-after-target"],
    [9, 12, R1, "below-watermark"], // condition (4): source below the lowest source, 10
    [10, 14, R1, "below-watermark"], // condition (5): target at or below the lowest target, 15
    [12, 21, R1, "safe"], // sharing a source with 12→15 is not surrounding it
  ] as const)("%s→%s with root %s: %s", (source, target, root, expected) => {
    expect(reasonOf(history.checkAttestation(KEY, source, target, root))).toBe(expected);
  });

  it("says which watermark a refusal is about", () => {
    expect(history.checkAttestation(KEY, 9, 12)).toMatchObject({ reason: "below-watermark", field: "source", watermark: 10n });
    expect(history.checkAttestation(KEY, 10, 14)).toMatchObject({ reason: "below-watermark", field: "target", watermark: 15n });
    expect(history.checkAttestation(KEY, 9, 21)).toMatchObject({ reason: "surrounding", conflictsWith: { sourceEpoch: 10n, targetEpoch: 20n } });
  });
});

describe("minimal import", () => {
  it("keeps only the highest slot, source and target, so everything not above them is refused", () => {
    const history = historyWith("minimal", record(KEY, blocks([10, R1], [20, R2]), attestations([1, 2], [3, 4, R1])));
    expect(reasonOf(history.checkBlock(KEY, 15))).toBe("below-watermark");
    // The watermark is a signed block without a root: nothing at its slot is a repeat.
    expect(reasonOf(history.checkBlock(KEY, 20, R2))).toBe("double-proposal");
    expect(reasonOf(history.checkBlock(KEY, 21))).toBe("safe");
    expect(reasonOf(history.checkAttestation(KEY, 3, 4, R1))).toBe("double-vote");
    // Earlier source, later target than the highest ones: surrounds the attestation with source 3.
    expect(reasonOf(history.checkAttestation(KEY, 2, 5))).toBe("surrounding");
    expect(reasonOf(history.checkAttestation(KEY, 3, 5))).toBe("safe");
  });

  it("merges with what the key had by maximum: a stale file lowers nothing", () => {
    const history = historyWith("minimal", record(KEY, blocks(100), attestations([12, 13])));
    history.import(interchange(record(KEY, blocks(2), attestations([4, 5]))), { mode: "minimal" });
    expect(reasonOf(history.checkBlock(KEY, 50))).toBe("below-watermark");
    expect(reasonOf(history.checkAttestation(KEY, 11, 14))).toBe("surrounding");
    expect(reasonOf(history.checkAttestation(KEY, 12, 13))).toBe("double-vote");
    expect(reasonOf(history.checkAttestation(KEY, 12, 14))).toBe("safe");
  });

  it("folds what the key signed since into the watermark", () => {
    const history = historyWith("minimal", record(KEY, blocks(0)));
    for (const slot of [10, 20, 30]) expect(history.recordBlock(KEY, slot, R1).safe).toBe(true);
    history.import(interchange(record(KEY, blocks(20))), { mode: "minimal" });
    expect(reasonOf(history.checkBlock(KEY, 29))).toBe("below-watermark");
    expect(reasonOf(history.checkBlock(KEY, 31))).toBe("safe");
  });
});

describe("recording what gets signed", () => {
  it("records a safe block and refuses a second one at the same slot", () => {
    const history = new SlashingProtectionHistory({ genesisValidatorsRoot: GVR });
    expect(history.recordBlock(KEY, 5n, R1)).toEqual({ safe: true, repeat: false });
    expect(history.recordBlock(KEY, 5n, R1)).toEqual({ safe: true, repeat: true });
    expect(reasonOf(history.recordBlock(KEY, 5n, R2))).toBe("double-proposal");
    expect(history.export().data).toEqual([record(KEY, blocks([5, R1]))]);
  });

  it("does not record a refused attestation", () => {
    const history = historyWith("complete", record(KEY, [], attestations([10, 20])));
    expect(reasonOf(history.recordAttestation(KEY, 9, 21))).toBe("surrounding");
    expect(history.export().data).toEqual([record(KEY, [], attestations([10, 20]))]);
  });

  it("takes numbers or bigints and refuses keys, roots and epochs that are not well formed", () => {
    const history = new SlashingProtectionHistory({ genesisValidatorsRoot: GVR });
    expect(history.recordAttestation(KEY.toUpperCase().replace("0X", "0x"), 1, 2n).safe).toBe(true);
    expect(reasonOf(history.checkAttestation(KEY, 1, 2))).toBe("double-vote"); // the key was stored in lower case
    expect(() => history.checkBlock("0x1234", 1)).toThrow(InputError);
    expect(() => history.checkBlock(KEY, 1, "0x11")).toThrow(InputError);
    expect(() => history.checkBlock(KEY, -1)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => history.checkAttestation(KEY, 1.5, 2)).toThrow(InputError);
    expect(() => new SlashingProtectionHistory({ genesisValidatorsRoot: "0x00" })).toThrow(InputError);
  });
});

describe("importing", () => {
  it("refuses another chain's interchange and changes nothing", () => {
    const history = historyWith("complete", record(KEY, blocks(1)));
    const before = history.export();
    const foreign = { ...interchange(record(KEY, blocks(0))), genesisValidatorsRoot: `0x${"05".repeat(32)}` };
    expect(() => history.import(foreign, { mode: "complete" })).toThrow(InvalidInterchangeError);
    expect(() => history.import(foreign, { mode: "complete" })).toThrow(expect.objectContaining({ code: "INTERCHANGE_CHAIN_MISMATCH" }));
    expect(history.export()).toEqual(before);
  });

  it("reads an imported zero signing root as unknown (the EIP's allowed stand-in), never as a repeat", () => {
    const history = historyWith("complete", record(KEY, blocks([10, ZERO]), attestations([1, 2, ZERO])));
    expect(reasonOf(history.checkBlock(KEY, 10, ZERO))).toBe("double-proposal");
    expect(reasonOf(history.checkAttestation(KEY, 1, 2, ZERO))).toBe("double-vote");
  });

  it.each([
    // [case, history before (complete), file, reasons found]
    ["a clean continuation", [record(KEY, blocks(40), attestations([2, 30]))], record(KEY, blocks(50), attestations([10, 50])), []],
    ["the same file again, with roots: idempotent", [record(KEY, blocks([40, R1]), attestations([2, 30, R1]))], record(KEY, blocks([40, R1]), attestations([2, 30, R1])), []],
    ["the same file again, without roots", [record(KEY, blocks(40), attestations([2, 30]))], record(KEY, blocks(40), attestations([2, 30])), ["double-proposal", "double-vote"]],
    ["an older file after a newer one", [record(KEY, blocks(40), attestations([12, 13]))], record(KEY, blocks(20), attestations([4, 5])), ["below-watermark", "below-watermark"]],
    ["a file that is slashable in itself", [], record(KEY, blocks([10, R1], [10, R2]), attestations([0, 4], [2, 3], [9, 8])), ["double-proposal", "double-proposal", "surrounding", "surrounded", "source-after-target"]],
    ["a file surrounding the history", [record(KEY, [], attestations([10, 20]))], record(KEY, [], attestations([9, 21])), ["surrounding"]],
  ] as const)("reports %s", (_case, before, file, reasons) => {
    const history = historyWith("complete", ...before);
    const report = history.import(interchange(file), { mode: "complete" });
    expect(report.findings.map((finding) => finding.refusal.reason)).toEqual(reasons);
    expect(report.pubkeys).toEqual([KEY]);
  });

  it("judges a second import of the very same object like any other file", () => {
    const file = interchange(record(KEY, blocks(40, [41, R1]), attestations([2, 30])));
    const history = new SlashingProtectionHistory({ genesisValidatorsRoot: GVR });
    expect(history.import(file, { mode: "complete" }).findings).toEqual([]);
    const again = history.import(file, { mode: "complete" }).findings.map((finding) => finding.refusal.reason);
    expect(again).toEqual(["double-proposal", "double-vote"]); // the root-less ones; 41 with its root is a repeat
  });

  it("imports slashable data all the same: it is what the key signed", () => {
    const history = new SlashingProtectionHistory({ genesisValidatorsRoot: GVR });
    const report = history.import(interchange(record(KEY, [], attestations([0, 4], [2, 3]))), { mode: "complete" });
    expect(report.findings).toHaveLength(2);
    expect(reasonOf(history.checkAttestation(KEY, 1, 3))).toBe("double-vote");
    expect(reasonOf(history.checkAttestation(KEY, 1, 5))).toBe("surrounding");
  });
});

describe("exporting", () => {
  const file = interchange(
    record(KEY, blocks([10, R1], 20, [10, R2]), attestations([1, 2, R1], [0, 3], [2, 4])),
    record(OTHER_KEY, [], attestations([5, 6, R2])),
    record(KEY, blocks(15), []),
  );

  it("a complete import exports as the merged file", () => {
    expect(historyWith("complete", ...file.data).export()).toEqual(mergeInterchanges([file]));
  });

  it("a minimal import exports as the minified file", () => {
    expect(historyWith("minimal", ...file.data).export()).toEqual(minifyInterchange(file));
  });

  it("survives writing to JSON and reading back", () => {
    const exported = historyWith("complete", ...file.data).export();
    expect(parseInterchangeJson(serializeInterchange(exported, 2))).toEqual(exported);
  });

  /**
   * Minimal then complete imports into one key leave a watermark and messages below it; the
   * export must let a fresh complete importer refuse exactly what this history refuses.
   */
  it.each([
    ["minimal only", [["minimal", record(KEY, blocks(20, 5), attestations([10, 20], [3, 25]))]]],
    ["complete only", [["complete", record(KEY, blocks(20, 5, 30), attestations([10, 20], [12, 15], [3, 25]))]]],
    [
      "minimal, then older and newer complete data",
      [
        ["minimal", record(KEY, blocks(20), attestations([10, 20]))],
        ["complete", record(KEY, blocks(5, 25, 30), attestations([15, 18], [12, 25], [2, 3], [21, 22]))],
      ],
    ],
    [
      "complete, then minimal",
      [
        ["complete", record(KEY, blocks(5, 25), attestations([15, 18], [12, 25]))],
        ["minimal", record(KEY, blocks(20), attestations([10, 20]))],
      ],
    ],
  ] as const)("exports a history a fresh importer reads the same way: %s", (_case, imports) => {
    const original = new SlashingProtectionHistory({ genesisValidatorsRoot: GVR });
    for (const [mode, data] of imports) original.import(interchange(data), { mode });
    const copy = new SlashingProtectionHistory({ genesisValidatorsRoot: GVR });
    copy.import(parseInterchangeJson(serializeInterchange(original.export())), { mode: "complete" });
    for (let slot = 0; slot <= 35; slot++) {
      expect(copy.checkBlock(KEY, slot).safe, `slot ${slot}`).toBe(original.checkBlock(KEY, slot).safe);
    }
    for (let source = 0; source <= 30; source++) {
      for (let target = 0; target <= 30; target++) {
        const expected = original.checkAttestation(KEY, source, target).safe;
        expect(copy.checkAttestation(KEY, source, target).safe, `${source}→${target}`).toBe(expected);
      }
    }
  });
});
