/**
 * `GET /users/delta` (also `/users/microsoft.graph.delta`, with or without `()`): Graph's change
 * tracking for users, read from the directory's change log (tenant/user-changes.ts).
 *
 * A round pages through user ids in sorted order; the state token carries the round's lower
 * watermark (changes after it are returned), its upper watermark (where the next round starts),
 * the id cursor, the tracked `$select` and the `$filter` ids, plus the directory's epoch. The
 * behaviours it imitates, and where they are documented, are in docs/graph-behaviours.md#users-delta.
 */
import type { DirectoryUser, UserChangeLog } from '../types';
import { CREATED, MANAGER, lastChangeOf, orderedUserIds } from '../user-changes';
import { badRequest, errorResponse, graphRoot, jsonResponse, type GraphEnv, type GraphResponse } from './http';
import { parseSelect } from './odata';
import { USER_READ, requireDirectory } from './permissions';
import { DEFAULT_USER_PROPERTIES, USER_PROPERTIES, projectUser } from './users';

/** Graph's page size for directory objects in a delta round, and the most `odata.maxpagesize` gets. */
export const DELTA_PAGE_SIZE = 200;
/** "There is a limit of 50 filtered objects." */
export const DELTA_FILTER_ID_LIMIT = 50;

const TOKEN_PREFIX = 'LT'; // cosmetic; the rest is base64url JSON and opaque to clients
const USER_TYPE = '#microsoft.graph.user';
const QUERY_OPTIONS_ALLOWED = ['$select', '$filter'];

/** `delta`, or the function's qualified name (`microsoft.graph.delta`, what SDKs send), with or without `()`. */
export function isDeltaSegment(segment: string): boolean {
  return /^(?:microsoft\.graph\.)?delta(?:\(\))?$/i.test(segment);
}

/** What a state token carries. `since` -1 is the initial round (every live user, no tombstones). */
interface DeltaState {
  kind: 'skip' | 'delta';
  epoch: string;
  since: number;
  /** Skip tokens only: where the next round starts, and the last id already returned. */
  upTo: number;
  after: string;
  /** null: no `$select` (default properties returned, every property tracked, manager not). */
  select: string[] | null;
  ids: string[] | null;
}

/** The directory fields a selectable property is computed from (for change tracking). */
function sourceFields(property: string): string[] {
  if (property === 'mailNickname') return ['userPrincipalName'];
  if (property === 'creationType' || property === 'externalUserState') return ['userType', 'userPrincipalName'];
  return [property];
}

