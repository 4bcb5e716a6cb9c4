/**
 * Per-entry checks of deposit data from any tool: shape and hex lengths, network, withdrawal
 * credentials, amount, both hash-tree roots and the BLS signature. verifyDepositData.ts adds the
 * file-level checks (array, emptiness, duplicate pubkeys).
 */
import { ssz } from "@lodestar/types";
import { toChecksumAddress } from "../chain/address.js";
import type { Network } from "../chain/networks.js";
import { knownNetwork, KNOWN_NETWORK_NAMES } from "../chain/networks.js";
import { computeSigningRootOfObjectRoot, depositDomain } from "../chain/signing.js";
import {
  decodeSignatureSet,
  signatureSetFault,
  verifySignatureSets,
  type DecodedSignatureSet,
  type SignatureSetFault,
} from "../crypto/bls.js";
import { toHex } from "../util/hex.js";
import { isJsonObject, type JsonObject } from "../util/jsonFields.js";
import { formatGweiAsEth } from "./amount.js";
import { amountProblem, withdrawalAddressOf, withdrawalTypeOf } from "./withdrawalCredentials.js";

export type DepositProblemCode =
  | "NOT_AN_ARRAY"
  | "EMPTY"
  | "ENTRY_NOT_OBJECT"
  | "FIELD_MISSING"
  | "FIELD_TYPE"
  | "HEX_INVALID"
  | "PUBKEY_INVALID"
  | "SIGNATURE_MALFORMED"
  | "SIGNATURE_INVALID"
  | "DEPOSIT_MESSAGE_ROOT_MISMATCH"
  | "DEPOSIT_DATA_ROOT_MISMATCH"
  | "FORK_VERSION_MISMATCH"
  | "NETWORK_NAME_MISMATCH"
  | "NETWORK_DISAGREES"
  | "WITHDRAWAL_CREDENTIALS_INVALID"
  | "WITHDRAWAL_CREDENTIALS_MISMATCH"
  | "AMOUNT_NOT_ALLOWED"
  | "AMOUNT_MISMATCH"
  | "DUPLICATE_PUBKEY";

export interface DepositProblem {
  /** 0-based position in the file; -1 for a problem with the file as a whole. */
  readonly entry: number;
  readonly pubkey: string | null;
  readonly field: string | null;
  readonly code: DepositProblemCode;
  readonly message: string;
}

export interface DepositExpectations {
  readonly network: Network;
  /** Expected 0x01/0x02 address: the credentials must pay out to it. */
  readonly withdrawalAddress?: Uint8Array;
  /** Expected credentials, byte for byte (stronger than an address: fixes the type too). */
  readonly withdrawalCredentials?: Uint8Array;
  /** Expected amount; without it the deposit CLI's amount rules apply. */
  readonly amountGwei?: number;
}

export interface EntryCheckResult {
  readonly problems: DepositProblem[];
  /** Entries, in file order, that passed every per-entry check. */
  readonly valid: VerifiedDeposit[];
}

export interface VerifiedDeposit {
  readonly entry: number;
  readonly pubkey: Uint8Array;
  readonly withdrawalCredentials: Uint8Array;
  readonly amountGwei: number;
  readonly signature: Uint8Array;
  readonly depositMessageRoot: Uint8Array;
  readonly depositDataRoot: Uint8Array;
}

/**
 * Signature sets are verified in batches of this size (blst spreads a batch over its thread pool;
 * larger batches amortize better, measured in bench/deposits.ts); a failed batch is re-checked one
 * by one to name the bad entries.
 */
const SIGNATURE_BATCH = 512;
const PUBKEY_INVALID_MESSAGE = "is not a valid BLS12-381 public key (not a point in the G1 subgroup, or infinity)";
const SIGNATURE_MALFORMED_MESSAGE = "is not a valid BLS12-381 signature (not a point in the G2 subgroup)";

const HEX_FIELDS = {
  pubkey: 48,
  withdrawal_credentials: 32,
  signature: 96,
  deposit_message_root: 32,
  deposit_data_root: 32,
  fork_version: 4,
} as const;
type HexField = keyof typeof HEX_FIELDS;

