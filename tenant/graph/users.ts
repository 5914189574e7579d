/**
 * `/users` and the org hierarchy: users, manager (and the `$levels` chain), directReports,
 * beta transitiveReports/$count, and the directory writes tests use to move people
 * (`PATCH /users/{id}`, `PUT|DELETE /users/{id}/manager/$ref`, `DELETE /users/{id}`).
 */
import { DirectoryError, findUser, getDirectReportIds, removeUser, setManager, updateUser, type UserPatch } from '../directory';
import type { DirectoryUser } from '../types';
import {
  GraphHttpError,
  badRequest,
  graphRoot,
  hasConsistencyEventual,
  isPlainObject,
  jsonResponse,
  noContent,
  notFoundResource,
  parseJsonBody,
  textResponse,
  type GraphEnv,
  type GraphResponse,
} from './http';
import {
  advancedQueryRequired,
  pageOf,
  parseFilter,
  parseManagerExpand,
  parseSelect,
  requireCountSegmentConsistency,
  type FilterCondition,
  type ManagerExpand,
} from './odata';
import { USER_DELETE, USER_READ, USER_WRITE, requireDirectory } from './permissions';

/** `GET /users/{id}` without `$select` returns only these (docs/graph-behaviours.md#users). */
export const DEFAULT_USER_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'id',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
] as const;

/** Returned only on `$select`. The local directory has no value for some; they read as null. */
const SELECT_ONLY_PROPERTIES = [
  'accountEnabled',
  'department',
  'userType',
  'employeeHireDate',
  'employeeId',
  'createdDateTime',
  'onPremisesSyncEnabled',
  'employeeLeaveDateTime',
  'companyName',
  'city',
  'country',
  'usageLocation',
  'otherMails',
  'mailNickname',
  'creationType',
  'externalUserState',
  'onPremisesImmutableId',
] as const;

export const USER_PROPERTIES: readonly string[] = [...DEFAULT_USER_PROPERTIES, ...SELECT_ONLY_PROPERTIES];

const USER_TYPE = 'microsoft.graph.user';

function isExternalGuest(u: DirectoryUser): boolean {
  return u.userType === 'Guest' && u.userPrincipalName.includes('#EXT#');
}

function propertyValue(u: DirectoryUser, name: string): unknown {
  switch (name) {
    case 'businessPhones':
      return [...u.businessPhones];
    case 'onPremisesSyncEnabled':
    case 'employeeLeaveDateTime':
    case 'companyName':
    case 'city':
    case 'country':
    case 'usageLocation':
    case 'onPremisesImmutableId':
      return null;
    case 'otherMails':
      return [];
    case 'mailNickname':
      return u.userPrincipalName.split('@')[0] ?? null;
    case 'creationType':
      return isExternalGuest(u) ? 'Invitation' : null;
    case 'externalUserState':
      return isExternalGuest(u) ? 'Accepted' : null;
    default: {
      const v = (u as unknown as Record<string, unknown>)[name];
      return v === undefined ? null : v;
    }
  }
}

/** Projects a user onto `$select` (or the default property set). */
export function projectUser(u: DirectoryUser, select: readonly string[] | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of select ?? DEFAULT_USER_PROPERTIES) out[name] = propertyValue(u, name);
  return out;
}

/** Resolves `{id | userPrincipalName}` from a path segment or answers Graph's 404. */
export function getUserOrThrow(env: GraphEnv, idOrUpn: string): DirectoryUser {
  const u = findUser(env.ctx.directory, idOrUpn);
  if (u === undefined) throw notFoundResource(idOrUpn);
  return u;
}

function selectOf(env: GraphEnv): string[] | null {
  return parseSelect(env.req.query.get('$select'), USER_PROPERTIES, USER_TYPE);
}

function contextFor(env: GraphEnv, entitySet: string, select: string[] | null, entity: boolean): string {
  const sel = select === null ? '' : `(${select.join(',')})`;
  return `${graphRoot(env.ctx, env.req.version)}/$metadata#${entitySet}${sel}${entity ? '/$entity' : ''}`;
}

