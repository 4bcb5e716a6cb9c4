/**
 * Moves each key of each open migration one step further, every tick, on one instance (a lease
 * in app.ts). Every step is written before it is taken and checked against what the clients and
 * the chain say when it is resumed, so a crash or restart anywhere continues where it stopped:
 *
 *   requested ──► removing ──► waiting_offline ──► importing ──► done
 *        └────────────┴──────────────┴──────────────────┴──► aborted(code)
 *
 * - requested → removing: only with the beacon node following the chain and the source answering;
 *   otherwise nothing is sent (the key stays in the source), until the deadline aborts.
 * - removing → waiting_offline: KeyTransfer deletes the key, keeps the slashing protection the
 *   source returns, and checks the source's key list. A source that still lists the key, refuses,
 *   or leaves the outcome unknown aborts the migration: the key is in the source (or, unknown, in
 *   the source or in neither, blocked from every other client until the inventory settles it).
 *   A crash during the call resumes by deleting again: DELETE is idempotent, and a compliant client
 *   answers "not_active" with the protection it kept.
 * - waiting_offline → importing: the key must be seen not live on chain for `offlineEpochs` ended
 *   epochs after the removal epoch (offlineWatch.ts); the confirmed epochs are persisted each tick,
 *   so a restart keeps them. Live after removal aborts (STILL_LIVE): someone else runs the key, so
 *   it goes into no client, not even back into the source. Liveness never confirmed before the
 *   timeout aborts too (OFFLINE_NOT_CONFIRMED).
 * - importing → done: the kept protection merged strictly (protection.ts) is stored, then sent with
 *   the import. The attempt is counted (compare-and-set) before the call, so two drivers never
 *   both send it; the destination claim in key_assignments (a partial unique index) keeps the key
 *   out of every other client. An import in doubt is settled from the destination's own key list,
 *   and sent again only once that list shows the key absent after a slow client would have
 *   answered.
 */
import { randomUUID } from "node:crypto";
import type { BeaconNodeApi } from "../beacon/beaconApi.js";
import { isStakeopsError } from "../errors.js";
import type { Logger } from "../jobs/logger.js";
import { DEFAULT_KEYMANAGER_WRITE_TIMEOUT_MS } from "../keymanager/keymanagerClient.js";
import type { KeyTransfer, TransferResult } from "../keymanager/keyTransfer.js";
import type { ValidatorClientService } from "../keymanager/validatorClientService.js";
import { isoNow, type Clock } from "../registry/clock.js";
import { isUniqueViolation } from "../store/constraint.js";
import type { KeyAssignmentsRepository } from "../store/keyAssignments.js";
import type { KeyMigrationChanges, KeyMigrationsRepository, OpenMigrationKey } from "../store/keyMigrations.js";
import type { SlashingProtectionRepository } from "../store/slashingProtection.js";
import type { ValidatorKeysRepository } from "../store/validatorKeys.js";
import { serializeInterchange } from "../risk/interchange/index.js";
import type { ChainPosition, ChainPositionReader } from "./chainPosition.js";
import { ABORT_CODES, type AbortCode } from "./errors.js";
import { parseEpochs } from "./migrationService.js";
import { epochsToAsk, judge, type WatchRule } from "./offlineWatch.js";
import { mergeKeptProtection, protectionForImport } from "./protection.js";

export interface MigrationDriverOptions {
  /** Epochs after the removal epoch within which the key must be confirmed offline. */
  readonly timeoutEpochs: number;
  /** Import calls per key, each sent only with the key confirmed absent from the destination. */
  readonly maxImportAttempts?: number;
  /**
   * How long an import in doubt may still be under way in the destination: the Keymanager client's
   * write timeout (a client decrypting many keystores answers late, and keeps going if we hang up).
   */
  readonly importSettleMs?: number;
}

