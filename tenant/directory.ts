/**
 * The in-memory directory and the only functions that mutate its user graph.
 *
 * Invariant kept by every function here: for every user `u` with `u.managerId = m`,
 * `directReports.get(m)` contains `u.id` exactly once, and no other list contains it; and
 * `usersByUpn` maps each user's lower-cased UPN to its id. Code elsewhere (the Graph half)
 * must change `managerId`/`userPrincipalName` only through {@link setManager} / {@link updateUser}.
 *
 * Every change to a user is also stamped in `dir.userChanges` (tenant/user-changes.ts), which
 * Graph's `users/delta` reads; a change made around these functions is invisible to it.
 *
 * Manager cycles are allowed, as in Graph (which does not prevent them); only a user being
 * their own manager is refused. Walkers must guard against cycles.
 */
import { getAssignedAppRoleValues, newAppRegistry } from './app-registry';
import { attachAppRoleView, attachSeedViews, getSeededApiServicePrincipalId } from './seed-views';
import type {
  AdministrativeUnit,
  AppRegistry,
  AuthContextDefinition,
  CustomRoleDefinition,
  Directory,
  DirectoryGroup,
  DirectoryRoleAssignment,
  DirectoryUser,
  TapMethod,
  TapPolicy,
} from './types';
import { changedFields, newUserChangeLog, recordManagerChange, recordUserChange, recordUserCreated, recordUserDeleted } from './user-changes';

export interface DirectoryInput {
  tenantId: string;
  tapPolicy: TapPolicy;
  /** The app registry; absent: Microsoft's first-party apps only (see `newAppRegistry`). */
  apps?: AppRegistry;
  /** Users in seed order; `managerId` must reference users in this list. */
  users: DirectoryUser[];
  /** Groups (seed extension); member ids must reference users or groups in the input. */
  groups?: DirectoryGroup[];
  /** Role assignments and eligibilities; principals must be users or groups in the input. */
  roleAssignments?: DirectoryRoleAssignment[];
  customRoles?: CustomRoleDefinition[];
  administrativeUnits?: AdministrativeUnit[];
  authContexts?: AuthContextDefinition[];
}

export class DirectoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DirectoryError';
  }
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(s: string): boolean {
  return GUID_RE.test(s);
}

/**
 * Builds a directory with its indexes. Assumes the input has been validated (see `tenant/seed.ts`).
 * Users' and groups' `appRoles` become views of the registry (empty until a seed registers its API).
 */
export function buildDirectory(input: DirectoryInput): Directory {
  const users = new Map<string, DirectoryUser>();
  const usersByUpn = new Map<string, string>();
  const directReports = new Map<string, string[]>();
  for (const u of input.users) {
    users.set(u.id, u);
    usersByUpn.set(u.userPrincipalName.toLowerCase(), u.id);
  }
  for (const u of input.users) {
    if (u.managerId === null) continue;
    if (!users.has(u.managerId)) throw new DirectoryError(`user ${u.userPrincipalName}: manager ${u.managerId} is not in the directory`);
    const list = directReports.get(u.managerId);
    if (list) list.push(u.id);
    else directReports.set(u.managerId, [u.id]);
  }
  const dir = {
    tenantId: input.tenantId,
    tapPolicy: input.tapPolicy,
    apps: input.apps ?? newAppRegistry(input.tenantId),
    users,
    usersByUpn,
    directReports,
    tapMethods: new Map(),
    tapMethodLog: new Map(),
    groups: new Map((input.groups ?? []).map((g) => [g.id, g])),
    roleAssignments: [...(input.roleAssignments ?? [])],
    customRoles: new Map((input.customRoles ?? []).map((r) => [r.id, r])),
    administrativeUnits: new Map((input.administrativeUnits ?? []).map((a) => [a.id, a])),
    authContexts: new Map((input.authContexts ?? []).map((c) => [c.id, c])),
    userChanges: newUserChangeLog(),
  } as Omit<Directory, 'portal' | 'broker' | 'automation'> as Directory;
  attachSeedViews(dir, { portal: null, broker: null, automation: null });
  return dir;
}

/** Finds a user by object id or (case-insensitive) UPN, as Graph's `/users/{id | userPrincipalName}` does. */
export function findUser(dir: Directory, idOrUpn: string): DirectoryUser | undefined {
  const byId = dir.users.get(idOrUpn) ?? dir.users.get(idOrUpn.toLowerCase());
  if (byId) return byId;
  const id = dir.usersByUpn.get(idOrUpn.toLowerCase());
  return id === undefined ? undefined : dir.users.get(id);
}

/** Finds a user by the name typed on the sign-in page: the UPN, or a guest's home email (`mail`). */
export function findUserBySignInName(dir: Directory, name: string): DirectoryUser | undefined {
  const lower = name.trim().toLowerCase();
  const byUpn = findUser(dir, lower);
  if (byUpn) return byUpn;
  for (const u of dir.users.values()) {
    if (u.mail !== null && u.mail.toLowerCase() === lower) return u;
  }
  return undefined;
}

export function getDirectReportIds(dir: Directory, managerId: string): readonly string[] {
  return dir.directReports.get(managerId) ?? [];
}