/** The manager chain for `$expand=manager(...)`: nested objects, stopping at the top or a cycle. */
function expandManager(env: GraphEnv, user: DirectoryUser, expand: ManagerExpand): Record<string, unknown> | null {
  const dir = env.ctx.directory;
  const maxLevels = expand.levels === null ? 1 : expand.levels === 'max' ? Number.POSITIVE_INFINITY : expand.levels;
  const visited = new Set<string>([user.id]);
  const chain: DirectoryUser[] = [];
  let current = user;
  while (chain.length < maxLevels && current.managerId !== null) {
    // Graph permits manager cycles; the chain ends before a user would repeat.
    if (visited.has(current.managerId)) break;
    const mgr = dir.users.get(current.managerId);
    if (mgr === undefined) break;
    visited.add(mgr.id);
    chain.push(mgr);
    current = mgr;
  }
  let nested: Record<string, unknown> | null = null;
  for (let i = chain.length - 1; i >= 0; i--) {
    const mgr = chain[i] as DirectoryUser;
    // `manager` is declared as a directoryObject, so every level carries its concrete type, with
    // or without `$levels`; typed clients (Kiota SDKs) cannot walk the chain without it.
    const obj: Record<string, unknown> = { '@odata.type': `#${USER_TYPE}`, ...projectUser(mgr, expand.select) };
    if (nested !== null) obj['manager'] = nested;
    nested = obj;
  }
  return nested;
}

/** `GET /users/{id}` (also `/me` for delegated callers). */
export function getUser(env: GraphEnv, idOrUpn: string): GraphResponse {
  requireDirectory(env, USER_READ);
  const user = getUserOrThrow(env, idOrUpn);
  const select = selectOf(env);
  const expand = parseManagerExpand(env.req.query.get('$expand'), USER_PROPERTIES);
  if (expand !== null && expand.levels !== null && !hasConsistencyEventual(env.req)) {
    // The transitive manager chain is served by the advanced-query index.
    throw advancedQueryRequired('$levels', false);
  }
  const body: Record<string, unknown> = { '@odata.context': contextFor(env, 'users', select, true), ...projectUser(user, select) };
  if (expand !== null) {
    const mgr = expandManager(env, user, expand);
    if (mgr !== null) body['manager'] = mgr;
  }
  return jsonResponse(env.req, 200, body);
}

function matchesFilter(u: DirectoryUser, conditions: FilterCondition[]): boolean {
  return conditions.every((c) => {
    const v = propertyValue(u, c.property);
    return c.values.some((want) => {
      if (typeof want === 'string' && typeof v === 'string') {
        // Directory string comparisons are case-insensitive.
        return v.toLowerCase() === want.toLowerCase();
      }
      return v === want;
    });
  });
}

const FILTERABLE = ['id', 'userPrincipalName', 'accountEnabled', 'userType', 'mail', 'displayName', 'department', 'jobTitle', 'employeeId'];

function applyUserFilter(env: GraphEnv, users: DirectoryUser[]): DirectoryUser[] {
  const raw = env.req.query.get('$filter');
  if (raw === undefined || raw.trim() === '') return users;
  const conditions = parseFilter(raw).map((c) => {
    const canonical = FILTERABLE.find((f) => f.toLowerCase() === c.property.toLowerCase());
    if (canonical === undefined) throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
    return { ...c, property: canonical };
  });
  return users.filter((u) => matchesFilter(u, conditions));
}

function collectionBody(env: GraphEnv, context: string, items: DirectoryUser[], itemOf: (u: DirectoryUser) => Record<string, unknown>): GraphResponse {
  const { page, nextLink } = pageOf(env, items);
  const body: Record<string, unknown> = { '@odata.context': context };
  if (env.req.query.get('$count')?.toLowerCase() === 'true' && env.req.query.get('$skiptoken') === undefined) {
    body['@odata.count'] = items.length;
  }
  if (nextLink !== null) body['@odata.nextLink'] = nextLink;
  body['value'] = page.map(itemOf);
  return jsonResponse(env.req, 200, body);
}