interface DecodedEntry {
  readonly entry: number;
  readonly hex: Readonly<Record<HexField, Uint8Array>>;
  readonly amount: number;
  readonly networkName: string;
}

interface PendingSignature {
  readonly decoded: DecodedEntry;
  /** Other checks already failed: the signature is still checked and reported, the entry is not valid. */
  readonly flawed: boolean;
  readonly decodedSet: DecodedSignatureSet;
  readonly depositMessageRoot: Uint8Array;
  readonly depositDataRoot: Uint8Array;
}

export function checkDepositEntries(entries: readonly unknown[], expectations: DepositExpectations): EntryCheckResult {
  const problems: DepositProblem[] = [];
  const domain = depositDomain(expectations.network.genesisForkVersion);
  const pending: PendingSignature[] = [];

  entries.forEach((raw: unknown, entry) => {
    const report = (code: DepositProblemCode, field: string | null, message: string, pubkey: string | null): void => {
      problems.push({ entry, pubkey, field, code, message });
    };
    const decoded = decodeEntry(raw, entry, report);
    if (decoded === null) return;
    const pubkeyHex = toHex(decoded.hex.pubkey);
    const before = problems.length;
    const say = (code: DepositProblemCode, field: string | null, message: string): void =>
      report(code, field, message, pubkeyHex);

    checkNetwork(decoded, expectations.network, say);
    checkWithdrawal(decoded, expectations, say);

    const message = {
      pubkey: decoded.hex.pubkey,
      withdrawalCredentials: decoded.hex.withdrawal_credentials,
      amount: decoded.amount,
    };
    const depositMessageRoot = ssz.phase0.DepositMessage.hashTreeRoot(message);
    if (!equalBytes(depositMessageRoot, decoded.hex.deposit_message_root)) {
      say(
        "DEPOSIT_MESSAGE_ROOT_MISMATCH",
        "deposit_message_root",
        `is ${toHex(decoded.hex.deposit_message_root)} but pubkey, withdrawal_credentials and amount hash to ${toHex(depositMessageRoot)}`,
      );
    }
    const depositDataRoot = ssz.phase0.DepositData.hashTreeRoot({ ...message, signature: decoded.hex.signature });
    if (!equalBytes(depositDataRoot, decoded.hex.deposit_data_root)) {
      say(
        "DEPOSIT_DATA_ROOT_MISMATCH",
        "deposit_data_root",
        `is ${toHex(decoded.hex.deposit_data_root)} but the deposit hashes to ${toHex(depositDataRoot)}`,
      );
    }

    const decodedSet = decodeSignatureSet({
      pubkey: decoded.hex.pubkey,
      message: computeSigningRootOfObjectRoot(depositMessageRoot, domain),
      signature: decoded.hex.signature,
    });
    if (decodedSet === "PUBKEY_INVALID") return say("PUBKEY_INVALID", "pubkey", PUBKEY_INVALID_MESSAGE);
    if (decodedSet === "SIGNATURE_MALFORMED") return say("SIGNATURE_MALFORMED", "signature", SIGNATURE_MALFORMED_MESSAGE);
    pending.push({ decoded, flawed: problems.length > before, decodedSet, depositMessageRoot, depositDataRoot });
  });

  const faults = signatureFaults(pending.map((p) => p.decodedSet));
  const valid: VerifiedDeposit[] = [];
  pending.forEach((p, i) => {
    const fault = faults[i] ?? null;
    if (fault !== null) {
      problems.push({
        entry: p.decoded.entry,
        pubkey: toHex(p.decoded.hex.pubkey),
        field: fault === "PUBKEY_INVALID" ? "pubkey" : "signature",
        code: fault,
        message:
          fault === "PUBKEY_INVALID"
            ? PUBKEY_INVALID_MESSAGE
            : fault === "SIGNATURE_MALFORMED"
              ? SIGNATURE_MALFORMED_MESSAGE
              : `does not verify: not signed by this pubkey over this deposit for ${describeNetwork(expectations.network)}`,
      });
      return;
    }
    if (p.flawed) return;
    valid.push({
      entry: p.decoded.entry,
      pubkey: p.decoded.hex.pubkey,
      withdrawalCredentials: p.decoded.hex.withdrawal_credentials,
      amountGwei: p.decoded.amount,
      signature: p.decoded.hex.signature,
      depositMessageRoot: p.depositMessageRoot,
      depositDataRoot: p.depositDataRoot,
    });
  });
  problems.sort((a, b) => a.entry - b.entry);
  return { problems, valid };
}

