/**
 * Registering keys for an operator, from any source: deposit data, keystores (taken into custody),
 * already-active validators, and keys the service generated. Every key goes through the same
 * rules (registrationRules.ts); a batch registers the keys that pass and reports the others.
 *
 * Consistency: on-chain facts are gathered first (no transaction held across the network). Then
 * one transaction locks the operator (PostgreSQL: row lock; SQLite: single writer), re-reads what
 * other instances may have registered meanwhile, decides, writes custody files and inserts rows.
 * If anything fails, the files this call wrote are removed and no row is committed.
 */
import { sql, type Kysely } from "kysely";
import type { BeaconNodeApi, BeaconValidator } from "../beacon/beaconApi.js";
import type { Network } from "../chain/networks.js";
import { buildDepositDataEntry, DEPOSIT_CLI_VERSION, type DepositDataEntry } from "../deposit/depositData.js";
import { verifyDepositData, type DepositProblem } from "../deposit/verifyDepositData.js";
import { isStakeopsError } from "../errors.js";
import { decryptKeystore, parseKeystore, type Keystore } from "../keygen/keystore.js";
import { isUniqueViolation } from "../store/constraint.js";
import type { Dialect } from "../store/database.js";
import type { OperatorsRepository, OperatorRow } from "../store/operators.js";
import type { Database, KeySource, KeyState } from "../store/schema.js";
import type { ValidatorKeyRow, ValidatorKeysRepository } from "../store/validatorKeys.js";
import { toHex, toPrefixedHex } from "../util/hex.js";
import { isoNow, type Clock } from "./clock.js";
import type { KeyCustody } from "./custody.js";
import { RegistryError } from "./errors.js";
import { keyStateFromChain } from "./keyLifecycle.js";
import { decide, type Candidate, type Rejection } from "./registrationRules.js";

export interface RegistrationEntryResult {
  readonly index: number;
  readonly pubkey: string | null;
  readonly status: "registered" | "rejected";
  readonly reasons: readonly Rejection[];
}

export interface RegistrationResult {
  readonly registered: number;
  readonly rejected: number;
  readonly results: readonly RegistrationEntryResult[];
}

export interface KeyRegistrationOptions {
  readonly network: Network;
  readonly withdrawalCredentials: Uint8Array;
  readonly depositAmountGwei: number;
}

export interface KeyRegistrationDependencies {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly operators: OperatorsRepository;
  readonly keys: ValidatorKeysRepository;
  readonly custody: KeyCustody;
  /** null when no beacon node is configured: on-chain checks are skipped, existing keys refused. */
  readonly beacon: BeaconNodeApi | null;
  readonly clock: Clock;
}

/** One candidate with what registering it would write. */
interface Plan {
  readonly candidate: Candidate;
  readonly row: ValidatorKeyRow | null;
  /** Keystore to put into custody (already encrypted with the service password). */
  readonly custody: Keystore | null;
}

export class KeyRegistration {
  constructor(
    private readonly options: KeyRegistrationOptions,
    private readonly deps: KeyRegistrationDependencies,
  ) {}

  /** Deposit data from any tool (a deposit_data JSON array), checked against the protocol's network and credentials. */
  async registerDepositData(operatorId: string, entries: readonly unknown[]): Promise<RegistrationResult> {
    const operator = await this.operator(operatorId);
    const verification = verifyDepositData(entries, {
      network: this.options.network,
      withdrawalCredentials: this.options.withdrawalCredentials,
    });
    const valid = new Map(verification.valid.map((v) => [v.entry, v]));
    const at = isoNow(this.deps.clock);
    const plans: Plan[] = entries.map((raw, index) => {
      const problems = verification.problems.filter((p) => p.entry === index && p.code !== "DUPLICATE_PUBKEY").map(toRejection);
      const entry = valid.get(index);
      const pubkey = entry === undefined ? pubkeyOf(raw) : toPrefixedHex(entry.pubkey);
      const candidate: Candidate = { index, pubkey, source: "deposit-data", problems };
      if (entry === undefined) return { candidate, row: null, custody: null };
      const row = this.keyRow(operator.id, "deposit-data", at, {
        pubkey: toPrefixedHex(entry.pubkey),
        withdrawal_credentials: toPrefixedHex(entry.withdrawalCredentials),
        amount_gwei: entry.amountGwei,
        deposit_signature: toPrefixedHex(entry.signature),
        deposit_message_root: toPrefixedHex(entry.depositMessageRoot),
        deposit_data_root: toPrefixedHex(entry.depositDataRoot),
      });
      return { candidate, row, custody: null };
    });
    return this.commit(operator, plans, "new");
  }