/** `GET /users` */
export function listUsers(env: GraphEnv): GraphResponse {
  requireDirectory(env, USER_READ);
  const select = selectOf(env);
  const expand = parseManagerExpand(env.req.query.get('$expand'), USER_PROPERTIES);
  if (expand !== null && expand.levels !== null) {
    // Graph's own answer to `$levels` on the list (header or not).
    throw badRequest(
      "Transitive manager's list is only supported on a single user, send the $expand request on /users/{id} endpoint",
      'Request_Unsupported',
    );
  }
  const users = applyUserFilter(env, [...env.ctx.directory.users.values()]);
  return collectionBody(env, contextFor(env, 'users', select, false), users, (u) => {
    const obj = projectUser(u, select);
    if (expand !== null) {
      const mgr = expandManager(env, u, expand);
      if (mgr !== null) obj['manager'] = mgr;
    }
    return obj;
  });
}

/** `GET /users/{id}/manager`: 404 by design when no manager is set, never a null body. */
export function getManager(env: GraphEnv, idOrUpn: string): GraphResponse {
  requireDirectory(env, USER_READ);
  const user = getUserOrThrow(env, idOrUpn);
  const select = selectOf(env);
  const mgr = user.managerId === null ? undefined : env.ctx.directory.users.get(user.managerId);
  if (mgr === undefined) throw notFoundResource('manager');
  return jsonResponse(env.req, 200, {
    '@odata.context': contextFor(env, 'directoryObjects', select, true),
    '@odata.type': `#${USER_TYPE}`,
    ...projectUser(mgr, select),
  });
}

function directReportsOf(env: GraphEnv, user: DirectoryUser): DirectoryUser[] {
  const dir = env.ctx.directory;
  return getDirectReportIds(dir, user.id)
    .map((id) => dir.users.get(id))
    .filter((u): u is DirectoryUser => u !== undefined);
}

/** `GET /users/{id}/directReports` (optionally cast to `microsoft.graph.user`, or `/$count`). */
export function listDirectReports(env: GraphEnv, idOrUpn: string, countOnly: boolean): GraphResponse {
  requireDirectory(env, USER_READ);
  const user = getUserOrThrow(env, idOrUpn);
  const reports = applyUserFilter(env, directReportsOf(env, user));
  if (countOnly) {
    requireCountSegmentConsistency(env);
    return textResponse(env.req, 200, String(reports.length));
  }
  const select = selectOf(env);
  return collectionBody(env, contextFor(env, 'directoryObjects', select, false), reports, (u) => ({
    '@odata.type': `#${USER_TYPE}`,
    ...projectUser(u, select),
  }));
}

/** Beta `GET /users/{id}/transitiveReports/$count`: everyone below, each counted once. */
export function countTransitiveReports(env: GraphEnv, idOrUpn: string): GraphResponse {
  requireDirectory(env, USER_READ);
  const user = getUserOrThrow(env, idOrUpn);
  requireCountSegmentConsistency(env);
  const seen = new Set<string>([user.id]);
  const queue = [user.id];
  let count = 0;
  while (queue.length > 0) {
    const id = queue.shift() as string;
    for (const r of getDirectReportIds(env.ctx.directory, id)) {
      if (seen.has(r)) continue;
      seen.add(r);
      count++;
      queue.push(r);
    }
  }
  return textResponse(env.req, 200, String(count));
}

/** `GET /users/$count` (an advanced query: ConsistencyLevel eventual, text/plain). */
export function countUsers(env: GraphEnv): GraphResponse {
  requireDirectory(env, USER_READ);
  requireCountSegmentConsistency(env);
  return textResponse(env.req, 200, String(applyUserFilter(env, [...env.ctx.directory.users.values()]).length));
}

function invalidValue(prop: string): GraphHttpError {
  return badRequest(`Invalid value specified for property '${prop}' of resource 'User'.`);
}

const NULLABLE_STRINGS = ['givenName', 'surname', 'mail', 'jobTitle', 'department', 'officeLocation', 'mobilePhone', 'preferredLanguage', 'employeeId'] as const;
const READ_ONLY = ['id', 'createdDateTime', 'creationType', 'externalUserState', 'onPremisesSyncEnabled', 'onPremisesImmutableId'];

