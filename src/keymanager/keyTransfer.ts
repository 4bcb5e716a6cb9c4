/**
 * Moving keys in and out of validator clients through the Keymanager API, without ever letting a
 * key run in two clients:
 * - import: only keys in custody, of the client's operator, not live in any other client (a
 *   database constraint backs this across instances), with every slashing protection record kept
 *   for them. Each key travels in a fresh keystore with a random one-time password, so the client
 *   never learns the service password.
 * - remove: the client's slashing protection for the keys is kept before the key is marked gone.
 * When a call's outcome is unknown (timeout, connection lost), the key stays marked as possibly
 * live in that client: blocking an import elsewhere is the safe side of doubt.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { isStakeopsError } from "../errors.js";
import { encryptKeystore, serializeKeystore } from "../keygen/keystore.js";
import { isoNow, type Clock } from "../registry/clock.js";
import type { KeyCustody } from "../registry/custody.js";
import { normalizePubkey } from "../registry/keyRegistration.js";
import type { BlockingSignalSource } from "../risk/riskService.js";
import { isUniqueViolation } from "../store/constraint.js";
import type { KeyAssignmentRow, KeyAssignmentsRepository } from "../store/keyAssignments.js";
import type { OperatorsRepository } from "../store/operators.js";
import type { SlashingProtectionRepository } from "../store/slashingProtection.js";
import type { ValidatorKeysRepository } from "../store/validatorKeys.js";
import type { KeymanagerApi } from "./keymanagerApi.js";
import { combineInterchanges, interchangeFor, parseInterchange, type Interchange } from "./slashingProtection.js";
import type { ValidatorClient, ValidatorClientService } from "./validatorClientService.js";

export type TransferOutcome = "imported" | "duplicate" | "deleted" | "not_active" | "not_found" | "rejected" | "error" | "unknown";

export interface TransferResult {
  readonly pubkey: string;
  readonly status: TransferOutcome;
  readonly code?: string;
  readonly message: string;
}

export interface RemoveResponse {
  readonly results: readonly TransferResult[];
  /** The EIP-3076 interchange the client returned, as it returned it. */
  readonly slashingProtection: string | null;
}

export interface ImportOptions {
  /** EIP-3076 interchange JSON to send instead of the kept records combined (a migration sends the strictly merged history). */
  readonly slashingProtection?: string;
  /** The migration this import completes: its own keys are not refused as being migrated. */
  readonly migrationId?: string;
}