  /**
   * Keystores with their passwords: each is decrypted, re-encrypted with the service password and
   * kept in custody. New keys get deposit data signed here with the protocol's credentials;
   * `existing` adopts keys that are already validators on chain (custody for exits, no deposit).
   */
  async registerKeystores(
    operatorId: string,
    keystores: readonly string[],
    passwords: readonly string[],
    options: { readonly existing: boolean },
  ): Promise<RegistrationResult> {
    if (keystores.length !== passwords.length) {
      throw new RegistryError("BATCH_INVALID", `${keystores.length} keystores but ${passwords.length} passwords: give one password per keystore`, {});
    }
    const operator = await this.operator(operatorId);
    if (options.existing) this.requireBeacon("adopting existing validators");
    const at = isoNow(this.deps.clock);
    const deposits: (DepositDataEntry | null)[] = keystores.map(() => null);
    const plans = await Promise.all(
      keystores.map(async (text, index): Promise<Plan> => {
        const source: KeySource = options.existing ? "existing" : "keystore";
        let secretKey: Uint8Array;
        let keystore: Keystore;
        try {
          keystore = parseKeystore(JSON.parse(text) as unknown, `keystores[${index}]`);
          secretKey = (await decryptKeystore(keystore, passwords[index] as string)).secretKey;
        } catch (error) {
          if (error instanceof SyntaxError) {
            return { candidate: { index, pubkey: null, source, problems: [{ code: "KEYSTORE_INVALID", message: `keystores[${index}] is not valid JSON` }] }, row: null, custody: null };
          }
          if (!isStakeopsError(error)) throw error;
          return { candidate: { index, pubkey: null, source, problems: [{ code: error.code, message: error.message }] }, row: null, custody: null };
        }
        try {
          const custody = await this.deps.custody.encrypt(secretKey, keystore.path);
          const pubkey = `0x${custody.pubkey}`;
          const deposit = options.existing ? null : this.deposit(secretKey);
          deposits[index] = deposit;
          const row = this.keyRow(operator.id, source, at, {
            pubkey,
            derivation_path: keystore.path === "" ? null : keystore.path,
            in_custody: 1,
            ...(deposit === null ? {} : depositColumns(deposit)),
          });
          return { candidate: { index, pubkey, source, problems: [] }, row, custody };
        } finally {
          secretKey.fill(0);
        }
      }),
    );
    return this.commit(operator, this.withDepositChecks(plans, deposits), options.existing ? "existing" : "new");
  }

  /** Validators already active on chain, without keys: monitored and exited through other means. */
  async registerExisting(operatorId: string, pubkeys: readonly string[]): Promise<RegistrationResult> {
    const operator = await this.operator(operatorId);
    this.requireBeacon("adopting existing validators");
    const at = isoNow(this.deps.clock);
    const plans = pubkeys.map((raw, index): Plan => {
      const pubkey = normalizePubkey(raw);
      if (pubkey === null) {
        return {
          candidate: { index, pubkey: null, source: "existing", problems: [{ code: "PUBKEY_INVALID", field: "pubkey", message: `"${raw}" is not a 48-byte 0x-hex BLS pubkey` }] },
          row: null,
          custody: null,
        };
      }
      return { candidate: { index, pubkey, source: "existing", problems: [] }, row: this.keyRow(operator.id, "existing", at, { pubkey }), custody: null };
    });
    return this.commit(operator, plans, "existing");
  }

  /** Keys the service generated (key generation job): already encrypted for custody, deposits signed. */
  async registerGenerated(
    operatorId: string,
    generated: readonly { readonly keystore: Keystore; readonly deposit: DepositDataEntry }[],
  ): Promise<RegistrationResult> {
    const operator = await this.operator(operatorId);
    const at = isoNow(this.deps.clock);
    const plans = generated.map(({ keystore, deposit }, index): Plan => {
      const pubkey = `0x${keystore.pubkey}`;
      const row = this.keyRow(operator.id, "generated", at, { pubkey, derivation_path: keystore.path, in_custody: 1, ...depositColumns(deposit) });
      return { candidate: { index, pubkey, source: "generated", problems: [] }, row, custody: keystore };
    });
    return this.commit(operator, this.withDepositChecks(plans, generated.map((g) => g.deposit)), "new");
  }

