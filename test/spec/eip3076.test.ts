/**
 * EIP-3076 slashing protection against the public interchange tests (eth-clients/slashing-
 * protection-interchange-tests v5.3.0, pinned in test/fixtures/vectors, kept equal to
 * ../shared/vectors). Every case runs twice, once per import mode:
 * - minimal: every interchange imported in minimal form; each attempt must match `should_succeed`;
 * - complete: every interchange imported whole; each attempt must match `should_succeed_complete`.
 * A step imports its interchange (and must fail where `should_succeed` is false), then attempts its
 * blocks and then its attestations in order; an attempt that is safe is recorded as signed, so it
 * counts for the attempts after it (the suite's "process the blocks and attestations").
 * `contains_slashable_data` must equal "the import reported findings", in both modes.
 */
import { describe, expect, it } from "vitest";
import { InvalidInterchangeError, SlashingProtectionHistory, readInterchange, type ImportMode } from "../../src/risk/interchange/index.js";
import { sharedVectorFiles, sharedVectorText, vectorFiles, vectorText } from "../helpers/vectors.js";

const SUITE = "eip3076-interchange-tests/";
const CASES = "tests/generated/";
/** The v5.3.0 suite has 38 cases; a different count means the pinned copy changed. */
const EXPECTED_CASES = 38;

interface InterchangeTestCase {
  readonly name: string;
  readonly genesis_validators_root: string;
  readonly steps: readonly InterchangeTestStep[];
}

interface InterchangeTestStep {
  readonly should_succeed: boolean;
  readonly contains_slashable_data: boolean;
  readonly interchange: unknown;
  readonly blocks: readonly (Expectations & { readonly pubkey: string; readonly slot: string; readonly signing_root?: string })[];
  readonly attestations: readonly (Expectations & {
    readonly pubkey: string;
    readonly source_epoch: string;
    readonly target_epoch: string;
    readonly signing_root?: string;
  })[];
}

interface Expectations {
  readonly should_succeed: boolean;
  readonly should_succeed_complete: boolean;
}

const caseFiles = vectorFiles(SUITE).filter((path) => path.startsWith(CASES) && path.endsWith(".json"));
const cases = caseFiles.map((path) => ({ path, test: JSON.parse(vectorText(SUITE + path)) as InterchangeTestCase }));

describe("EIP-3076 interchange tests", () => {
  it("the vendored copy equals ../shared/vectors when that is present", () => {
    const vendored = vectorFiles(SUITE);
    expect(vendored).toContain("SOURCE.txt");
    expect(vendored).toContain("schema.json");
    const shared = sharedVectorFiles(SUITE);
    if (shared !== null) {
      expect(vendored).toEqual(shared);
      for (const path of vendored) expect(vectorText(SUITE + path), path).toBe(sharedVectorText(SUITE + path));
    }
  });

  it(`has exactly ${EXPECTED_CASES} cases, each named after its file`, () => {
    expect(cases.length).toBe(EXPECTED_CASES);
    for (const { path, test } of cases) expect(`${CASES}${test.name}.json`).toBe(path);
  });

  describe.each<ImportMode>(["minimal", "complete"])("%s import", (mode) => {
    it.each(cases.map(({ test }) => [test.name, test] as const))("%s", (_name, test) => runCase(test, mode));
  });
});

function runCase(test: InterchangeTestCase, mode: ImportMode): void {
  const history = new SlashingProtectionHistory({ genesisValidatorsRoot: test.genesis_validators_root });
  const expected = (e: Expectations): boolean => (mode === "minimal" ? e.should_succeed : e.should_succeed_complete);
  test.steps.forEach((step, i) => {
    const importStep = () => history.import(readInterchange(step.interchange), { mode });
    if (step.should_succeed) {
      const report = importStep();
      expect(report.findings.length > 0, `step ${i}: contains_slashable_data`).toBe(step.contains_slashable_data);
    } else {
      expect(importStep, `step ${i}: import must fail`).toThrow(InvalidInterchangeError);
    }
    step.blocks.forEach((block, j) => {
      const verdict = history.recordBlock(block.pubkey, BigInt(block.slot), block.signing_root);
      expect(verdict.safe, `step ${i} block ${j}: slot ${block.slot} (${describeVerdict(verdict)})`).toBe(expected(block));
    });
    step.attestations.forEach((attestation, j) => {
      const verdict = history.recordAttestation(
        attestation.pubkey,
        BigInt(attestation.source_epoch),
        BigInt(attestation.target_epoch),
        attestation.signing_root,
      );
      const what = `${attestation.source_epoch}→${attestation.target_epoch}`;
      expect(verdict.safe, `step ${i} attestation ${j}: ${what} (${describeVerdict(verdict)})`).toBe(expected(attestation));
    });
  });
}

function describeVerdict(verdict: { safe: true; repeat: boolean } | { safe: false; message: string }): string {
  return verdict.safe ? (verdict.repeat ? "safe, repeat" : "safe") : verdict.message;
}