/** Keys in an open migration (pubkey → migration id): nothing else may import them meanwhile. */
export interface MigrationLookup {
  openFor(pubkeys: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

export interface KeyTransferDependencies {
  readonly clients: ValidatorClientService;
  readonly operators: OperatorsRepository;
  readonly keys: ValidatorKeysRepository;
  readonly assignments: KeyAssignmentsRepository;
  readonly protection: SlashingProtectionRepository;
  /** Open critical risk signals (a key in two clients, a doppelganger, slashed, …) block imports. */
  readonly risk: BlockingSignalSource;
  readonly custody: KeyCustody;
  readonly clock: Clock;
  readonly migrations?: MigrationLookup;
}

export class KeyTransfer {
  constructor(private readonly deps: KeyTransferDependencies) {}

  async importKeys(validatorClientId: string, requested: readonly string[], options: ImportOptions = {}): Promise<TransferResult[]> {
    const { client, api } = await this.deps.clients.api(validatorClientId);
    const operator = await this.deps.operators.findById(client.operatorId);
    if (operator === undefined) throw new Error(`validator client ${client.id} has no operator`);
    const results = new Results(requested);
    const candidates = await this.checkImport(client, requested, results, options.migrationId);

    // Claim each key for this client first; the unique index refuses a key live elsewhere.
    const claimed: { pubkey: string; assignment: KeyAssignmentRow }[] = [];
    for (const pubkey of candidates) {
      const at = isoNow(this.deps.clock);
      const assignment: KeyAssignmentRow = { id: randomUUID(), pubkey, validator_client_id: client.id, state: "importing", created_at: at, updated_at: at };
      try {
        await this.deps.assignments.insert(assignment);
        claimed.push({ pubkey, assignment });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        results.set(pubkey, { status: "rejected", code: "KEY_ASSIGNED_ELSEWHERE", message: "the key is (possibly) live in another validator client; remove it there first" });
      }
    }
    if (claimed.length === 0) return results.list();

    let keystores: string[];
    let passwords: string[];
    let protection: string | undefined;
    try {
      ({ keystores, passwords } = await this.transferKeystores(operator.name, claimed.map((c) => c.pubkey)));
      protection = options.slashingProtection ?? (await this.keptProtection(claimed.map((c) => c.pubkey)));
    } catch (error) {
      await Promise.all(claimed.map((c) => this.deps.assignments.delete(c.assignment.id)));
      throw error;
    }

    let statuses: Awaited<ReturnType<KeymanagerApi["importKeystores"]>>;
    try {
      statuses = await api.importKeystores({ keystores, passwords, ...(protection === undefined ? {} : { slashingProtection: protection }) });
    } catch (error) {
      if (!isStakeopsError(error)) throw error;
      await this.settleUnknownImport(api, claimed, results, error.code, error.message);
      return results.list();
    }
    for (const [i, { pubkey, assignment }] of claimed.entries()) {
      const status = statuses[i];
      if (status !== undefined && (status.status === "imported" || status.status === "duplicate")) {
        await this.deps.assignments.setState(assignment.id, "active", isoNow(this.deps.clock));
        results.set(pubkey, { status: status.status, message: status.message });
      } else {
        await this.deps.assignments.delete(assignment.id);
        results.set(pubkey, { status: "error", code: "VALIDATOR_CLIENT_REFUSED", message: status?.message ?? "the client gave no status for this key" });
      }
    }
    return results.list();
  }

  async removeKeys(validatorClientId: string, requested: readonly string[]): Promise<RemoveResponse> {
    const { client, api } = await this.deps.clients.api(validatorClientId);
    const results = new Results(requested);
    const pubkeys: string[] = [];
    const registered = new Map((await this.deps.keys.findByPubkeys(requested.flatMap((p) => normalizePubkey(p) ?? []))).map((k) => [k.pubkey, k]));
    requested.forEach((raw, index) => {
      const pubkey = normalizePubkey(raw);
      if (pubkey === null) results.reject(index, "PUBKEY_INVALID", "not a 48-byte 0x-hex BLS pubkey");
      else if (registered.get(pubkey)?.operator_id !== client.operatorId) results.reject(index, "KEY_NOT_FOUND", "no such key registered for this validator client's operator");
      else if (pubkeys.includes(pubkey)) results.reject(index, "DUPLICATE_IN_BATCH", "the same pubkey is twice in this request");
      else pubkeys.push(pubkey);
    });
    if (pubkeys.length === 0) return { results: results.list(), slashingProtection: null };

    const live = new Map((await this.deps.assignments.liveFor(pubkeys)).filter((a) => a.validator_client_id === client.id).map((a) => [a.pubkey, a]));
    for (const assignment of live.values()) await this.deps.assignments.setState(assignment.id, "removing", isoNow(this.deps.clock));

    let deleted: Awaited<ReturnType<KeymanagerApi["deleteKeystores"]>>;
    try {
      deleted = await api.deleteKeystores(pubkeys);
    } catch (error) {
      if (!isStakeopsError(error)) throw error;
      // Unknown outcome: the keys stay "removing", i.e. possibly live here, until the inventory says otherwise.
      for (const pubkey of pubkeys) results.set(pubkey, { status: "unknown", code: error.code, message: error.message });
      return { results: results.list(), slashingProtection: null };
    }
    await this.keepProtection(client, pubkeys, deleted.slashingProtection);
    // Trust, but verify: a client that answers "deleted" must also stop listing the key.
    // (Lodestar 1.5.1 answers "deleted" for an active validator's key and keeps signing with it.)
    const stillHeld = await this.heldKeys(api);
    for (const [i, pubkey] of pubkeys.entries()) {
      const status = deleted.statuses[i];
      const assignment = live.get(pubkey);
      const at = isoNow(this.deps.clock);
      if (status !== undefined && status.status !== "error" && stillHeld !== null && stillHeld.has(pubkey)) {
        if (assignment !== undefined) await this.deps.assignments.setState(assignment.id, "active", at);
        results.set(pubkey, {
          status: "error",
          code: "VALIDATOR_CLIENT_STILL_HOLDS_KEY",
          message:
            `the client answered "${status.status}" but still lists the key, so it may still sign with it; the key stays assigned to this client. ` +
            "Restart the validator client (its keystore file is gone) and let the inventory confirm, or remove the key by hand",
        });
      } else if (status !== undefined && status.status !== "error" && stillHeld === null) {
        results.set(pubkey, {
          status: "unknown",
          code: "VALIDATOR_CLIENT_UNCONFIRMED",
          message: `the client answered "${status.status}" but could not be asked to confirm; the key stays blocked from other clients until the inventory shows it gone`,
        });
      } else if (status !== undefined && status.status !== "error") {
        if (assignment !== undefined) await this.deps.assignments.setState(assignment.id, "removed", at);
        results.set(pubkey, { status: status.status, message: status.message });
      } else {
        if (assignment !== undefined) await this.deps.assignments.setState(assignment.id, "active", at);
        results.set(pubkey, { status: "error", code: "VALIDATOR_CLIENT_REFUSED", message: status?.message ?? "the client gave no status for this key" });
      }
    }
    return { results: results.list(), slashingProtection: deleted.slashingProtection };
  }

  /** The keys a client lists now (local and remote), or null if it cannot say. */
  private async heldKeys(api: KeymanagerApi): Promise<Set<string> | null> {
    try {
      const [local, remote] = await Promise.all([api.listKeystores(), api.listRemoteKeys()]);
      return new Set([...local, ...(remote ?? [])].map((k) => k.pubkey.toLowerCase()));
    } catch {
      return null;
    }
  }

  private async checkImport(client: ValidatorClient, requested: readonly string[], results: Results, migrationId: string | undefined): Promise<string[]> {
    const normalized = requested.map(normalizePubkey);
    normalized.forEach((pubkey, index) => {
      if (pubkey === null) results.reject(index, "PUBKEY_INVALID", "not a 48-byte 0x-hex BLS pubkey");
    });
    const valid = normalized.filter((p): p is string => p !== null);
    const keys = new Map((await this.deps.keys.findByPubkeys(valid)).map((k) => [k.pubkey, k]));
    const live = new Map((await this.deps.assignments.liveFor(valid)).map((a) => [a.pubkey, a]));
    const blocking = await this.deps.risk.blockingSignals(valid);
    const migrating = (await this.deps.migrations?.openFor(valid)) ?? new Map<string, string>();
    const seen = new Set<string>();
    return normalized.flatMap((pubkey, index) => {
      if (pubkey === null) return [];
      const key = keys.get(pubkey);
      const assignment = live.get(pubkey);
      const reject = (code: string, message: string): [] => {
        results.reject(index, code, message);
        return [];
      };
      if (seen.has(pubkey)) return reject("DUPLICATE_IN_BATCH", "the same pubkey is twice in this request");
      seen.add(pubkey);
      if (key === undefined || key.operator_id !== client.operatorId) return reject("KEY_NOT_FOUND", "no such key registered for this validator client's operator");
      if (key.in_custody !== 1) return reject("KEY_NOT_IN_CUSTODY", "the service holds no keystore for this key; only keys in custody are imported");
      const migration = migrating.get(pubkey);
      if (migration !== undefined && migration !== migrationId) {
        return reject("KEY_MIGRATING", `the key is being migrated (migration ${migration}); it is imported by the migration once it is confirmed offline`);
      }
      if (assignment !== undefined && assignment.validator_client_id !== client.id) {
        return reject("KEY_ASSIGNED_ELSEWHERE", "the key is (possibly) live in another validator client; remove it there first so its slashing protection is carried over");
      }
      if (assignment !== undefined) return reject("KEY_ALREADY_IN_CLIENT", "the key is already assigned to this validator client");
      const risks = blocking.get(pubkey);
      if (risks !== undefined) {
        return reject("KEY_AT_RISK", `open critical risk signal(s) on this key: ${[...new Set(risks.map((r) => r.kind))].join(", ")}; resolve them first (GET /api/v1/risk)`);
      }
      return [pubkey];
    });
  }

  private async transferKeystores(operatorName: string, pubkeys: readonly string[]): Promise<{ keystores: string[]; passwords: string[] }> {
    const keystores: string[] = [];
    const passwords: string[] = [];
    for (const pubkey of pubkeys) {
      const { secretKey, path } = await this.deps.custody.open(operatorName, pubkey);
      try {
        const password = randomBytes(24).toString("base64url");
        // pbkdf2 (EIP-2335 default c = 2^18): the client decrypts each key once, ~50 ms instead of scrypt's ~1 s.
        const keystore = await encryptKeystore(secretKey, password, { kdf: "pbkdf2", path });
        keystores.push(serializeKeystore(keystore));
        passwords.push(password);
      } finally {
        secretKey.fill(0);
      }
    }
    return { keystores, passwords };
  }

  private async keptProtection(pubkeys: readonly string[]): Promise<string | undefined> {
    const kept = await this.deps.protection.forPubkeys(pubkeys);
    const combined = combineInterchanges(kept.map((row) => parseInterchange(row.interchange)));
    return combined === null ? undefined : JSON.stringify(combined);
  }

  private async keepProtection(client: ValidatorClient, pubkeys: readonly string[], returned: string): Promise<void> {
    let interchange: Interchange | null = null;
    try {
      interchange = parseInterchange(returned);
    } catch {
      interchange = null;
    }
    const at = isoNow(this.deps.clock);
    await this.deps.protection.insertMany(
      pubkeys.map((pubkey) => ({
        id: randomUUID(),
        pubkey,
        validator_client_id: client.id,
        // Unparseable protection is kept verbatim: never throw away what a client gave back.
        interchange: interchange === null ? returned : JSON.stringify(interchangeFor(interchange, pubkey)),
        created_at: at,
      })),
    );
  }

  /** After a failed import call: ask the client what it holds; if it cannot say, keep the keys blocked. */
  private async settleUnknownImport(
    api: KeymanagerApi,
    claimed: readonly { pubkey: string; assignment: KeyAssignmentRow }[],
    results: Results,
    code: string,
    message: string,
  ): Promise<void> {
    const present = await this.heldKeys(api);
    for (const { pubkey, assignment } of claimed) {
      if (present === null) {
        results.set(pubkey, { status: "unknown", code, message: `${message}; the key stays blocked from other clients until the client's inventory shows whether it was imported` });
      } else if (present.has(pubkey)) {
        await this.deps.assignments.setState(assignment.id, "active", isoNow(this.deps.clock));
        results.set(pubkey, { status: "imported", message: "imported (confirmed from the client's inventory after an error)" });
      } else {
        await this.deps.assignments.delete(assignment.id);
        results.set(pubkey, { status: "error", code, message });
      }
    }
  }
}

/**
 * One result per requested entry, in request order. A pubkey's outcome (set by pubkey) goes to the
 * first entry that named it; later entries naming it again were rejected as duplicates by index.
 */
class Results {
  private readonly byIndex = new Map<number, TransferResult>();

  constructor(private readonly requested: readonly string[]) {}

  reject(index: number, code: string, message: string): void {
    this.byIndex.set(index, { pubkey: this.requested[index] ?? "", status: "rejected", code, message });
  }

  set(pubkey: string, result: Omit<TransferResult, "pubkey">): void {
    const index = this.requested.findIndex((raw, i) => normalizePubkey(raw) === pubkey && !this.isRejected(i));
    if (index >= 0) this.byIndex.set(index, { pubkey, ...result });
  }

  list(): TransferResult[] {
    return this.requested.map((raw, index) => this.byIndex.get(index) ?? { pubkey: raw, status: "error", message: "no result" });
  }

  private isRejected(index: number): boolean {
    return this.byIndex.get(index)?.status === "rejected";
  }
}