  /** Keys not yet deposited, as a deposit_data file the Launchpad accepts. */
  async depositData(operatorId: string): Promise<DepositDataEntry[]> {
    await this.operator(operatorId);
    const rows = await this.deps.keys.listByOperator(operatorId, ["registered"]);
    return rows.flatMap((row) => {
      if (row.deposit_signature === null || row.withdrawal_credentials === null || row.amount_gwei === null) return [];
      return [
        {
          pubkey: strip(row.pubkey),
          withdrawal_credentials: strip(row.withdrawal_credentials),
          amount: row.amount_gwei,
          signature: strip(row.deposit_signature),
          deposit_message_root: strip(row.deposit_message_root ?? ""),
          deposit_data_root: strip(row.deposit_data_root ?? ""),
          fork_version: toHex(this.options.network.genesisForkVersion),
          network_name: this.options.network.name,
          deposit_cli_version: DEPOSIT_CLI_VERSION,
        },
      ];
    });
  }

  /**
   * Deposits the service signed itself pass the same deposit rule as uploaded ones (signature,
   * both roots, network, credentials, amount): the rule holds for every source, not just uploads.
   */
  private withDepositChecks(plans: readonly Plan[], deposits: readonly (DepositDataEntry | null)[]): Plan[] {
    const signed = deposits.flatMap((deposit, plan) => (deposit === null ? [] : [{ plan, deposit }]));
    if (signed.length === 0) return [...plans];
    const verification = verifyDepositData(
      signed.map((s) => s.deposit),
      { network: this.options.network, withdrawalCredentials: this.options.withdrawalCredentials },
    );
    const problems = new Map<number, Rejection[]>();
    for (const problem of verification.problems) {
      const plan = signed[problem.entry]?.plan;
      // Duplicates are the batch rule's business (DUPLICATE_IN_BATCH).
      if (plan === undefined || problem.code === "DUPLICATE_PUBKEY") continue;
      problems.set(plan, [...(problems.get(plan) ?? []), toRejection(problem)]);
    }
    return plans.map((plan, index) => {
      const found = problems.get(index);
      return found === undefined ? plan : { ...plan, candidate: { ...plan.candidate, problems: [...plan.candidate.problems, ...found] } };
    });
  }

