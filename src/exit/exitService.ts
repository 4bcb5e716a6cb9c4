/**
 * Automated exits, with the guard rails that make a wrong mass exit impossible:
 * - once per processed epoch: the policy's rules over the monitor's results give candidates;
 * - guards first, for everyone: kill switch or paused policy, a syncing or optimistic node, finality
 *   far behind, a monitor that is lagging or lost epochs of the window, a network-wide collapse of
 *   the baseline (which is what "our beacon node lost its data" also looks like);
 * - then per validator: eligibility on chain (active since SHARD_COMMITTEE_PERIOD, not exiting,
 *   no pending partial withdrawal) and rate limits per epoch, per day and per operator;
 * - dry run (the default) records the decision and submits nothing;
 * - a real exit is signed (pre-signed, custody, validator client) or, failing those, turned into
 *   an EIP-7002 request; it is recorded first (one row per validator, so never twice, across
 *   instances) and sent to every beacon node, then tracked and resubmitted each epoch until the
 *   chain shows its exit epoch.
 * Every decision goes to the audit log with the numbers it saw.
 */
import type { BeaconValidator, ExitBeaconApi } from "../beacon/beaconApi.js";
import { parseChainSpec, type ChainSpec } from "../beacon/chainSpec.js";
import { voluntaryExitDomain } from "../chain/signing.js";
import type { Logger } from "../jobs/logger.js";
import { decodeResults } from "../monitor/resultCodec.js";
import { ratios, type PerformanceTotals } from "../monitor/performance.js";
import { isoNow, type Clock } from "../registry/clock.js";
import type { SecretBox } from "../registry/secretBox.js";
import type { AuditEntry, ExitRow, ExitsRepository } from "../store/exits.js";
import type { MonitorRepository } from "../store/monitor.js";
import type { OperatorsRepository } from "../store/operators.js";
import type { ValidatorKeyRow, ValidatorKeysRepository } from "../store/validatorKeys.js";
import { parseHex } from "../util/hex.js";
import { ExitError } from "./errors.js";
import { DEFAULT_POLICY, parseExitPolicy, policyWindow, type ExitPolicy } from "./exitPolicy.js";
import type { ExitKey, ExitSigner } from "./exitSigner.js";
import { evaluateRules, type EpochResults } from "./ruleEvaluation.js";
import { verifySignedVoluntaryExit, type SignedVoluntaryExitJson } from "./signedExit.js";

export interface ExitServiceOptions {
  /** STAKEOPS_EXIT_DRY_RUN: decide and log, submit nothing. On unless set to false. */
  readonly dryRun: boolean;
  /** STAKEOPS_EXIT_KILL_SWITCH: nothing at all, not even manual exits. */
  readonly killSwitch: boolean;
  /** The policy from STAKEOPS_EXIT_POLICY_FILE; one set through the API wins. */
  readonly filePolicy: ExitPolicy | null;
}

export interface ExitEvents {
  outcome(operatorName: string, reason: string, outcome: string): void;
}

export interface ExitServiceDependencies {
  /** Null without BEACON_NODE_URLS: the policy and the audit log still answer, exits do not. */
  readonly beacon: ExitBeaconApi | null;
  readonly results: MonitorRepository;
  readonly exits: ExitsRepository;
  readonly keys: ValidatorKeysRepository;
  readonly operators: OperatorsRepository;
  readonly signer: ExitSigner;
  readonly secrets: SecretBox;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events?: ExitEvents;
}

export interface EvaluationReport {
  readonly epoch: number | null;
  readonly blocked: string | null;
  readonly candidates: number;
  readonly outcomes: readonly { readonly pubkey: string; readonly outcome: string }[];
}

interface ChainFacts {
  readonly spec: ChainSpec;
  readonly shardCommitteePeriod: number;
  readonly domain: Uint8Array;
  readonly genesisTime: number;
}

/** A validator the policy (or a person) wants exited, with what the decision saw. */
interface Decision {
  readonly key: ValidatorKeyRow;
  /** The rule's type, or "manual". */
  readonly reason: string;
  readonly numbers: Readonly<Record<string, unknown>>;
  /** Manual exits skip the rate limits. */
  readonly manual: boolean;
}

