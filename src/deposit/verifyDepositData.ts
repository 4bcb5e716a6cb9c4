/**
 * Checks a deposit data file from any tool: the file-level rules (a non-empty JSON array, no pubkey
 * twice) here, the per-entry rules in checkDepositEntries.ts.
 *
 * No worker threads: signature checks dominate, and blst already spreads each batch over every
 * core (bench/deposits.ts measured a worker-thread split at the same speed as one thread).
 */
import { isJsonObject } from "../util/jsonFields.js";
import {
  checkDepositEntries,
  type DepositExpectations,
  type DepositProblem,
  type DepositProblemCode,
  type EntryCheckResult,
  type VerifiedDeposit,
} from "./checkDepositEntries.js";

export type { DepositExpectations, DepositProblem, DepositProblemCode, VerifiedDeposit } from "./checkDepositEntries.js";

export interface DepositVerification {
  readonly entries: number;
  readonly problems: readonly DepositProblem[];
  /** Entries, in file order, that passed every check. */
  readonly valid: readonly VerifiedDeposit[];
}

export function verifyDepositData(json: unknown, expectations: DepositExpectations): DepositVerification {
  const fileProblems = checkFile(json);
  if (fileProblems !== null) return fileProblems;
  const entries = json as readonly unknown[];
  return combine(entries, checkDepositEntries(entries, expectations));
}

/** Human form of a problem: `entry 3 (pubkey 8f2a…): signature: does not verify …`. */
export function formatDepositProblem(problem: DepositProblem): string {
  if (problem.entry < 0) return problem.message;
  const who = problem.pubkey === null ? `entry ${problem.entry}` : `entry ${problem.entry} (pubkey 0x${problem.pubkey.slice(0, 12)}…)`;
  return problem.field === null ? `${who}: ${problem.message}` : `${who}: ${problem.field}: ${problem.message}`;
}

function checkFile(json: unknown): DepositVerification | null {
  if (!Array.isArray(json)) return fileProblem("NOT_AN_ARRAY", "a deposit data file is a JSON array of deposits");
  if (json.length === 0) return fileProblem("EMPTY", "the file holds no deposits");
  return null;
}

/** Adds the one check that needs the whole file: duplicate pubkeys. */
function combine(entries: readonly unknown[], checked: EntryCheckResult): DepositVerification {
  const problems = [...checked.problems];
  const firstSeen = new Map<string, number>();
  const duplicates = new Set<number>();
  entries.forEach((raw, entry) => {
    if (!isJsonObject(raw) || typeof raw["pubkey"] !== "string") return;
    const pubkey = raw["pubkey"].toLowerCase();
    const earlier = firstSeen.get(pubkey);
    if (earlier === undefined) {
      firstSeen.set(pubkey, entry);
      return;
    }
    duplicates.add(entry);
    problems.push({ entry, pubkey, field: "pubkey", code: "DUPLICATE_PUBKEY", message: `the same pubkey is already entry ${earlier}` });
  });
  problems.sort((a, b) => a.entry - b.entry);
  const valid = checked.valid.filter((v) => !duplicates.has(v.entry));
  return { entries: entries.length, problems, valid };
}

function fileProblem(code: DepositProblemCode, message: string): DepositVerification {
  return { entries: 0, problems: [{ entry: -1, pubkey: null, field: null, code, message }], valid: [] };
}