function detach(dir: Directory, user: DirectoryUser): void {
  if (user.managerId === null) return;
  const list = dir.directReports.get(user.managerId);
  if (!list) return;
  const i = list.indexOf(user.id);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) dir.directReports.delete(user.managerId);
}

/**
 * Sets (or clears, with `null`) a user's manager, keeping `directReports` consistent.
 * Throws {@link DirectoryError} for unknown ids or a self-reference.
 */
export function setManager(dir: Directory, userId: string, managerId: string | null): void {
  const user = dir.users.get(userId);
  if (!user) throw new DirectoryError(`user ${userId} is not in the directory`);
  if (managerId !== null) {
    if (!dir.users.has(managerId)) throw new DirectoryError(`manager ${managerId} is not in the directory`);
    if (managerId === userId) throw new DirectoryError(`user ${user.userPrincipalName} cannot be their own manager`);
  }
  if (user.managerId === managerId) return;
  detach(dir, user);
  recordManagerChange(dir.userChanges, userId, user.managerId);
  user.managerId = managerId;
  if (managerId !== null) {
    const list = dir.directReports.get(managerId);
    if (list) list.push(userId);
    else dir.directReports.set(managerId, [userId]);
  }
}

export type UserPatch = Partial<Omit<DirectoryUser, 'id' | 'createdDateTime'>>;

/**
 * Applies a patch to a user. A `managerId` in the patch goes through {@link setManager}; a new
 * `userPrincipalName` must not collide with another user's.
 */
export function updateUser(dir: Directory, userId: string, patch: UserPatch): DirectoryUser {
  const user = dir.users.get(userId);
  if (!user) throw new DirectoryError(`user ${userId} is not in the directory`);
  const { managerId, userPrincipalName, ...rest } = patch;
  if (userPrincipalName !== undefined && userPrincipalName.toLowerCase() !== user.userPrincipalName.toLowerCase()) {
    const clash = dir.usersByUpn.get(userPrincipalName.toLowerCase());
    if (clash !== undefined && clash !== userId) {
      throw new DirectoryError(`another user already has the userPrincipalName ${userPrincipalName}`);
    }
    dir.usersByUpn.delete(user.userPrincipalName.toLowerCase());
    dir.usersByUpn.set(userPrincipalName.toLowerCase(), userId);
  }
  if (managerId !== undefined) setManager(dir, userId, managerId);
  recordUserChange(dir.userChanges, userId, changedFields(user, { ...rest, userPrincipalName }));
  Object.assign(user, rest);
  if (userPrincipalName !== undefined) user.userPrincipalName = userPrincipalName;
  return user;
}

/** Adds a new user (e.g. `POST /users` from an HR-style automation client). */
export function addUser(dir: Directory, user: DirectoryUser): void {
  if (dir.users.has(user.id)) throw new DirectoryError(`a user with id ${user.id} already exists`);
  if (dir.usersByUpn.has(user.userPrincipalName.toLowerCase())) {
    throw new DirectoryError(`another user already has the userPrincipalName ${user.userPrincipalName}`);
  }
  const managerId = user.managerId;
  const appRoles = user.appRoles;
  user.managerId = null;
  attachAppRoleView(dir, user, 'User');
  user.appRoles = appRoles;
  dir.users.set(user.id, user);
  dir.usersByUpn.set(user.userPrincipalName.toLowerCase(), user.id);
  recordUserCreated(dir.userChanges, user.id);
  if (managerId !== null) setManager(dir, user.id, managerId);
}

/** Adds a created TAP method to the tenant's creation log ({@link Directory.tapMethodLog}). */
export function logTapMethodCreated(dir: Directory, method: Pick<TapMethod, 'id' | 'userId' | 'createdDateTime'>): void {
  dir.tapMethodLog.set(method.id, { id: method.id, userId: method.userId, createdDateTime: method.createdDateTime, ended: null });
}

/** Marks a logged TAP method as gone, once: the first way it ended is the one kept. */
export function endTapMethodLogEntry(dir: Directory, methodId: string, how: 'deleted' | 'replaced' | 'user-removed'): void {
  const entry = dir.tapMethodLog.get(methodId);
  if (entry !== undefined && entry.ended === null) entry.ended = { at: new Date().toISOString(), how };
}

/**
 * Removes a user; their direct reports are left without a manager, as when Graph deletes a user.
 * `reason` is what `users/delta` reports: `changed` for a deletion that could be undone (Graph's
 * `DELETE /users/{id}` moves the user to the deleted items), `deleted` for a permanent one.
 */