function encodeState(s: DeltaState): string {
  const payload = { k: s.kind, e: s.epoch, s: s.since, u: s.upTo, a: s.after, sel: s.select, ids: s.ids };
  return TOKEN_PREFIX + Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function decodeState(token: string, kind: DeltaState['kind']): DeltaState | null {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  try {
    const p = JSON.parse(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8')) as Record<string, unknown>;
    const { k, e, s, u, a, sel, ids } = p;
    if (k !== kind || typeof e !== 'string' || !Number.isInteger(s) || !Number.isInteger(u) || typeof a !== 'string') return null;
    if (sel !== null && !isStringList(sel)) return null;
    if (ids !== null && !isStringList(ids)) return null;
    return { kind, epoch: e, since: s as number, upTo: u as number, after: a, select: sel, ids };
  } catch {
    return null;
  }
}

/** `$filter=id eq '…' or id eq '…'`: the only filter users delta takes, up to 50 ids. */
function parseIdFilter(raw: string | undefined): string[] | null {
  if (raw === undefined) return null;
  const ids = raw
    .trim()
    .split(/\s+or\s+/i)
    .map((clause) => /^id\s+eq\s+'([^']+)'$/i.exec(clause.trim())?.[1]);
  if (ids.length === 0 || ids.some((id) => id === undefined)) {
    throw badRequest("Unsupported filter expression for change tracking: only 'id eq' clauses joined by 'or' are supported.", 'Request_UnsupportedQuery');
  }
  if (ids.length > DELTA_FILTER_ID_LIMIT) {
    throw badRequest(`Too many ids in the filter: at most ${DELTA_FILTER_ID_LIMIT} objects can be tracked by id.`, 'Request_UnsupportedQuery');
  }
  return [...new Set((ids as string[]).map((id) => id.toLowerCase()))];
}

function refuseOtherOptions(env: GraphEnv, allowed: readonly string[]): void {
  for (const key of env.req.query.keys()) {
    if (!allowed.includes(key)) {
      throw badRequest(`The query option '${key}' is not supported with change tracking over the 'users' resource.`, 'Request_UnsupportedQuery');
    }
  }
}

function initialDeltaUrl(env: GraphEnv, select: string[] | null, ids: string[] | null): string {
  const params: string[] = [];
  if (select !== null) params.push(`$select=${select.join(',')}`);
  if (ids !== null) params.push(`$filter=${encodeURIComponent(ids.map((id) => `id eq '${id}'`).join(' or '))}`);
  return `${graphRoot(env.ctx, env.req.version)}/users/delta${params.length === 0 ? '' : `?${params.join('&')}`}`;
}

/** Thrown for a token Graph no longer holds state for; the answer is 410 with where to start over. */
class SyncStateGone extends Error {
  constructor(readonly state: DeltaState | null) {
    super('sync state not found');
  }
}

/** The round this request belongs to: from its token, or a new one from its query options. */
function stateOf(env: GraphEnv, log: UserChangeLog): DeltaState {
  const q = env.req.query;
  const skip = q.get('$skiptoken');
  const delta = q.get('$deltatoken');
  if (skip === undefined && delta === undefined) {
    refuseOtherOptions(env, QUERY_OPTIONS_ALLOWED);
    const selected = parseSelect(q.get('$select'), [...USER_PROPERTIES, MANAGER], 'microsoft.graph.user');
    return { kind: 'skip', epoch: log.epoch, since: -1, upTo: log.counter, after: '', select: selected, ids: parseIdFilter(q.get('$filter')) };
  }
  refuseOtherOptions(env, skip === undefined ? ['$deltatoken'] : ['$skiptoken']);
  const state = skip === undefined ? decodeState(delta as string, 'delta') : decodeState(skip, 'skip');
  const faults = env.ctx.faults;
  if (faults.deltaResyncNext > 0) {
    faults.deltaResyncNext -= 1;
    throw new SyncStateGone(state);
  }
  if (state === null || state.epoch !== log.epoch || state.since > log.counter) throw new SyncStateGone(state);
  // A deltaLink starts the next round: from where the last one ended up to now.
  if (state.kind === 'delta') return { ...state, kind: 'skip', upTo: log.counter, after: '' };
  return state;
}

function preferences(env: GraphEnv): { maxPageSize: number; minimal: boolean } {
  let maxPageSize = DELTA_PAGE_SIZE;
  let minimal = false;
  for (const pref of (env.req.headers['prefer'] ?? '').split(',')) {
    const [name = '', value = ''] = pref.split('=').map((s) => s.trim().toLowerCase());
    if (name === 'odata.maxpagesize' && /^\d+$/.test(value) && Number(value) >= 1) maxPageSize = Math.min(Number(value), DELTA_PAGE_SIZE);
    if (name === 'return' && value === 'minimal') minimal = true;
  }
  return { maxPageSize, minimal };
}

/** `manager@delta`: the current manager, or the removed one (or nothing known) when it was cleared. */
function managerDelta(env: GraphEnv, user: DirectoryUser): Record<string, unknown>[] {
  if (user.managerId !== null) return [{ '@odata.type': USER_TYPE, id: user.managerId }];
  const previous = env.ctx.directory.userChanges.previousManagers.get(user.id) ?? null;
  return previous === null ? [] : [{ '@odata.type': USER_TYPE, id: previous, '@removed': { reason: 'deleted' } }];
}

function changedSince(log: UserChangeLog, userId: string, properties: readonly string[], since: number): boolean {
  return lastChangeOf(log, userId, properties) > since;
}

/** One user as the round reports it, or null when nothing it tracks changed. */
function deltaItem(env: GraphEnv, state: DeltaState, user: DirectoryUser, minimal: boolean): Record<string, unknown> | null {
  const log = env.ctx.directory.userChanges;
  const initial = state.since < 0;
  const created = initial || (log.versions.get(user.id)?.get(CREATED) ?? -1) > state.since;
  const selected = state.select ?? [...DEFAULT_USER_PROPERTIES];
  const properties = selected.filter((p) => p !== MANAGER);
  const tracksManager = state.select?.includes(MANAGER) === true;
  const managerChanged = tracksManager && changedSince(log, user.id, [MANAGER], state.since);
  const tracked = state.select === null ? null : properties.flatMap(sourceFields);
  if (!created && !managerChanged && !(lastChangeOf(log, user.id, tracked) > state.since)) return null;
  const shown = created || !minimal ? properties : properties.filter((p) => changedSince(log, user.id, sourceFields(p), state.since));
  const item: Record<string, unknown> = { ...projectUser(user, shown), id: user.id };
  if (tracksManager && (created ? user.managerId !== null : managerChanged)) item['manager@delta'] = managerDelta(env, user);
  return item;
}

function deltaLink(env: GraphEnv, state: DeltaState): string {
  return `${graphRoot(env.ctx, env.req.version)}/users/delta?$deltatoken=${encodeState({ ...state, kind: 'delta', since: state.upTo, upTo: state.upTo, after: '' })}`;
}

function page(env: GraphEnv, state: DeltaState, value: Record<string, unknown>[], nextAfter: string | null): GraphResponse {
  const root = graphRoot(env.ctx, env.req.version);
  const select = state.select === null ? '' : `(${state.select.join(',')})`;
  const body: Record<string, unknown> = { '@odata.context': `${root}/$metadata#users${select}` };
  if (nextAfter !== null) body['@odata.nextLink'] = `${root}/users/delta?$skiptoken=${encodeState({ ...state, after: nextAfter })}`;
  else body['@odata.deltaLink'] = deltaLink(env, state);
  body['value'] = value;
  return jsonResponse(env.req, 200, body);
}

/** `GET /users/delta`: one page of a round, ending in `@odata.nextLink` or `@odata.deltaLink`. */
export function usersDelta(env: GraphEnv): GraphResponse {
  requireDirectory(env, USER_READ);
  const dir = env.ctx.directory;
  const log = dir.userChanges;
  if (env.req.query.get('$deltatoken')?.toLowerCase() === 'latest') {
    // "Sync from now": no data, only a deltaLink at the current state.
    refuseOtherOptions(env, ['$deltatoken']);
    return page(env, { kind: 'skip', epoch: log.epoch, since: log.counter, upTo: log.counter, after: '', select: null, ids: null }, [], null);
  }
  let state: DeltaState;
  try {
    state = stateOf(env, log);
  } catch (e) {
    if (!(e instanceof SyncStateGone)) throw e;
    return errorResponse(env.req, 410, 'syncStateNotFound', 'The sync state generation is not found. The delta token is expired and data must be synchronized again.', {
      Location: initialDeltaUrl(env, e.state?.select ?? null, e.state?.ids ?? null),
    });
  }
  const { maxPageSize, minimal } = preferences(env);
  const order = orderedUserIds(log, dir.users.keys());
  const value: Record<string, unknown>[] = [];
  let i = firstIndexAfter(order, state.after);
  let last = state.after;
  for (; i < order.length && value.length < maxPageSize; i++) {
    const id = order[i] as string;
    last = id;
    if (state.ids !== null && !state.ids.includes(id.toLowerCase())) continue;
    const user = dir.users.get(id);
    const tomb = log.tombstones.get(id);
    if (user !== undefined) {
      const item = deltaItem(env, state, user, minimal);
      if (item !== null) value.push(item);
    } else if (tomb !== undefined && state.since >= 0 && tomb.at > state.since) {
      value.push({ id, '@removed': { reason: tomb.reason } });
    }
  }
  return page(env, state, value, i < order.length ? last : null);
}

/** Index of the first id greater than `after` in the sorted list. */
function firstIndexAfter(order: readonly string[], after: string): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((order[mid] as string) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