/** `PATCH /users/{id}`: the subset of writable properties the local directory models. */
export function patchUser(env: GraphEnv, idOrUpn: string): GraphResponse {
  requireDirectory(env, USER_WRITE);
  const user = getUserOrThrow(env, idOrUpn);
  const body = parseJsonBody(env.req);
  if (!isPlainObject(body)) throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
  const patch: UserPatch = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === '@odata.type') continue;
    if ((NULLABLE_STRINGS as readonly string[]).includes(key)) {
      if (value !== null && typeof value !== 'string') throw invalidValue(key);
      (patch as Record<string, unknown>)[key] = value;
    } else if (key === 'displayName') {
      if (typeof value !== 'string' || value.trim() === '') throw invalidValue(key);
      patch.displayName = value;
    } else if (key === 'userPrincipalName') {
      if (typeof value !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(value)) throw invalidValue(key);
      patch.userPrincipalName = value;
    } else if (key === 'accountEnabled') {
      if (typeof value !== 'boolean') throw invalidValue(key);
      patch.accountEnabled = value;
    } else if (key === 'userType') {
      if (value !== 'Member' && value !== 'Guest') throw invalidValue(key);
      patch.userType = value;
    } else if (key === 'employeeHireDate') {
      if (value !== null && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) throw invalidValue(key);
      patch.employeeHireDate = value === null ? null : new Date(value).toISOString().replace('.000Z', 'Z');
    } else if (key === 'businessPhones') {
      if (!Array.isArray(value) || !value.every((p): p is string => typeof p === 'string')) throw invalidValue(key);
      patch.businessPhones = [...value];
    } else if (READ_ONLY.includes(key)) {
      throw badRequest(`Property '${key}' is read-only and cannot be set.`);
    } else {
      throw badRequest(`Property '${key}' does not exist as a declared property or extension property.`);
    }
  }
  try {
    updateUser(env.ctx.directory, user.id, patch);
  } catch (e) {
    if (e instanceof DirectoryError) {
      throw badRequest('Another object with the same value for property userPrincipalName already exists.');
    }
    throw e;
  }
  return noContent(env.req);
}

/** Extracts the object id from an `@odata.id` such as `https://graph.microsoft.com/v1.0/users/{id}` (any host). */
function referencedId(ref: unknown): string | null {
  if (typeof ref !== 'string') return null;
  const m = /\/(?:users|directoryObjects)\/([^/?#]+)\/?$/i.exec(ref.trim()) ?? /\/(?:users|directoryObjects)\('([^']+)'\)$/i.exec(ref.trim());
  if (m === null || m[1] === undefined) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

/** `PUT /users/{id}/manager/$ref` with `{"@odata.id": ".../users/{managerId}"}` → 204. */
export function putManagerRef(env: GraphEnv, idOrUpn: string): GraphResponse {
  requireDirectory(env, USER_WRITE);
  const user = getUserOrThrow(env, idOrUpn);
  const body = parseJsonBody(env.req);
  const ref = isPlainObject(body) ? body['@odata.id'] : undefined;
  const managerRef = referencedId(ref);
  if (managerRef === null) {
    throw badRequest(`Invalid object identifier '${typeof ref === 'string' ? ref : ''}'.`);
  }
  const manager = findUser(env.ctx.directory, managerRef);
  if (manager === undefined) throw notFoundResource(managerRef);
  if (manager.id === user.id) {
    // Cycles through others are allowed (Graph permits them); a self-reference is refused by
    // the directory's invariant. The real error for this case is undocumented.
    throw badRequest('A user cannot be their own manager.');
  }
  setManager(env.ctx.directory, user.id, manager.id);
  return noContent(env.req);
}

/** `DELETE /users/{id}/manager/$ref` → 204; 404 when there is no manager to remove. */
export function deleteManagerRef(env: GraphEnv, idOrUpn: string): GraphResponse {
  requireDirectory(env, USER_WRITE);
  const user = getUserOrThrow(env, idOrUpn);
  if (user.managerId === null) throw notFoundResource('manager');
  setManager(env.ctx.directory, user.id, null);
  return noContent(env.req);
}

/**
 * `DELETE /users/{id}` → 204. Graph moves the user to the deleted items (restorable for 30 days);
 * here the user is gone from every read, and `users/delta` reports it with `reason: changed`.
 */
export function deleteUser(env: GraphEnv, idOrUpn: string): GraphResponse {
  requireDirectory(env, USER_DELETE);
  const user = getUserOrThrow(env, idOrUpn);
  removeUser(env.ctx.directory, user.id, 'changed');
  return noContent(env.req);
}