/** The daily limits count the last 24 hours. */
const DAY_MS = 24 * 3600 * 1000;

export class ExitService {
  private chain: ChainFacts | null = null;

  constructor(
    private readonly options: ExitServiceOptions,
    private readonly deps: ExitServiceDependencies,
  ) {}

  get dryRun(): boolean {
    return this.options.dryRun;
  }

  async policy(): Promise<{ policy: ExitPolicy; source: "api" | "file" | "default"; updatedAt: string | null }> {
    const stored = await this.deps.exits.policyDocument();
    if (stored !== undefined) return { policy: parseExitPolicy(JSON.parse(stored.document), "stored exit policy"), source: "api", updatedAt: stored.updatedAt };
    if (this.options.filePolicy !== null) return { policy: this.options.filePolicy, source: "file", updatedAt: null };
    return { policy: DEFAULT_POLICY, source: "default", updatedAt: null };
  }

  async setPolicy(document: unknown): Promise<ExitPolicy> {
    const policy = parseExitPolicy(document);
    await this.deps.exits.savePolicyDocument(JSON.stringify(document), isoNow(this.deps.clock));
    this.deps.logger.warn({ policy }, "exit policy changed through the API");
    return policy;
  }

  /** Applies the policy to the newest processed epoch not evaluated yet (each epoch once, on one instance). */
  async evaluate(signal?: AbortSignal): Promise<EvaluationReport> {
    const newest = await this.deps.results.lastProcessed();
    if (newest === undefined) return { epoch: null, blocked: null, candidates: 0, outcomes: [] };
    const epoch = Number(newest.epoch);
    const last = await this.deps.exits.lastEvaluated();
    if (last !== null && last >= epoch) return { epoch: null, blocked: null, candidates: 0, outcomes: [] };
    const { policy } = await this.policy();
    const at = isoNow(this.deps.clock);
    const dryRun = this.options.dryRun;
    const blocked = async (message: string, numbers: Record<string, unknown> = {}): Promise<EvaluationReport> => {
      await this.deps.exits.audit([{ at, epoch, pubkey: null, validatorIndex: null, operatorId: null, rule: "guard", numbers, dryRun, outcome: "blocked", message }]);
      this.deps.logger.warn({ epoch, reason: message }, "exits blocked by a guard");
      this.deps.events?.outcome("", "guard", "blocked");
      return { epoch, blocked: message, candidates: 0, outcomes: [] };
    };
    if (policy.rules.length === 0) {
      await this.deps.exits.claimEvaluation(epoch, at);
      return { epoch, blocked: null, candidates: 0, outcomes: [] };
    }
    if (this.options.killSwitch) return this.finish(epoch, at, await blocked("the kill switch is on (STAKEOPS_EXIT_KILL_SWITCH)"));
    if (policy.paused) return this.finish(epoch, at, await blocked("the exit policy is paused"));

    // Chain guards: a node that cannot be asked, or is not a trustworthy view of the chain, stops everything.
    let chainGuard: { headEpoch: number; reason: string | null; numbers: Record<string, unknown> };
    try {
      chainGuard = await this.chainGuard(policy, signal);
    } catch (error) {
      // Not claimed: the next tick tries again, when the node may answer.
      return blocked(`the beacon node cannot be asked: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (chainGuard.reason !== null) return this.finish(epoch, at, await blocked(chainGuard.reason, chainGuard.numbers));

    // Data guards: the whole window processed, recent, and a sane network baseline.
    const window = policyWindow(policy);
    const settled = chainGuard.headEpoch - 2;
    if (settled - epoch > 1) return blocked(`the monitor is behind: last processed epoch ${epoch}, settled ${settled}`, { epoch, settled });
    const rows = await this.deps.results.listEpochs(epoch - window + 1, epoch);
    const missing = [];
    for (let e = epoch - window + 1; e <= epoch; e++) if (rows.find((r) => Number(r.epoch) === e)?.state !== "processed") missing.push(e);
    if (missing.length > 0) return this.finish(epoch, at, await blocked(`the monitor has no results for epochs ${missing.join(", ")} of the window: it may have lost data`, { missing }));
    const epochs = await this.loadWindow(epoch - window + 1, epoch);
    for (const e of epochs) {
      const target = ratios(e.network).timely.target;
      if (target === null || target < policy.guards.minNetworkTargetRatio) {
        return this.finish(
          epoch,
          at,
          await blocked(
            `the network baseline collapsed in epoch ${e.epoch} (timely target ${target === null ? "unknown" : target.toFixed(3)} < ${policy.guards.minNetworkTargetRatio}): a network-wide incident, or the monitor's data is wrong`,
            { epoch: e.epoch, networkTargetRatio: target },
          ),
        );
      }
    }

    const candidates = evaluateRules(policy, epochs);
    const decisions: Decision[] = [];
    for (const c of candidates) {
      const key = await this.deps.keys.findByIndex(c.validatorIndex);
      if (key !== undefined) decisions.push({ key, reason: c.rule, numbers: c.numbers, manual: false });
    }
    const outcomes = decisions.length === 0 ? [] : await this.act(decisions, { epoch, headEpoch: chainGuard.headEpoch, policy, dryRun, at }, signal);
    return this.finish(epoch, at, { epoch, blocked: null, candidates: candidates.length, outcomes: outcomes.map(({ pubkey, outcome }) => ({ pubkey, outcome })) });
  }

  /** Resubmits exits the chain has not taken yet (once per epoch) and confirms those it has. */
  async track(signal?: AbortSignal): Promise<{ confirmed: number; resubmitted: number }> {
    const pending = await this.deps.exits.listByState(["submitted"]);
    if (pending.length === 0) return { confirmed: 0, resubmitted: 0 };
    const facts = await this.facts(signal);
    const head = await this.beacon().getHeader("head", signal);
    if (head === null) return { confirmed: 0, resubmitted: 0 };
    const headEpoch = Math.floor(head.slot / facts.spec.slotsPerEpoch);
    const onChain = new Map((await this.beacon().getValidatorsByPubkey(pending.map((p) => p.pubkey), "head", signal)).map((v) => [v.pubkey, v]));
    const at = isoNow(this.deps.clock);
    const names = await this.operatorNames();
    let confirmed = 0;
    let resubmitted = 0;
    for (const row of pending) {
      const v = onChain.get(row.pubkey);
      if (v !== undefined && v.exitEpoch !== null) {
        await this.deps.exits.update(row.pubkey, { state: "confirmed", exit_epoch: v.exitEpoch }, at);
        await this.deps.exits.audit([this.entry(row, at, headEpoch, "confirmed", `the chain set exit epoch ${v.exitEpoch} (${v.status})`, false, { exitEpoch: v.exitEpoch })]);
        this.deps.events?.outcome(names.get(row.operator_id) ?? row.operator_id, row.reason, "confirmed");
        confirmed++;
        continue;
      }
      if (row.last_submitted_epoch !== null && Number(row.last_submitted_epoch) >= headEpoch) continue;
      if (row.signed_exit === null) continue;
      const exit = JSON.parse(this.deps.secrets.open(row.signed_exit)) as SignedVoluntaryExitJson;
      const answers = await this.beacon().submitVoluntaryExit(exit, signal);
      await this.deps.exits.update(
        row.pubkey,
        { last_submitted_epoch: headEpoch, attempts: row.attempts + 1, last_error: answers.some((a) => a.accepted) ? null : answers.map((a) => `${a.node}: ${a.message}`).join("; ") },
        at,
      );
      resubmitted++;
    }
    return { confirmed, resubmitted };
  }

  /** An exit asked for by the admin or the validator's operator: guards and eligibility apply, rate limits do not. */
  async manualExit(pubkey: string, options: { dryRun?: boolean; operatorId?: string }, signal?: AbortSignal): Promise<{ outcome: string; message: string; exit: ExitRow | null }> {
    const key = await this.deps.keys.get(pubkey.toLowerCase());
    if (key === undefined || (options.operatorId !== undefined && key.operator_id !== options.operatorId)) {
      throw new ExitError("VALIDATOR_NOT_FOUND", `no registered validator ${pubkey.slice(0, 100)}`, { pubkey: pubkey.slice(0, 100) });
    }
    if (this.options.killSwitch) throw new ExitError("EXIT_GUARD_BLOCKED", "the kill switch is on (STAKEOPS_EXIT_KILL_SWITCH): no exit is possible", {});
    const { policy } = await this.policy();
    const guard = await this.chainGuard(policy, signal);
    if (guard.reason !== null) throw new ExitError("EXIT_GUARD_BLOCKED", guard.reason, guard.numbers);
    const at = isoNow(this.deps.clock);
    const dryRun = options.dryRun ?? this.options.dryRun;
    const [result] = await this.act([{ key, reason: "manual", numbers: {}, manual: true }], { epoch: null, headEpoch: guard.headEpoch, policy, dryRun, at }, signal);
    const exit = (await this.deps.exits.get(key.pubkey)) ?? null;
    // No result: an exit was already recorded for this validator, so nothing was decided again.
    return { outcome: result?.outcome ?? "not_eligible", message: result?.message ?? "an exit is already recorded for this validator", exit };
  }

  /** Stores operators' pre-signed exits, each verified against the validator's pubkey and the chain's exit domain. */
  async uploadPresigned(operatorId: string, entries: readonly unknown[], signal?: AbortSignal): Promise<{ validatorIndex: string; status: "stored" | "rejected"; code?: string; message: string }[]> {
    const facts = await this.facts(signal);
    const results: { validatorIndex: string; status: "stored" | "rejected"; code?: string; message: string }[] = [];
    for (const raw of entries) {
      const exit = asSignedExit(raw);
      if (exit === null) {
        results.push({ validatorIndex: "", status: "rejected", code: "PRESIGNED_EXIT_INVALID", message: "not a signed voluntary exit ({message: {epoch, validator_index}, signature})" });
        continue;
      }
      const index = Number(exit.message.validator_index);
      const key = await this.deps.keys.findByIndex(index);
      if (key === undefined || key.operator_id !== operatorId) {
        results.push({ validatorIndex: exit.message.validator_index, status: "rejected", code: "VALIDATOR_NOT_FOUND", message: `validator ${index} is not registered to this operator` });
        continue;
      }
      const pubkey = parseHex(key.pubkey, { what: "pubkey", bytes: 48, prefix: "required" });
      if (!verifySignedVoluntaryExit(exit, pubkey, facts.domain)) {
        results.push({
          validatorIndex: exit.message.validator_index,
          status: "rejected",
          code: "PRESIGNED_EXIT_INVALID",
          message: "the signature does not verify for this validator's key and this chain's exit domain (EIP-7044: Capella fork version, genesis validators root)",
        });
        continue;
      }
      await this.deps.exits.savePresigned({
        pubkey: key.pubkey,
        operator_id: operatorId,
        validator_index: index,
        epoch: Number(exit.message.epoch),
        signed_exit: this.deps.secrets.seal(JSON.stringify(exit)),
        uploaded_at: isoNow(this.deps.clock),
      });
      results.push({ validatorIndex: exit.message.validator_index, status: "stored", message: "" });
    }
    return results;
  }

  async list(operatorId?: string): Promise<{ exits: unknown[]; audit: unknown[] }> {
    const [exits, audit] = await Promise.all([this.deps.exits.list(operatorId), this.deps.exits.listAudit({ ...(operatorId === undefined ? {} : { operatorId }), limit: 500 })]);
    return {
      exits: exits.map((e) => ({
        pubkey: e.pubkey,
        validatorIndex: Number(e.validator_index),
        operatorId: e.operator_id,
        state: e.state,
        reason: e.reason,
        signingSource: e.signing_source,
        withdrawalRequest: e.withdrawal_request === null ? null : (JSON.parse(e.withdrawal_request) as unknown),
        exitEpoch: e.exit_epoch === null ? null : Number(e.exit_epoch),
        attempts: e.attempts,
        lastError: e.last_error,
        createdAt: e.created_at,
        updatedAt: e.updated_at,
      })),
      audit: audit.map((a) => ({
        at: a.at,
        epoch: a.epoch === null ? null : Number(a.epoch),
        pubkey: a.pubkey,
        validatorIndex: a.validator_index === null ? null : Number(a.validator_index),
        operatorId: a.operator_id,
        rule: a.rule,
        numbers: JSON.parse(a.numbers) as unknown,
        dryRun: a.dry_run === 1,
        outcome: a.outcome,
        message: a.message,
      })),
    };
  }

  private async finish(epoch: number, at: string, report: EvaluationReport): Promise<EvaluationReport> {
    await this.deps.exits.claimEvaluation(epoch, at);
    return report;
  }

  private async chainGuard(policy: ExitPolicy, signal?: AbortSignal): Promise<{ headEpoch: number; reason: string | null; numbers: Record<string, unknown> }> {
    const facts = await this.facts(signal);
    const syncing = await this.beacon().getSyncing(signal);
    const head = await this.beacon().getHeader("head", signal);
    const headEpoch = head === null ? 0 : Math.floor(head.slot / facts.spec.slotsPerEpoch);
    if (syncing.isSyncing || syncing.isOptimistic || syncing.elOffline) {
      return { headEpoch, reason: `the beacon node is ${syncing.isSyncing ? "syncing" : syncing.isOptimistic ? "optimistic" : "without its execution client"}`, numbers: { ...syncing } };
    }
    // A node that says it is synced but whose head is far behind the wall clock is not.
    const wallEpoch = Math.floor((this.deps.clock.now().getTime() / 1000 - facts.genesisTime) / (facts.spec.secondsPerSlot * facts.spec.slotsPerEpoch));
    if (head === null || wallEpoch - headEpoch > 2) {
      return { headEpoch, reason: `the beacon node's head (epoch ${headEpoch}) is behind the clock (epoch ${wallEpoch}) though it says it is synced`, numbers: { headEpoch, wallEpoch } };
    }
    const finality = await this.beacon().getFinality("head", signal);
    const lag = headEpoch - finality.finalizedEpoch;
    if (lag > policy.guards.maxFinalityLagEpochs) {
      return { headEpoch, reason: `finality is ${lag} epochs behind the head (more than ${policy.guards.maxFinalityLagEpochs})`, numbers: { headEpoch, finalizedEpoch: finality.finalizedEpoch } };
    }
    return { headEpoch, reason: null, numbers: {} };
  }

  private async act(
    decisions: readonly Decision[],
    context: { epoch: number | null; headEpoch: number; policy: ExitPolicy; dryRun: boolean; at: string },
    signal?: AbortSignal,
  ): Promise<{ pubkey: string; outcome: string; message: string }[]> {
    const facts = await this.facts(signal);
    const names = await this.operatorNames();
    const onChain = new Map((await this.beacon().getValidatorsByPubkey(decisions.map((d) => d.key.pubkey), "head", signal)).map((v) => [v.pubkey, v]));
    const partial = await this.beacon().getPendingPartialWithdrawalIndices(signal);
    const outcomes: { pubkey: string; outcome: string; message: string }[] = [];
    const audits: AuditEntry[] = [];
    const epochStart = new Date((facts.genesisTime + context.headEpoch * facts.spec.slotsPerEpoch * facts.spec.secondsPerSlot) * 1000).toISOString();
    const dayAgo = new Date(this.deps.clock.now().getTime() - DAY_MS).toISOString();
    let thisEpoch = await this.deps.exits.countCreatedSince(epochStart);
    let today = await this.deps.exits.countCreatedSince(dayAgo);
    const perOperator = new Map<string, number>();

    for (const decision of decisions) {
      const { key, reason } = decision;
      const operatorName = names.get(key.operator_id) ?? key.operator_id;
      const record = (outcome: string, message: string, extra: Record<string, unknown> = {}): void => {
        audits.push({
          at: context.at,
          epoch: context.epoch,
          pubkey: key.pubkey,
          validatorIndex: key.validator_index === null ? null : Number(key.validator_index),
          operatorId: key.operator_id,
          rule: reason,
          numbers: { ...decision.numbers, ...extra },
          dryRun: context.dryRun,
          outcome,
          message,
        });
        outcomes.push({ pubkey: key.pubkey, outcome, message });
        this.deps.events?.outcome(operatorName, reason, outcome);
      };
      if ((await this.deps.exits.get(key.pubkey)) !== undefined) continue;
      const v = onChain.get(key.pubkey);
      const ineligible = eligibilityProblem(v, context.headEpoch, facts.shardCommitteePeriod, partial);
      if (ineligible !== null) {
        record("not_eligible", ineligible);
        continue;
      }
      const validator = v as BeaconValidator;
      if (!decision.manual) {
        const operatorToday = perOperator.get(key.operator_id) ?? (await this.deps.exits.countCreatedSince(dayAgo, key.operator_id));
        const limit =
          thisEpoch >= context.policy.limits.perEpoch
            ? `per-epoch limit of ${context.policy.limits.perEpoch}`
            : today >= context.policy.limits.perDay
              ? `daily limit of ${context.policy.limits.perDay}`
              : operatorToday >= context.policy.limits.perOperatorPerDay
                ? `daily limit of ${context.policy.limits.perOperatorPerDay} for operator ${operatorName}`
                : null;
        // The same in a dry run, so that it shows the decisions a real run would make.
        if (limit !== null) {
          record("rate_limited", `not exited: the ${limit} is reached`, { exitsThisEpoch: thisEpoch, exitsToday: today, operatorExitsToday: operatorToday });
          continue;
        }
        perOperator.set(key.operator_id, operatorToday + 1);
      }
      const exitKey: ExitKey = {
        pubkey: key.pubkey,
        validatorIndex: validator.index,
        operatorName,
        inCustody: key.in_custody === 1,
        credentialType: Number.parseInt(validator.withdrawalCredentials.slice(2, 4), 16),
      };
      if (context.dryRun) {
        thisEpoch++;
        today++;
        const source = await this.deps.signer.plan(exitKey);
        record("dry_run", `would exit (${source === "none" ? "but has no way to sign" : `signing from ${source}`}); dry run: nothing submitted`, { signingSource: source });
        continue;
      }
      const signed = await this.deps.signer.sign(exitKey, context.headEpoch, facts.domain);
      if (signed.source === "none") {
        record("failed", signed.reason);
        continue;
      }
      const row: ExitRow = {
        pubkey: key.pubkey,
        validator_index: validator.index,
        operator_id: key.operator_id,
        state: signed.source === "eip-7002" ? "withdrawal_request" : "submitted",
        reason,
        signing_source: signed.source,
        signed_exit: signed.source === "eip-7002" ? null : this.deps.secrets.seal(JSON.stringify(signed.exit)),
        withdrawal_request: signed.source === "eip-7002" ? JSON.stringify(signed.request) : null,
        exit_epoch: null,
        last_submitted_epoch: null,
        attempts: 0,
        last_error: null,
        created_at: context.at,
        updated_at: context.at,
      };
      // Recorded before anything leaves: a second decision, here or on another instance, stops at the primary key.
      if (!(await this.deps.exits.create(row))) continue;
      thisEpoch++;
      today++;
      if (signed.source === "eip-7002") {
        record("withdrawal_request", `no signature source: the EIP-7002 withdrawal request is ready for the protocol to send`, { request: signed.request });
        continue;
      }
      const answers = await this.beacon().submitVoluntaryExit(signed.exit, signal);
      const accepted = answers.filter((a) => a.accepted).map((a) => a.node);
      await this.deps.exits.update(
        key.pubkey,
        { last_submitted_epoch: context.headEpoch, attempts: 1, last_error: accepted.length > 0 ? null : answers.map((a) => `${a.node}: ${a.message}`).join("; ") },
        context.at,
      );
      record("submitted", `signed from ${signed.source}, sent to ${answers.length} beacon node(s), accepted by ${accepted.length === 0 ? "none yet (resubmitted next epoch)" : accepted.join(", ")}`, {
        signingSource: signed.source,
        nodes: answers,
      });
    }
    await this.deps.exits.audit(audits);
    for (const a of audits) this.deps.logger.warn({ pubkey: a.pubkey, outcome: a.outcome, rule: a.rule, dryRun: a.dryRun, message: a.message }, "exit decision");
    return outcomes;
  }

  private async loadWindow(from: number, to: number): Promise<EpochResults[]> {
    const operators = await this.deps.operators.list();
    const epochs: EpochResults[] = [];
    for (let epoch = from; epoch <= to; epoch++) {
      const network = JSON.parse((await this.deps.results.networkTotals(epoch, epoch))[0]?.totals ?? "null") as PerformanceTotals;
      const operatorTotals = new Map((await this.deps.results.operatorTotalsAt(epoch)).map((o) => [o.operatorId, JSON.parse(o.totals) as PerformanceTotals]));
      const validators = new Map<number, { operatorId: string; result: ReturnType<typeof decodeResults>[number] }>();
      for (const operator of operators) {
        for (const row of await this.deps.results.validatorResults(operator.id, epoch, epoch)) {
          for (const result of decodeResults(row.data)) validators.set(result.index, { operatorId: operator.id, result });
        }
      }
      epochs.push({ epoch, network, operators: operatorTotals, validators });
    }
    return epochs;
  }

  private async facts(signal?: AbortSignal): Promise<ChainFacts> {
    if (this.chain === null) {
      const [values, genesis] = await Promise.all([this.beacon().getSpec(signal), this.beacon().getGenesis(signal)]);
      const capella = values["CAPELLA_FORK_VERSION"];
      if (capella === undefined) throw new ExitError("EXIT_GUARD_BLOCKED", "the beacon node's spec has no CAPELLA_FORK_VERSION: the exit domain (EIP-7044) cannot be computed", {});
      this.chain = {
        spec: parseChainSpec(values),
        shardCommitteePeriod: Number(values["SHARD_COMMITTEE_PERIOD"] ?? "256"),
        domain: voluntaryExitDomain(
          parseHex(capella, { what: "CAPELLA_FORK_VERSION", bytes: 4, prefix: "required" }),
          parseHex(genesis.genesisValidatorsRoot, { what: "genesis validators root", bytes: 32, prefix: "required" }),
        ),
        genesisTime: genesis.genesisTime,
      };
    }
    return this.chain;
  }

  private beacon(): ExitBeaconApi {
    if (this.deps.beacon === null) throw new ExitError("BEACON_NODE_REQUIRED", "exits need a beacon node: set BEACON_NODE_URLS", {});
    return this.deps.beacon;
  }

  private async operatorNames(): Promise<Map<string, string>> {
    return new Map((await this.deps.operators.list()).map((o) => [o.id, o.name]));
  }

  private entry(row: ExitRow, at: string, epoch: number, outcome: string, message: string, dryRun: boolean, numbers: Record<string, unknown>): AuditEntry {
    return { at, epoch, pubkey: row.pubkey, validatorIndex: Number(row.validator_index), operatorId: row.operator_id, rule: row.reason, numbers, dryRun, outcome, message };
  }
}