  private async commit(operator: OperatorRow, plans: readonly Plan[], kind: "new" | "existing"): Promise<RegistrationResult> {
    const checkable = plans.flatMap((p) => (p.candidate.pubkey !== null && p.candidate.problems.length === 0 ? [p.candidate.pubkey] : []));
    const chain = await this.chainFacts(checkable, kind);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.commitOnce(operator.id, plans, chain);
      } catch (error) {
        // Another instance registered one of these pubkeys between our read and our insert: decide again.
        if (!isUniqueViolation(error) || attempt > 0) throw error;
      }
    }
  }

  private async commitOnce(
    operatorId: string,
    plans: readonly Plan[],
    chain: { onChain: ReadonlyMap<string, BeaconValidator> | null; pendingDeposits: ReadonlySet<string> | null },
  ): Promise<RegistrationResult> {
    const written: { operator: string; pubkey: string }[] = [];
    try {
      const decisions = await this.deps.db.transaction().execute(async (trx) => {
        if (this.deps.dialect === "postgres") await sql`select id from operators where id = ${operatorId} for update`.execute(trx);
        const operator = await this.deps.operators.findById(operatorId, trx);
        if (operator === undefined) throw new RegistryError("OPERATOR_NOT_FOUND", `no operator with id ${operatorId}`, { operatorId });
        const pubkeys = plans.flatMap((p) => (p.candidate.pubkey === null ? [] : [p.candidate.pubkey]));
        const registered = new Map((await this.deps.keys.findByPubkeys(pubkeys, trx)).map((r) => [r.pubkey, r.operator_id]));
        const count = await this.deps.operators.countKeys(operatorId, trx);
        const decided = decide(
          plans.map((p) => p.candidate),
          {
            operatorActive: operator.active === 1,
            remainingKeySlots: operator.key_limit === null ? null : operator.key_limit - count,
            registered,
            onChain: chain.onChain,
            pendingDeposits: chain.pendingDeposits,
            expectedWithdrawalCredentials: toPrefixedHex(this.options.withdrawalCredentials),
          },
        );
        const accepted = plans.filter((_, i) => decided[i]?.rejections.length === 0);
        for (const plan of accepted) {
          if (plan.custody === null) continue;
          await this.deps.custody.store(operator.name, plan.custody);
          written.push({ operator: operator.name, pubkey: `0x${plan.custody.pubkey}` });
        }
        const rows = accepted.flatMap((p) => (p.row === null ? [] : [this.withChainState(p.row, chain.onChain)]));
        await this.deps.keys.insertMany(rows, trx);
        return decided;
      });
      const results = decisions.map((d): RegistrationEntryResult => ({
        index: d.candidate.index,
        pubkey: d.candidate.pubkey,
        status: d.rejections.length === 0 ? "registered" : "rejected",
        reasons: d.rejections,
      }));
      const registered = results.filter((r) => r.status === "registered").length;
      return { registered, rejected: results.length - registered, results };
    } catch (error) {
      await Promise.all(written.map((w) => this.deps.custody.remove(w.operator, w.pubkey)));
      throw error;
    }
  }

  private async chainFacts(
    pubkeys: readonly string[],
    kind: "new" | "existing",
  ): Promise<{ onChain: ReadonlyMap<string, BeaconValidator> | null; pendingDeposits: ReadonlySet<string> | null }> {
    const beacon = this.deps.beacon;
    if (beacon === null) return { onChain: null, pendingDeposits: null };
    try {
      const validators = pubkeys.length === 0 ? [] : await beacon.getValidatorsByPubkey(pubkeys, "head");
      const pendingDeposits = kind === "existing" || pubkeys.length === 0 ? null : await beacon.getPendingDepositPubkeys("head");
      return { onChain: new Map(validators.map((v) => [v.pubkey.toLowerCase(), v])), pendingDeposits };
    } catch (cause) {
      throw new RegistryError(
        "BEACON_UNAVAILABLE",
        `the beacon node could not be asked whether these keys are already on chain (${cause instanceof Error ? cause.message : String(cause)}); nothing was registered, try again`,
        {},
        { cause },
      );
    }
  }

  /** Keys found on chain (existing validators) start in their chain state, with their index. */
  private withChainState(row: ValidatorKeyRow, onChain: ReadonlyMap<string, BeaconValidator> | null): ValidatorKeyRow {
    const validator = onChain?.get(row.pubkey);
    if (validator === undefined) return row;
    return { ...row, state: keyStateFromChain(validator.status, validator.slashed), validator_index: validator.index, withdrawal_credentials: validator.withdrawalCredentials.toLowerCase() };
  }

  private keyRow(operatorId: string, source: KeySource, at: string, values: Partial<ValidatorKeyRow> & { pubkey: string }): ValidatorKeyRow {
    return {
      operator_id: operatorId,
      source,
      derivation_path: null,
      withdrawal_credentials: null,
      amount_gwei: null,
      deposit_signature: null,
      deposit_message_root: null,
      deposit_data_root: null,
      state: "registered" satisfies KeyState,
      validator_index: null,
      in_custody: 0,
      created_at: at,
      updated_at: at,
      ...values,
    };
  }

  private deposit(secretKey: Uint8Array): DepositDataEntry {
    return buildDepositDataEntry({
      secretKey,
      withdrawalCredentials: this.options.withdrawalCredentials,
      amountGwei: this.options.depositAmountGwei,
      network: this.options.network,
    });
  }

  private async operator(operatorId: string): Promise<OperatorRow> {
    const row = await this.deps.operators.findById(operatorId);
    if (row === undefined) throw new RegistryError("OPERATOR_NOT_FOUND", `no operator with id ${operatorId}`, { operatorId });
    return row;
  }

  private requireBeacon(what: string): void {
    if (this.deps.beacon === null) {
      throw new RegistryError("BEACON_NODE_REQUIRED", `${what} needs a beacon node to check the chain: set BEACON_NODE_URLS`, {});
    }
  }
}

function toRejection(problem: DepositProblem): Rejection {
  return { code: problem.code, ...(problem.field === null ? {} : { field: problem.field }), message: problem.message };
}

function depositColumns(deposit: DepositDataEntry): Partial<ValidatorKeyRow> {
  return {
    withdrawal_credentials: `0x${deposit.withdrawal_credentials}`,
    amount_gwei: deposit.amount,
    deposit_signature: `0x${deposit.signature}`,
    deposit_message_root: `0x${deposit.deposit_message_root}`,
    deposit_data_root: `0x${deposit.deposit_data_root}`,
  };
}

export function normalizePubkey(value: string): string | null {
  const hex = value.startsWith("0x") || value.startsWith("0X") ? value.slice(2) : value;
  return /^[0-9a-fA-F]{96}$/.test(hex) ? `0x${hex.toLowerCase()}` : null;
}

function pubkeyOf(raw: unknown): string | null {
  if (typeof raw !== "object" || raw === null || !("pubkey" in raw) || typeof raw.pubkey !== "string") return null;
  return normalizePubkey(raw.pubkey);
}

function strip(hex: string): string {
  return hex.replace(/^0x/, "");
}
