/**
 * Which keys must not be signing anywhere right now: the input of the doppelganger check. A key
 * that is live on chain although every client the service knows has let go of it runs somewhere
 * else, and importing it anywhere would make it sign twice.
 *
 * Other modules add their own sources: safe key migration, for one, knows keys that are between
 * two clients ("removed from the old one at T, not yet imported into the new one") and lists them
 * through this same interface; app.ts hands every source to the check.
 */
import type { KeyAssignmentsRepository } from "../store/keyAssignments.js";

export interface OfflineExpectation {
  readonly pubkey: string;
  /** The validator index when the source knows it; otherwise the registry's is used. */
  readonly validatorIndex: number | null;
  /**
   * ISO-8601 time from which the key must be silent. Liveness is judged only in epochs that begin
   * after it: the epoch of the removal itself may hold the key's last legitimate vote.
   */
  readonly since: string;
  /** Why the key should be offline, for the signal's details (e.g. "removed", "migrating"). */
  readonly reason: string;
}

export interface OfflineExpectations {
  /**
   * The keys expected offline now. `after` is the oldest `since` the check still looks at (its
   * window); a source may return older ones, and the check leaves them out.
   */
  expectedOffline(after: Date, signal?: AbortSignal): Promise<readonly OfflineExpectation[]>;
}

/** Keys whose latest assignment is `removed` (and none live): the client let go of them through the service. */
export class RemovedKeysExpectations implements OfflineExpectations {
  constructor(private readonly deps: { readonly assignments: Pick<KeyAssignmentsRepository, "removedSince"> }) {}

  async expectedOffline(after: Date): Promise<OfflineExpectation[]> {
    return (await this.deps.assignments.removedSince(after.toISOString())).map((r) => ({ pubkey: r.pubkey, validatorIndex: null, since: r.removedAt, reason: "removed" }));
  }
}