function decodeEntry(
  raw: unknown,
  entry: number,
  report: (code: DepositProblemCode, field: string | null, message: string, pubkey: string | null) => void,
): DecodedEntry | null {
  if (!isJsonObject(raw)) {
    report("ENTRY_NOT_OBJECT", null, "is not a JSON object", null);
    return null;
  }
  const pubkeyGuess = typeof raw["pubkey"] === "string" ? raw["pubkey"] : null;
  const say = (code: DepositProblemCode, field: string, message: string): void => report(code, field, message, pubkeyGuess);
  let ok = true;
  const hex: Partial<Record<HexField, Uint8Array>> = {};
  for (const [name, bytes] of Object.entries(HEX_FIELDS) as [HexField, number][]) {
    const decoded = decodeHexField(raw, name, bytes, say);
    if (decoded === null) ok = false;
    else hex[name] = decoded;
  }
  const amount = raw["amount"];
  if (amount === undefined) {
    say("FIELD_MISSING", "amount", "missing");
    ok = false;
  } else if (typeof amount !== "number" || !Number.isSafeInteger(amount) || amount <= 0) {
    say("FIELD_TYPE", "amount", `must be a positive whole number of Gwei as a JSON number, got ${JSON.stringify(amount)}`);
    ok = false;
  }
  const networkName = raw["network_name"];
  if (typeof networkName !== "string") {
    say(networkName === undefined ? "FIELD_MISSING" : "FIELD_TYPE", "network_name", networkName === undefined ? "missing" : "must be a string");
    ok = false;
  }
  const cliVersion = raw["deposit_cli_version"];
  if (typeof cliVersion !== "string") {
    say(cliVersion === undefined ? "FIELD_MISSING" : "FIELD_TYPE", "deposit_cli_version", cliVersion === undefined ? "missing" : "must be a string");
    ok = false;
  }
  if (!ok) return null;
  return {
    entry,
    hex: hex as Record<HexField, Uint8Array>,
    amount: amount as number,
    networkName: networkName as string,
  };
}

function decodeHexField(
  raw: JsonObject,
  name: HexField,
  bytes: number,
  say: (code: DepositProblemCode, field: string, message: string) => void,
): Uint8Array | null {
  const value = raw[name];
  if (value === undefined) {
    say("FIELD_MISSING", name, "missing");
    return null;
  }
  if (typeof value !== "string") {
    say("FIELD_TYPE", name, `must be a hex string, got ${typeof value}`);
    return null;
  }
  if (value.startsWith("0x")) {
    say("HEX_INVALID", name, "must be hex without a 0x prefix (the deposit CLI format)");
    return null;
  }
  if (!/^[0-9a-fA-F]*$/.test(value)) {
    say("HEX_INVALID", name, "contains characters that are not hex digits");
    return null;
  }
  if (value.length !== bytes * 2) {
    say("HEX_INVALID", name, `must be ${bytes} bytes (${bytes * 2} hex digits), got ${value.length} hex digits`);
    return null;
  }
  return Uint8Array.from(Buffer.from(value, "hex"));
}

