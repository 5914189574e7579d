/**
 * The directory's change log for users, which Graph's `users/delta` reads
 * (docs/graph-behaviours.md#users-delta).
 *
 * Every change to a user takes the next value of one monotonically increasing counter and stamps
 * it on the properties it touched; a deleted user leaves a tombstone stamped the same way. A delta
 * token is then just "the counter value at which a round finished" plus the log's `epoch`, which
 * is new for every built directory, so that a seed replacement makes every older token stale.
 *
 * Only the functions of `tenant/directory.ts` record changes. A test that assigns to a user's
 * fields directly changes the user without a trace here, exactly as if the change had not
 * reached Graph's change-tracking store yet.
 */
import { randomUUID } from 'node:crypto';
import type { DirectoryUser, UserChangeLog } from './types';

/** The pseudo-property stamped when a user is created (or restored): everything about them is new. */
export const CREATED = '@created';
/** The pseudo-property stamped when a user's manager link changes. */
export const MANAGER = 'manager';

export function newUserChangeLog(): UserChangeLog {
  return { epoch: randomUUID(), counter: 0, versions: new Map(), previousManagers: new Map(), tombstones: new Map(), order: null };
}

/** Stamps `properties` of a user with the next counter value. */
export function recordUserChange(log: UserChangeLog, userId: string, properties: readonly string[]): void {
  if (properties.length === 0) return;
  log.counter += 1;
  let versions = log.versions.get(userId);
  if (versions === undefined) {
    versions = new Map();
    log.versions.set(userId, versions);
  }
  for (const p of properties) versions.set(p, log.counter);
}

/** A created (or re-added) user: no tombstone any more, and every property counts as changed. */
export function recordUserCreated(log: UserChangeLog, userId: string): void {
  log.tombstones.delete(userId);
  log.order = null;
  recordUserChange(log, userId, [CREATED]);
}

/** Remembers the manager being replaced, so that a later removal can name it (`manager@delta`). */
export function recordManagerChange(log: UserChangeLog, userId: string, previousManagerId: string | null): void {
  log.previousManagers.set(userId, previousManagerId);
  recordUserChange(log, userId, [MANAGER]);
}

/**
 * A deleted user: `changed` when it went to the deleted items (restorable, what `DELETE /users/{id}`
 * does), `deleted` when it is gone for good.
 */
export function recordUserDeleted(log: UserChangeLog, userId: string, reason: 'changed' | 'deleted'): void {
  log.counter += 1;
  log.versions.delete(userId);
  log.previousManagers.delete(userId);
  log.tombstones.set(userId, { at: log.counter, reason });
  log.order = null;
}

/** Fields Graph never shows (sign-in secrets, app roles held on another resource): no change to track. */
const UNTRACKED = new Set(['password', 'totpSecret', 'appRoles']);

/** The names of the Graph-visible fields of a patch whose values differ from the user's current ones. */
export function changedFields(user: DirectoryUser, patch: Record<string, unknown>): string[] {
  const current = user as unknown as Record<string, unknown>;
  return Object.keys(patch).filter((k) => !UNTRACKED.has(k) && patch[k] !== undefined && JSON.stringify(patch[k]) !== JSON.stringify(current[k]));
}

/**
 * Every user id the log can answer for (live users and tombstones), sorted, so that a delta round
 * can page with an "after this id" cursor that stays valid while the directory changes. Cached
 * until a user is created or deleted.
 */
export function orderedUserIds(log: UserChangeLog, liveIds: Iterable<string>): readonly string[] {
  if (log.order === null) {
    const ids = new Set<string>(liveIds);
    for (const id of log.tombstones.keys()) ids.add(id);
    log.order = [...ids].sort();
  }
  return log.order;
}

/** The counter value of a user's latest change among `properties` (null: any property), or -1. */
export function lastChangeOf(log: UserChangeLog, userId: string, properties: readonly string[] | null): number {
  const versions = log.versions.get(userId);
  if (versions === undefined) return -1;
  let latest = versions.get(CREATED) ?? -1;
  for (const [p, at] of versions) {
    if (p === CREATED) continue;
    if (properties === null ? p !== MANAGER : properties.includes(p)) latest = Math.max(latest, at);
  }
  return latest;
}
