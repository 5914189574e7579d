import 'server-only';
import { z } from 'zod';
import { callGraph, getGraphVersionBase, GraphRequestError } from '@/lib/graph/client';
import { toRelativeGraphUrl } from '@/lib/graph/paged-reads';

/**
 * Graph's users delta, read one round at a time for the org-chart mirror. What Graph promises and
 * what a client must rely on is in docs/graph-behaviours.md#users-delta; this module turns its
 * pages into plain changes and leaves storing them to the caller (lib/broker/sync-org-mirror.ts).
 */

/** The properties the mirror tracks; with `$select`, Graph reports only changes to these. */
export const USERS_DELTA_SELECT = 'displayName,userPrincipalName,accountEnabled,userType,jobTitle,department,employeeHireDate,manager';
/** Graph's maximum page for directory objects in a delta round (and its default). */
export const USERS_DELTA_MAX_PAGE_SIZE = 200;

/** One user as a round reports them. */
export type UserDeltaChange =
  | { id: string; removed: true }
  | {
      id: string;
      removed: false;
      displayName: string | null;
      userPrincipalName: string;
      accountEnabled: boolean | null;
      userType: string | null;
      jobTitle: string | null;
      department: string | null;
      /** As Graph has it (ISO 8601). */
      employeeHireDate: string | null;
      /** undefined: the round said nothing about the manager; null: none (or removed). */
      managerId: string | null | undefined;
    };

export type UsersDeltaPage =
  | { kind: 'page'; changes: UserDeltaChange[]; /** Set on the round's last page only. */ deltaLink: string | null }
  /** Graph holds no state for the link any more (410, or an expired token): start again from scratch. */
  | { kind: 'resync' };

const managerEntrySchema = z.looseObject({ id: z.string().min(1), '@removed': z.looseObject({}).optional() });

const removedUserSchema = z.looseObject({ id: z.string().min(1), '@removed': z.looseObject({ reason: z.string().optional() }) });

// No `Prefer: return=minimal` is sent, so every selected property comes with every user (its
// current value); a missing one is a shape we did not plan for, not "unchanged".
const presentUserSchema = z.looseObject({
  id: z.string().min(1),
  displayName: z.string().nullable(),
  userPrincipalName: z.string().min(1),
  accountEnabled: z.boolean().nullable(),
  userType: z.string().nullable(),
  jobTitle: z.string().nullable(),
  department: z.string().nullable(),
  employeeHireDate: z.string().nullable(),
  'manager@delta': z.array(managerEntrySchema).optional(),
});

const pageSchema = z.looseObject({
  value: z.array(z.looseObject({ id: z.string().min(1) })),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
});

function toChange(item: unknown): UserDeltaChange {
  const removed = removedUserSchema.safeParse(item);
  if (removed.success) return { id: removed.data.id, removed: true };
  const parsed = presentUserSchema.safeParse(item);
  if (!parsed.success) throw new GraphRequestError('Graph answered users delta with a user of an unexpected shape', 200);
  const user = parsed.data;
  const entries = user['manager@delta'];
  // An entry without `@removed` is the manager; only removed entries (or none) mean "cleared".
  const managerId = entries === undefined ? undefined : (entries.find((e) => e['@removed'] === undefined)?.id ?? null);
  return {
    id: user.id,
    removed: false,
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName,
    accountEnabled: user.accountEnabled,
    userType: user.userType,
    jobTitle: user.jobTitle,
    department: user.department,
    employeeHireDate: user.employeeHireDate,
    managerId,
  };
}

function isOnGraphBase(link: string, versionBase: string): boolean {
  try {
    toRelativeGraphUrl(link, versionBase);
    return true;
  } catch {
    return false;
  }
}

function isStaleSyncState(error: unknown): boolean {
  return error instanceof GraphRequestError && (error.status === 410 || error.graphCode === 'syncStateNotFound');
}

/**
 * One users delta round: from `deltaLink` (changes since the round that returned it), or from
 * scratch when it is null (every user, with `$select` — query options go on the first request
 * only). Yields each page's changes in order; the last page carries the next `deltaLink`, the
 * only link worth storing. A stale link (410, `syncStateNotFound`, or a link off the configured
 * Graph base) yields `{ kind: 'resync' }` and ends the round. Links are followed only on the
 * configured Graph base, so a stored link never sends the token elsewhere.
 * Other failures throw as `callGraph` does; the link is never put into an error.
 */
export async function* readUsersDelta(deltaLink: string | null, options: { pageSize?: number } = {}): AsyncGenerator<UsersDeltaPage> {
  const pageSize = Math.min(options.pageSize ?? USERS_DELTA_MAX_PAGE_SIZE, USERS_DELTA_MAX_PAGE_SIZE);
  const headers = { Prefer: `odata.maxpagesize=${pageSize}` };
  const versionBase = getGraphVersionBase();
  let url = `/users/delta?$select=${USERS_DELTA_SELECT}`;
  if (deltaLink !== null) {
    // A link from another Graph base (GRAPH_BASE_URL changed since it was stored) is never sent;
    // the round starts over instead of failing on every run.
    if (!isOnGraphBase(deltaLink, versionBase)) {
      yield { kind: 'resync' };
      return;
    }
    url = toRelativeGraphUrl(deltaLink, versionBase);
  }
  for (;;) {
    let page: z.infer<typeof pageSchema>;
    try {
      page = await callGraph({ method: 'GET', url, headers }, pageSchema);
    } catch (error) {
      if (!isStaleSyncState(error)) throw error;
      yield { kind: 'resync' };
      return;
    }
    const changes = page.value.map(toChange);
    const next = page['@odata.nextLink'];
    const last = page['@odata.deltaLink'];
    if (next === undefined && last === undefined) throw new GraphRequestError('Graph answered users delta with neither a nextLink nor a deltaLink', 200);
    if (next === undefined) {
      yield { kind: 'page', changes, deltaLink: last as string };
      return;
    }
    yield { kind: 'page', changes, deltaLink: null };
    url = toRelativeGraphUrl(next, versionBase);
  }
}