/** Why a validator cannot exit now, or null. */
export function eligibilityProblem(v: BeaconValidator | undefined, headEpoch: number, shardCommitteePeriod: number, pendingPartial: ReadonlySet<number>): string | null {
  if (v === undefined) return "not a validator on chain";
  if (v.status !== "active_ongoing") return `status is ${v.status}, not active_ongoing`;
  if (v.activationEpoch === null || v.activationEpoch + shardCommitteePeriod > headEpoch) {
    return `active since epoch ${String(v.activationEpoch)}: exits are allowed after SHARD_COMMITTEE_PERIOD (${shardCommitteePeriod} epochs)`;
  }
  if (pendingPartial.has(v.index)) return "has a pending partial withdrawal";
  return null;
}

function asSignedExit(raw: unknown): SignedVoluntaryExitJson | null {
  if (typeof raw !== "object" || raw === null) return null;
  const o = raw as { message?: { epoch?: unknown; validator_index?: unknown }; signature?: unknown };
  const epoch = o.message?.epoch;
  const index = o.message?.validator_index;
  if (typeof epoch !== "string" || !/^(0|[1-9][0-9]{0,15})$/.test(epoch)) return null;
  if (typeof index !== "string" || !/^(0|[1-9][0-9]{0,15})$/.test(index)) return null;
  if (typeof o.signature !== "string" || !/^0x[0-9a-fA-F]{192}$/.test(o.signature)) return null;
  return { message: { epoch, validator_index: index }, signature: o.signature.toLowerCase() };
}