export function removeUser(dir: Directory, userId: string, reason: 'changed' | 'deleted' = 'changed'): void {
  const user = dir.users.get(userId);
  if (!user) throw new DirectoryError(`user ${userId} is not in the directory`);
  for (const reportId of [...getDirectReportIds(dir, userId)]) setManager(dir, reportId, null);
  detach(dir, user);
  dir.users.delete(userId);
  dir.usersByUpn.delete(user.userPrincipalName.toLowerCase());
  for (const m of dir.tapMethods.get(userId) ?? []) endTapMethodLogEntry(dir, m.id, 'user-removed');
  dir.tapMethods.delete(userId);
  for (const g of dir.groups.values()) {
    g.memberIds = g.memberIds.filter((id) => id !== userId);
    g.ownerIds = g.ownerIds.filter((id) => id !== userId);
  }
  for (const au of dir.administrativeUnits.values()) au.memberIds = au.memberIds.filter((id) => id !== userId);
  dir.roleAssignments = dir.roleAssignments.filter((a) => a.principalId !== userId);
  dir.apps.appRoleAssignments = dir.apps.appRoleAssignments.filter((a) => a.principalId !== userId);
  dir.apps.oauth2PermissionGrants = dir.apps.oauth2PermissionGrants.filter((g) => g.principalId !== userId);
  recordUserDeleted(dir.userChanges, userId, reason);
}

/**
 * Every group `memberId` (a user or a group) belongs to, directly or through nested groups, each
 * once. Cycles in group nesting (which Entra refuses, but a seed could try) end the walk.
 */
export function getTransitiveGroupIds(dir: Directory, memberId: string): string[] {
  const result: string[] = [];
  const seen = new Set<string>([memberId]);
  let frontier = [memberId];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const g of dir.groups.values()) {
      if (seen.has(g.id)) continue;
      if (g.memberIds.some((m) => frontier.includes(m))) {
        seen.add(g.id);
        result.push(g.id);
        next.push(g.id);
      }
    }
    frontier = next;
  }
  return result;
}

/** Every user and group below `groupId` (nested members included), each once, groups before their members' members. */
export function getTransitiveMemberIds(dir: Directory, groupId: string): string[] {
  const result: string[] = [];
  const seen = new Set<string>([groupId]);
  const queue = [groupId];
  while (queue.length > 0) {
    const g = dir.groups.get(queue.shift() as string);
    if (g === undefined) continue;
    for (const m of g.memberIds) {
      if (seen.has(m)) continue;
      seen.add(m);
      result.push(m);
      if (dir.groups.has(m)) queue.push(m);
    }
  }
  return result;
}

/** Whether a role definition id names one of the seed's custom roles (otherwise it is a built-in template id). */
export function isCustomRoleId(dir: Directory, roleDefinitionId: string): boolean {
  return dir.customRoles.has(roleDefinitionId.toLowerCase());
}

/**
 * The built-in directory roles a user holds as `directoryRole` objects: ACTIVE, TENANT-WIDE
 * assignments, held directly or through role-assignable groups. This is exactly what Graph's
 * `transitiveMemberOf/microsoft.graph.directoryRole` can show: custom roles are not
 * `directoryRole` objects, and AU-scoped or PIM-eligible assignments do not make the user a
 * member of the role — which is why a check built on it alone misses them.
 */
export function getEffectiveRoleTemplateIds(dir: Directory, user: DirectoryUser): string[] {
  const principals = new Set([user.id, ...getTransitiveGroupIds(dir, user.id)]);
  const out: string[] = [];
  for (const a of dir.roleAssignments) {
    if (!principals.has(a.principalId) || a.kind !== 'active' || a.directoryScopeId !== '/') continue;
    if (isCustomRoleId(dir, a.roleDefinitionId) || out.includes(a.roleDefinitionId)) continue;
    out.push(a.roleDefinitionId);
  }
  return out;
}

/**
 * Built-in roles held directly by `principalId` (a user or group) as `directoryRole` objects:
 * active, tenant-wide. What `memberOf` and `/directoryRoles/{id}/members` show.
 */
export function getDirectRoleTemplateIds(dir: Directory, principalId: string): string[] {
  const out: string[] = [];
  for (const a of dir.roleAssignments) {
    if (a.principalId !== principalId || a.kind !== 'active' || a.directoryScopeId !== '/') continue;
    if (isCustomRoleId(dir, a.roleDefinitionId) || out.includes(a.roleDefinitionId)) continue;
    out.push(a.roleDefinitionId);
  }
  return out;
}

/**
 * The app roles a user holds on a resource (`resourceId`, a service principal id; default: the API
 * the seed registered): assigned to them directly, or to any group they belong to (nested groups
 * included), as Entra puts group-assigned app roles into the member's token.
 */
export function getEffectiveAppRoles(dir: Directory, user: DirectoryUser, resourceId: string | null = getSeededApiServicePrincipalId(dir)): string[] {
  if (resourceId === null) return [];
  return getAssignedAppRoleValues(dir, [user.id, ...getTransitiveGroupIds(dir, user.id)], resourceId);
}

/** Administrative units `memberId` (a user or group) is a direct member of, in seed order. */
export function getAdministrativeUnitIds(dir: Directory, memberId: string): string[] {
  return [...dir.administrativeUnits.values()].filter((au) => au.memberIds.includes(memberId)).map((au) => au.id);
}

/** Groups `userId` owns, in seed order. */
export function getOwnedGroupIds(dir: Directory, userId: string): string[] {
  return [...dir.groups.values()].filter((g) => g.ownerIds.includes(userId)).map((g) => g.id);
}