/** Keys that must not be imported now (e.g. a critical risk signal), with the reason. */
export interface ImportGate {
  blocked(pubkeys: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

export interface MigrationEvents {
  finished(outcome: "done" | "aborted", code: AbortCode | null): void;
}

export interface MigrationDriverDependencies {
  readonly migrations: KeyMigrationsRepository;
  readonly transfer: Pick<KeyTransfer, "importKeys" | "removeKeys">;
  readonly clients: Pick<ValidatorClientService, "api">;
  readonly assignments: KeyAssignmentsRepository;
  readonly keys: Pick<ValidatorKeysRepository, "findByPubkeys">;
  readonly protection: Pick<SlashingProtectionRepository, "forPubkeys">;
  readonly beacon: Pick<BeaconNodeApi, "getLiveness" | "getValidatorsByPubkey">;
  readonly chain: ChainPositionReader;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events?: MigrationEvents;
  readonly importGate?: ImportGate;
}

export interface TickSummary {
  removed: number;
  confirmedOffline: number;
  imported: number;
  aborted: number;
}

const DEFAULT_MAX_IMPORT_ATTEMPTS = 3;
const REMOVED: ReadonlySet<string> = new Set(["deleted", "not_active", "not_found"]);

export class MigrationDriver {
  private readonly rule: Omit<WatchRule, "offlineEpochs">;
  private readonly maxImportAttempts: number;
  private readonly importSettleMs: number;

  constructor(
    options: MigrationDriverOptions,
    private readonly deps: MigrationDriverDependencies,
  ) {
    this.rule = { timeoutEpochs: options.timeoutEpochs };
    this.maxImportAttempts = options.maxImportAttempts ?? DEFAULT_MAX_IMPORT_ATTEMPTS;
    this.importSettleMs = options.importSettleMs ?? DEFAULT_KEYMANAGER_WRITE_TIMEOUT_MS;
  }

  async tick(signal?: AbortSignal): Promise<TickSummary> {
    const summary: TickSummary = { removed: 0, confirmedOffline: 0, imported: 0, aborted: 0 };
    const open = await this.deps.migrations.openKeys();
    if (open.length === 0) return summary;
    const position = await this.deps.chain.read(signal);
    await this.remove(open.filter((k) => k.state === "requested" || k.state === "removing"), position, summary, signal);
    // Each step reads the keys again: the one before may have moved them on.
    await this.watch((await this.deps.migrations.openKeys()).filter((k) => k.state === "waiting_offline"), position, summary, signal);
    await this.import((await this.deps.migrations.openKeys()).filter((k) => k.state === "importing"), summary, signal);
    return summary;
  }

  // ----- removal -----

  private async remove(keys: readonly OpenMigrationKey[], position: ChainPosition | null, summary: TickSummary, signal?: AbortSignal): Promise<void> {
    for (const group of byMigration(keys)) {
      signal?.throwIfAborted();
      let todo = group;
      if (position === null) {
        // Nothing is taken offline while liveness cannot be watched; a removal under way is finished (it may have happened).
        for (const key of group.filter((k) => k.state === "requested" && this.pastDeadline(k))) {
          await this.abort(key, "BEACON_UNAVAILABLE", "the beacon node was unreachable, syncing or optimistic until the deadline; nothing was removed", summary);
        }
        todo = group.filter((k) => k.state === "removing");
      }
      const first = todo[0];
      if (first === undefined) continue;
      const from = first.from_client_id;
      if ((await this.heldBy(from, signal)) === null) {
        for (const key of todo) {
          if (key.state === "requested") await this.abort(key, "SOURCE_UNREACHABLE", "the source validator client did not answer; nothing was sent to it, the key stays there", summary);
          else {
            await this.abort(
              key,
              "SOURCE_REMOVAL_UNCONFIRMED",
              "the removal was interrupted and the source validator client no longer answers; the key is blocked from every other client until the inventory sees the source again",
              summary,
            );
          }
        }
        continue;
      }
      const started: OpenMigrationKey[] = [];
      for (const key of todo) {
        // Written before the call: a crash during it resumes as "removing" and deletes again, but
        // only once a call in flight would have ended (the Keymanager write timeout): until then
        // "removing" may be another instance in the middle of that very call.
        if (key.state === "removing") {
          if (this.deps.clock.now().getTime() >= new Date(key.updated_at).getTime() + this.importSettleMs) started.push(key);
        } else if (await this.advance(key, { state: "removing" })) {
          started.push({ ...key, state: "removing" });
        }
      }
      if (started.length === 0) continue;
      const response = await this.deps.transfer.removeKeys(from, started.map((k) => k.pubkey));
      // The epoch after the source confirmed: any liveness after it is not the source's last duty.
      const after = await this.deps.chain.read(signal);
      for (const [i, key] of started.entries()) {
        await this.settleRemoval(key, response.results[i], after, summary);
      }
    }
  }

  private async settleRemoval(key: OpenMigrationKey, result: TransferResult | undefined, after: ChainPosition | null, summary: TickSummary): Promise<void> {
    if (result !== undefined && REMOVED.has(result.status)) {
      const now = this.deps.clock.now();
      const deadline = new Date(now.getTime() + this.rule.timeoutEpochs * key.epoch_seconds * 1000);
      if (await this.advance(key, { state: "waiting_offline", removed_at: now.toISOString(), removed_epoch: after?.epoch ?? null, deadline_at: deadline.toISOString() })) {
        summary.removed++;
        this.deps.logger.info({ migrationId: key.migration_id, pubkey: key.pubkey, removedEpoch: after?.epoch ?? null }, "key removed from the source; waiting until it is seen offline");
      }
      return;
    }
    if (result?.code === "VALIDATOR_CLIENT_STILL_HOLDS_KEY") {
      await this.abort(key, "STILL_HELD_BY_SOURCE", `the source answered the deletion but still lists the key (${result.message})`, summary);
    } else if (result === undefined || result.status === "unknown") {
      await this.abort(
        key,
        "SOURCE_REMOVAL_UNCONFIRMED",
        `the removal's outcome is unknown (${result?.code ?? "no result"}: ${result?.message ?? ""}); the key is blocked from every other client until the inventory settles it`,
        summary,
      );
    } else {
      await this.abort(key, "SOURCE_REFUSED", `the source did not remove the key (${result.code ?? result.status}: ${result.message}); it stays there`, summary);
    }
  }

  // ----- waiting until offline -----

  private async watch(keys: readonly OpenMigrationKey[], position: ChainPosition | null, summary: TickSummary, signal?: AbortSignal): Promise<void> {
    if (keys.length === 0) return;
    if (position === null) {
      for (const key of keys.filter((k) => this.pastDeadline(k))) {
        await this.abort(key, "OFFLINE_NOT_CONFIRMED", "the beacon node could not be asked about the key's liveness until the deadline; the key stays in no client", summary);
      }
      return;
    }
    const indices = await this.indicesOf(keys, signal);
    const watched = keys.map((key) => ({
      key,
      // Removal epoch unknown (node away right after the removal): the current one stands in; later is stricter.
      watchedKey: { removedEpoch: key.removed_epoch ?? position.epoch, confirmed: parseEpochs(key.offline_epochs) },
    }));
    const rule = (key: OpenMigrationKey): WatchRule => ({ offlineEpochs: key.offline_epochs_required, timeoutEpochs: this.rule.timeoutEpochs });

    // One liveness request per epoch, for every key that still needs that epoch.
    const wanted = new Map<number, Set<number>>();
    for (const { key, watchedKey } of watched) {
      const index = indices.get(key.pubkey);
      if (typeof index !== "number") continue;
      for (const epoch of epochsToAsk(watchedKey, position, rule(key))) wanted.set(epoch, (wanted.get(epoch) ?? new Set()).add(index));
    }
    const answers = new Map<number, ReadonlyMap<number, boolean>>();
    // Newest first: those are the epochs every node serves.
    for (const [epoch, set] of [...wanted].sort(([a], [b]) => b - a)) {
      signal?.throwIfAborted();
      try {
        answers.set(epoch, await this.deps.beacon.getLiveness(epoch, [...set], signal));
      } catch (error) {
        if (signal?.aborted === true || !isStakeopsError(error)) throw error;
        this.deps.logger.debug({ epoch, code: error.code }, "liveness not answered for this epoch");
        // Lodestar 1.5 refuses epochs before the previous one (a 4xx): older ones are not asked either.
        // A node that fails outright would fail them all, each after its retries: not this tick.
        break;
      }
    }

    for (const { key, watchedKey } of watched) {
      const index = indices.get(key.pubkey);
      const observed = new Map<number, boolean>();
      for (const epoch of epochsToAsk(watchedKey, position, rule(key))) {
        // Not a validator: it has no duties and nothing it signs can count, so it is silent by definition.
        const live = index === null ? false : index === undefined ? undefined : answers.get(epoch)?.get(index);
        if (live !== undefined) observed.set(epoch, live);
      }
      const verdict = judge(watchedKey, position, observed, rule(key));
      const progress: KeyMigrationChanges = {
        offline_epochs: JSON.stringify(verdict.confirmed),
        ...(key.removed_epoch === null ? { removed_epoch: watchedKey.removedEpoch } : {}),
        ...(typeof index === "number" && key.validator_index !== index ? { validator_index: index } : {}),
      };
      if (verdict.kind === "live") {
        await this.abort(
          key,
          "STILL_LIVE",
          `validator ${String(index)} was live in epoch ${verdict.epoch}, after its removal in epoch ${watchedKey.removedEpoch}: another instance runs the key (doppelganger); it is imported nowhere`,
          summary,
          progress,
        );
      } else if (verdict.kind === "offline") {
        await this.confirmOffline(key, progress, position, summary);
      } else if (verdict.kind === "timeout" || this.pastDeadline(key)) {
        await this.abort(
          key,
          "OFFLINE_NOT_CONFIRMED",
          `only ${verdict.confirmed.length} of ${key.offline_epochs_required} epochs were confirmed offline before the timeout; the key stays in no client`,
          summary,
          progress,
        );
      } else if (progress.offline_epochs !== key.offline_epochs || Object.keys(progress).length > 1) {
        await this.advance(key, progress);
      }
    }
  }

  /** Offline long enough: the protection to send is fixed now, so that a resumed import sends the same. */
  private async confirmOffline(key: OpenMigrationKey, progress: KeyMigrationChanges, position: ChainPosition, summary: TickSummary): Promise<void> {
    let protection: string;
    try {
      const merged = mergeKeptProtection(key.pubkey, await this.deps.protection.forPubkeys([key.pubkey]));
      if (merged === null) {
        await this.abort(key, "PROTECTION_UNREADABLE", "no slashing protection is kept for the key, though the source's removal should have returned it", summary, progress);
        return;
      }
      if (merged.genesisValidatorsRoot !== position.genesisValidatorsRoot) {
        // A client refuses it anyway (or worse, accepts it and protects nothing): say why here.
        await this.abort(
          key,
          "PROTECTION_UNREADABLE",
          `the kept slashing protection is for another chain (genesis validators root ${merged.genesisValidatorsRoot}, the beacon node's is ${position.genesisValidatorsRoot})`,
          summary,
          progress,
        );
        return;
      }
      protection = serializeInterchange(merged);
    } catch (error) {
      if (!isStakeopsError(error)) throw error;
      await this.abort(key, "PROTECTION_UNREADABLE", `the kept slashing protection cannot be merged (${error.code}: ${error.message})`, summary, progress);
      return;
    }
    if (await this.advance(key, { ...progress, state: "importing", protection })) {
      summary.confirmedOffline++;
      this.deps.logger.info({ migrationId: key.migration_id, pubkey: key.pubkey, offlineEpochs: progress.offline_epochs }, "key confirmed offline; importing it into the destination");
    }
  }

  /** Validator index per key: number, null (the chain does not know the key), or absent (could not be told this tick). */
  private async indicesOf(keys: readonly OpenMigrationKey[], signal?: AbortSignal): Promise<Map<string, number | null>> {
    const indices = new Map<string, number | null>();
    const registry = new Map((await this.deps.keys.findByPubkeys(keys.map((k) => k.pubkey))).map((k) => [k.pubkey, k.validator_index]));
    const unknown: string[] = [];
    for (const key of keys) {
      const index = key.validator_index ?? registry.get(key.pubkey) ?? null;
      if (index === null) unknown.push(key.pubkey);
      else indices.set(key.pubkey, index);
    }
    if (unknown.length === 0) return indices;
    try {
      const found = new Map((await this.deps.beacon.getValidatorsByPubkey(unknown, "head", signal)).map((v) => [v.pubkey, v.index]));
      for (const pubkey of unknown) indices.set(pubkey, found.get(pubkey) ?? null);
    } catch (error) {
      if (signal?.aborted === true || !isStakeopsError(error)) throw error;
    }
    return indices;
  }

  // ----- import -----

  private async import(keys: readonly OpenMigrationKey[], summary: TickSummary, signal?: AbortSignal): Promise<void> {
    for (const group of byMigration(keys)) {
      signal?.throwIfAborted();
      const to = (group[0] as OpenMigrationKey).to_client_id;
      const live = new Map((await this.deps.assignments.liveFor(group.map((k) => k.pubkey))).map((a) => [a.pubkey, a]));
      let held: ReadonlySet<string> | null | undefined;
      const send: OpenMigrationKey[] = [];
      for (const key of group) {
        const assignment = live.get(key.pubkey);
        if (assignment !== undefined && assignment.validator_client_id !== to) {
          await this.abort(key, "KEY_ASSIGNED_ELSEWHERE", `another validator client (${assignment.validator_client_id}) holds the key now; it was not imported`, summary);
          continue;
        }
        if (assignment?.state === "active") {
          await this.finish(key, summary);
          continue;
        }
        if (assignment === undefined && key.import_attempts === 0) {
          send.push(key);
          continue;
        }
        // An import in doubt: sent before a crash or a lost answer. The destination's own list decides.
        held ??= await this.heldBy(to, signal);
        if (held === null) continue;
        const at = isoNow(this.deps.clock);
        if (held.has(key.pubkey)) {
          if (assignment !== undefined) await this.deps.assignments.setState(assignment.id, "active", at);
          else if (!(await this.claimFound(key, to, at))) {
            await this.abort(key, "KEY_ASSIGNED_ELSEWHERE", "the destination holds the key, but another client is recorded as holding it too; the inventory flags this", summary);
            continue;
          }
          await this.finish(key, summary);
        } else if (this.settled(key)) {
          if (assignment !== undefined) await this.deps.assignments.setState(assignment.id, "removed", at);
          send.push(key);
        }
      }
      if (send.length > 0) await this.send(to, send, summary);
    }
  }

  private async send(to: string, keys: readonly OpenMigrationKey[], summary: TickSummary): Promise<void> {
    const blocked = (await this.deps.importGate?.blocked(keys.map((k) => k.pubkey))) ?? new Map<string, string>();
    const sending: OpenMigrationKey[] = [];
    for (const key of keys) {
      const reason = blocked.get(key.pubkey);
      if (reason !== undefined) await this.abort(key, "KEY_AT_RISK", `not imported: ${reason}`, summary);
      else if (key.protection === null) await this.abort(key, "PROTECTION_UNREADABLE", "the merged slashing protection was not stored", summary);
      else if (key.import_attempts >= this.maxImportAttempts) {
        await this.abort(key, "IMPORT_FAILED", `${key.import_attempts} imports failed with the key absent from the destination afterwards`, summary);
      } else {
        // Counted before the call (compare-and-set): a crash never hides a sent import, and a second driver sends nothing.
        const at = isoNow(this.deps.clock);
        const counted = await this.deps.migrations.advance(
          key.migration_id,
          key.pubkey,
          { state: "importing", importAttempts: key.import_attempts },
          { import_attempts: key.import_attempts + 1, import_sent_at: at },
          at,
        );
        if (counted) sending.push(key);
      }
    }
    if (sending.length === 0) return;
    const migrationId = (sending[0] as OpenMigrationKey).migration_id;
    let results: TransferResult[];
    try {
      const slashingProtection = protectionForImport(sending.map((k) => k.protection as string));
      results = await this.deps.transfer.importKeys(to, sending.map((k) => k.pubkey), { migrationId, ...(slashingProtection === undefined ? {} : { slashingProtection }) });
    } catch (error) {
      // A StakeopsError here came before anything was sent (custody, client, protection): it will not pass by itself.
      if (!isStakeopsError(error)) throw error;
      for (const key of sending) await this.abort(key, "IMPORT_FAILED", `the import could not be prepared (${error.code}: ${error.message})`, summary);
      return;
    }
    for (const [i, key] of sending.entries()) {
      const result = results[i];
      const current = { ...key, import_attempts: key.import_attempts + 1 };
      if (result === undefined || result.status === "unknown") continue; // settled from the destination's list next tick
      if (result.status === "imported" || result.status === "duplicate") await this.finish(current, summary);
      else if (result.code === "VALIDATOR_CLIENT_REFUSED") await this.abort(current, "DESTINATION_REFUSED", `the destination refused the key: ${result.message}`, summary);
      else if (result.code === "KEY_AT_RISK") await this.abort(current, "KEY_AT_RISK", result.message, summary);
      else if (result.status === "rejected" && result.code !== "KEY_ALREADY_IN_CLIENT" && result.code !== "KEY_ASSIGNED_ELSEWHERE") {
        await this.abort(current, "IMPORT_FAILED", `the import was refused (${result.code ?? "rejected"}: ${result.message})`, summary);
      }
      // Otherwise (a failed call with the key confirmed absent, a claim in the way): the next tick looks again.
    }
  }

  /** The destination holds the key but no claim is recorded (a slow import landed after its claim was dropped): record it. */
  private async claimFound(key: OpenMigrationKey, to: string, at: string): Promise<boolean> {
    try {
      await this.deps.assignments.insert({ id: randomUUID(), pubkey: key.pubkey, validator_client_id: to, state: "active", created_at: at, updated_at: at });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** No import of this key can still be under way in the destination. */
  private settled(key: OpenMigrationKey): boolean {
    return key.import_sent_at === null || this.deps.clock.now().getTime() >= new Date(key.import_sent_at).getTime() + this.importSettleMs;
  }

  // ----- shared -----

  /** Keys the client lists now (local and remote), or null if it does not answer. */
  private async heldBy(validatorClientId: string, signal?: AbortSignal): Promise<ReadonlySet<string> | null> {
    try {
      const { api } = await this.deps.clients.api(validatorClientId);
      const [local, remote] = await Promise.all([api.listKeystores(signal), api.listRemoteKeys(signal)]);
      return new Set([...local, ...(remote ?? [])].map((k) => k.pubkey.toLowerCase()));
    } catch (error) {
      if (signal?.aborted === true || !isStakeopsError(error)) throw error;
      return null;
    }
  }

  private pastDeadline(key: OpenMigrationKey): boolean {
    return this.deps.clock.now().getTime() >= new Date(key.deadline_at).getTime();
  }

  private async advance(key: OpenMigrationKey, changes: KeyMigrationChanges): Promise<boolean> {
    return this.deps.migrations.advance(key.migration_id, key.pubkey, { state: key.state }, changes, isoNow(this.deps.clock));
  }

  private async finish(key: OpenMigrationKey, summary: TickSummary): Promise<void> {
    const at = isoNow(this.deps.clock);
    if (await this.advance(key, { state: "done", finished_at: at })) {
      summary.imported++;
      this.deps.events?.finished("done", null);
      this.deps.logger.info({ migrationId: key.migration_id, pubkey: key.pubkey, to: key.to_client_id }, "key migrated");
    }
  }

  private async abort(key: OpenMigrationKey, code: AbortCode, message: string, summary: TickSummary, progress: KeyMigrationChanges = {}): Promise<void> {
    const at = isoNow(this.deps.clock);
    if (!(await this.advance(key, { ...progress, state: "aborted", abort_code: code, abort_message: message, finished_at: at }))) return;
    summary.aborted++;
    this.deps.events?.finished("aborted", code);
    const fields = { migrationId: key.migration_id, pubkey: key.pubkey, code, keyIn: ABORT_CODES[code] };
    if (code === "STILL_LIVE") this.deps.logger.error(fields, `key migration aborted: ${message}`);
    else this.deps.logger.warn(fields, `key migration aborted: ${message}`);
  }
}

function byMigration(keys: readonly OpenMigrationKey[]): OpenMigrationKey[][] {
  const groups = new Map<string, OpenMigrationKey[]>();
  for (const key of keys) groups.set(key.migration_id, [...(groups.get(key.migration_id) ?? []), key]);
  return [...groups.values()];
}