function checkNetwork(
  decoded: DecodedEntry,
  network: Network,
  say: (code: DepositProblemCode, field: string | null, message: string) => void,
): void {
  const forkVersion = decoded.hex.fork_version;
  // A file that contradicts itself is rejected whatever network was asked for.
  if (KNOWN_NETWORK_NAMES.includes(decoded.networkName)) {
    const named = knownNetwork(decoded.networkName);
    if (!equalBytes(named.genesisForkVersion, forkVersion)) {
      say(
        "NETWORK_DISAGREES",
        "fork_version",
        `0x${toHex(forkVersion)} is not the genesis fork version of network_name "${decoded.networkName}" (0x${toHex(named.genesisForkVersion)}): the file contradicts itself`,
      );
    }
  }
  if (!equalBytes(forkVersion, network.genesisForkVersion)) {
    say(
      "FORK_VERSION_MISMATCH",
      "fork_version",
      `is 0x${toHex(forkVersion)}, expected ${describeNetwork(network)}: this deposit is for another network`,
    );
  }
  if (decoded.networkName !== network.name) {
    say("NETWORK_NAME_MISMATCH", "network_name", `is "${decoded.networkName}", expected "${network.name}"`);
  }
}

function checkWithdrawal(
  decoded: DecodedEntry,
  expectations: DepositExpectations,
  say: (code: DepositProblemCode, field: string | null, message: string) => void,
): void {
  const credentials = decoded.hex.withdrawal_credentials;
  const type = withdrawalTypeOf(credentials);
  if (type === null) {
    say("WITHDRAWAL_CREDENTIALS_INVALID", "withdrawal_credentials", `has unknown prefix 0x${toHex(credentials.subarray(0, 1))} (0x00, 0x01 or 0x02)`);
    return;
  }
  const address = withdrawalAddressOf(credentials);
  if (type !== "bls" && address === null) {
    say("WITHDRAWAL_CREDENTIALS_INVALID", "withdrawal_credentials", "bytes 1-11 of 0x01/0x02 credentials must be zero");
  }
  if (expectations.withdrawalCredentials !== undefined && !equalBytes(credentials, expectations.withdrawalCredentials)) {
    say(
      "WITHDRAWAL_CREDENTIALS_MISMATCH",
      "withdrawal_credentials",
      `are 0x${toHex(credentials)}, expected 0x${toHex(expectations.withdrawalCredentials)}`,
    );
  }
  if (expectations.withdrawalAddress !== undefined) {
    if (address === null) {
      say(
        "WITHDRAWAL_CREDENTIALS_MISMATCH",
        "withdrawal_credentials",
        `are ${type === "bls" ? "BLS (0x00)" : "malformed"}, expected 0x01/0x02 credentials paying ${toChecksumAddress(expectations.withdrawalAddress)}`,
      );
    } else if (!equalBytes(address, expectations.withdrawalAddress)) {
      say(
        "WITHDRAWAL_CREDENTIALS_MISMATCH",
        "withdrawal_credentials",
        `pay ${toChecksumAddress(address)}, expected ${toChecksumAddress(expectations.withdrawalAddress)}`,
      );
    }
  }
  if (expectations.amountGwei !== undefined) {
    if (decoded.amount !== expectations.amountGwei) {
      say("AMOUNT_MISMATCH", "amount", `is ${formatGweiAsEth(decoded.amount)} ETH, expected ${formatGweiAsEth(expectations.amountGwei)} ETH`);
    }
  } else {
    const problem = amountProblem(type, decoded.amount);
    if (problem !== null) say("AMOUNT_NOT_ALLOWED", "amount", problem);
  }
}

/** Per set: null if it verifies, else why not. Batches first; a failed batch is re-checked set by set. */
function signatureFaults(sets: readonly DecodedSignatureSet[]): (SignatureSetFault | null)[] {
  const faults: (SignatureSetFault | null)[] = [];
  for (let start = 0; start < sets.length; start += SIGNATURE_BATCH) {
    const batch = sets.slice(start, start + SIGNATURE_BATCH);
    if (verifySignatureSets(batch)) faults.push(...batch.map(() => null));
    else faults.push(...batch.map((s) => signatureSetFault(s.set)));
  }
  return faults;
}

function describeNetwork(network: Network): string {
  return `${network.name} (genesis fork version 0x${toHex(network.genesisForkVersion)})`;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
