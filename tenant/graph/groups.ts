/**
 * Groups and directory roles (seed extension `groups`): `/groups/{id}`, `/groups/{id}/members`,
 * `/groups/{id}/transitiveMembers`, `/users/{id}/memberOf`, `/directoryRoles` (with
 * `$expand=members`) and `/directoryRoles/{id}/members`.
 *
 * Limited-information rule (Graph docs): a directoryObject collection returns objects of a type
 * the app may not read with only `@odata.type` and `id`. Groups need GroupMember.Read.All (or
 * wider); users need User.Read.All (or wider).
 */
import { getEffectiveRoleTemplateIds, getTransitiveGroupIds, getTransitiveMemberIds } from '../directory';
import type { DirectoryGroup, DirectoryUser } from '../types';
import { badRequest, graphRoot, jsonResponse, notFoundResource, type GraphEnv, type GraphResponse } from './http';
import { pageOf, parseSelect, splitTopLevel } from './odata';
import { ROLE_READ, USER_READ, hasAnyPermission, requireDirectory } from './permissions';
import { directoryRoleObject, directoryRoleObjectId } from './roles';
import { getUserOrThrow, projectUser, USER_PROPERTIES } from './users';

export const GROUP_READ = ['GroupMember.Read.All', 'GroupMember.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] as const;

const GROUP_PROPERTIES = ['id', 'displayName', 'description', 'isAssignableToRole', 'securityEnabled', 'mailEnabled', 'groupTypes', 'mailNickname', 'createdDateTime', 'deletedDateTime'] as const;
const GROUP_DEFAULT = ['id', 'displayName', 'description', 'isAssignableToRole', 'securityEnabled', 'mailEnabled', 'groupTypes', 'mailNickname', 'createdDateTime', 'deletedDateTime'] as const;
const ROLE_PROPERTIES = ['id', 'deletedDateTime', 'description', 'displayName', 'roleTemplateId'] as const;

function groupValue(g: DirectoryGroup, name: string): unknown {
  switch (name) {
    case 'securityEnabled':
      return true;
    case 'mailEnabled':
      return false;
    case 'groupTypes':
      return [];
    case 'mailNickname':
      return g.displayName.replace(/[^A-Za-z0-9]/g, '').slice(0, 64) || 'group';
    case 'createdDateTime':
      return '2020-01-01T08:00:00Z';
    case 'deletedDateTime':
      return null;
    default: {
      const v = (g as unknown as Record<string, unknown>)[name];
      return v === undefined ? null : v;
    }
  }
}

function projectGroup(g: DirectoryGroup, select: readonly string[] | null): Record<string, unknown> {
  const out: Record<string, unknown> = { '@odata.type': '#microsoft.graph.group' };
  for (const name of select ?? GROUP_DEFAULT) out[name] = groupValue(g, name);
  return out;
}

function getGroupOrThrow(env: GraphEnv, id: string): DirectoryGroup {
  const g = env.ctx.directory.groups.get(id) ?? env.ctx.directory.groups.get(id.toLowerCase());
  if (g === undefined) throw notFoundResource(id);
  return g;
}

/**
 * A directoryObject (user or group) as a collection item, honouring `$select` names that apply
 * to its type and the limited-information rule.
 */
function directoryObject(env: GraphEnv, id: string, select: readonly string[] | null): Record<string, unknown> | null {
  const dir = env.ctx.directory;
  const user = dir.users.get(id);
  if (user !== undefined) {
    if (!hasAnyPermission(env, USER_READ)) return { '@odata.type': '#microsoft.graph.user', id };
    const names = select?.filter((n) => USER_PROPERTIES.includes(n)) ?? null;
    return { '@odata.type': '#microsoft.graph.user', ...projectUser(user, names) };
  }
  const group = dir.groups.get(id);
  if (group !== undefined) {
    if (!hasAnyPermission(env, GROUP_READ)) return { '@odata.type': '#microsoft.graph.group', id };
    const names = select?.filter((n) => (GROUP_PROPERTIES as readonly string[]).includes(n)) ?? null;
    return projectGroup(group, names);
  }
  return null;
}

/** `$select` on a directoryObject collection: any user or group property name is accepted. */
function directoryObjectSelect(env: GraphEnv): string[] | null {
  return parseSelect(env.req.query.get('$select'), [...new Set([...USER_PROPERTIES, ...GROUP_PROPERTIES, ...ROLE_PROPERTIES])], 'microsoft.graph.directoryObject');
}

function collection(env: GraphEnv, entitySet: string, items: Record<string, unknown>[]): GraphResponse {
  const { page, nextLink } = pageOf(env, items);
  const body: Record<string, unknown> = { '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#${entitySet}` };
  if (env.req.query.get('$count')?.toLowerCase() === 'true' && env.req.query.get('$skiptoken') === undefined) body['@odata.count'] = items.length;
  if (nextLink !== null) body['@odata.nextLink'] = nextLink;
  body['value'] = page;
  return jsonResponse(env.req, 200, body);
}

/** `GET /groups/{id}` */
export function getGroup(env: GraphEnv, id: string): GraphResponse {
  requireDirectory(env, GROUP_READ);
  const g = getGroupOrThrow(env, id);
  const select = parseSelect(env.req.query.get('$select'), GROUP_PROPERTIES, 'microsoft.graph.group');
  return jsonResponse(env.req, 200, { '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#groups/$entity`, ...projectGroup(g, select) });
}

/** `GET /groups` (no filtering beyond what the broker needs: none). */
export function listGroups(env: GraphEnv): GraphResponse {
  requireDirectory(env, GROUP_READ);
  const select = parseSelect(env.req.query.get('$select'), GROUP_PROPERTIES, 'microsoft.graph.group');
  return collection(env, 'groups', [...env.ctx.directory.groups.values()].map((g) => projectGroup(g, select)));
}

/** `GET /groups/{id}/members` (direct) or `/transitiveMembers` (nested members flattened). */
export function listGroupMembers(env: GraphEnv, id: string, transitive: boolean): GraphResponse {
  requireDirectory(env, GROUP_READ);
  const g = getGroupOrThrow(env, id);
  const select = directoryObjectSelect(env);
  const ids = transitive ? getTransitiveMemberIds(env.ctx.directory, g.id) : g.memberIds;
  const items = ids.map((m) => directoryObject(env, m, select)).filter((o): o is Record<string, unknown> => o !== null);
  return collection(env, 'directoryObjects', items);
}

/** `GET /users/{id}/memberOf`: direct groups and directly assigned roles. */
export function listMemberOf(env: GraphEnv, idOrUpn: string): GraphResponse {
  requireDirectory(env, USER_READ);
  const user = getUserOrThrow(env, idOrUpn);
  const dir = env.ctx.directory;
  const groups = [...dir.groups.values()].filter((g) => g.memberIds.includes(user.id));
  const select = directoryObjectSelect(env);
  const items = [
    ...groups.map((g) => directoryObject(env, g.id, select)).filter((o): o is Record<string, unknown> => o !== null),
    ...user.directoryRoleTemplateIds.map((t) => roleItem(env, t, select)),
  ];
  return collection(env, 'directoryObjects', items);
}

function roleItem(env: GraphEnv, templateId: string, select: readonly string[] | null): Record<string, unknown> {
  const r = directoryRoleObject(env.ctx.directory.tenantId, templateId);
  if (!hasAnyPermission(env, ROLE_READ)) return { '@odata.type': r['@odata.type'], id: r['id'] };
  const names = select?.filter((n) => (ROLE_PROPERTIES as readonly string[]).includes(n)) ?? null;
  if (names === null) return r;
  const out: Record<string, unknown> = { '@odata.type': r['@odata.type'] };
  for (const n of names) out[n] = r[n];
  return out;
}

/**
 * The transitive memberships of a user for `transitiveMemberOf`: groups (nested included) and
 * roles held directly or through role-assignable groups.
 */
export function transitiveMemberships(env: GraphEnv, user: DirectoryUser, cast: 'group' | 'directoryRole' | null): Record<string, unknown>[] {
  const dir = env.ctx.directory;
  const groups = cast === 'directoryRole' ? [] : getTransitiveGroupIds(dir, user.id);
  const roles = cast === 'group' ? [] : getEffectiveRoleTemplateIds(dir, user);
  const select = cast === 'group' ? parseSelect(env.req.query.get('$select'), GROUP_PROPERTIES, 'microsoft.graph.group') : cast === 'directoryRole' ? parseSelect(env.req.query.get('$select'), ROLE_PROPERTIES, 'microsoft.graph.directoryRole') : directoryObjectSelect(env);
  return [
    ...groups.map((g) => directoryObject(env, g, select)).filter((o): o is Record<string, unknown> => o !== null),
    ...roles.map((t) => roleItem(env, t, select)),
  ];
}

/** Who holds each role: users directly, and role-assignable groups. Only roles with a holder are "activated". */
function roleHolders(env: GraphEnv): Map<string, string[]> {
  const holders = new Map<string, string[]>();
  const add = (t: string, id: string): void => {
    const list = holders.get(t);
    if (list === undefined) holders.set(t, [id]);
    else if (!list.includes(id)) list.push(id);
  };
  for (const u of env.ctx.directory.users.values()) for (const t of u.directoryRoleTemplateIds) add(t, u.id);
  for (const g of env.ctx.directory.groups.values()) for (const t of g.directoryRoleTemplateIds) add(t, g.id);
  return holders;
}

/** Parses `$expand=members` or `members($select=…)`; null when absent. */
function parseMembersExpand(value: string | undefined): { select: string[] | null } | null {
  if (value === undefined) return null;
  let result: { select: string[] | null } | null = null;
  for (const item of splitTopLevel(value, ',')) {
    const m = /^([A-Za-z]+)\s*(?:\((.*)\))?$/s.exec(item);
    if (m === null || (m[1] ?? '').toLowerCase() !== 'members') {
      throw badRequest(`Could not find a property named '${m?.[1] ?? item}' on type 'microsoft.graph.directoryRole'.`, 'BadRequest');
    }
    let select: string[] | null = null;
    for (const opt of splitTopLevel(m[2] ?? '', ';')) {
      const eq = opt.indexOf('=');
      const key = (eq === -1 ? opt : opt.slice(0, eq)).trim().toLowerCase();
      if (key !== '$select') throw badRequest(`Query option '${key}' is not supported in $expand.`, 'BadRequest');
      select = parseSelect(opt.slice(eq + 1).trim(), [...new Set([...USER_PROPERTIES, ...GROUP_PROPERTIES])], 'microsoft.graph.directoryObject');
    }
    result = { select };
  }
  return result;
}

/**
 * `GET /directoryRoles[?$expand=members]`: the activated roles. Directory roles do not page
 * (facts §3), and neither does their expanded `members` here.
 */
export function listDirectoryRoles(env: GraphEnv): GraphResponse {
  requireDirectory(env, ROLE_READ);
  const expand = parseMembersExpand(env.req.query.get('$expand'));
  const select = parseSelect(env.req.query.get('$select'), ROLE_PROPERTIES, 'microsoft.graph.directoryRole');
  const value = [...roleHolders(env)].map(([templateId, holders]) => {
    const role = directoryRoleObject(env.ctx.directory.tenantId, templateId);
    const out: Record<string, unknown> = select === null ? { ...role } : { '@odata.type': role['@odata.type'] };
    if (select !== null) for (const n of select) out[n] = role[n];
    if (expand !== null) out['members'] = holders.map((id) => directoryObject(env, id, expand.select)).filter((o) => o !== null);
    return out;
  });
  return jsonResponse(env.req, 200, { '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#directoryRoles`, value });
}

function findRoleByObjectId(env: GraphEnv, id: string): string {
  for (const t of roleHolders(env).keys()) {
    if (directoryRoleObjectId(env.ctx.directory.tenantId, t) === id.toLowerCase()) return t;
  }
  // `roleTemplateId=…` alternate key (`/directoryRoles(roleTemplateId='…')`) is not modelled.
  throw notFoundResource(id);
}

/** `GET /directoryRoles/{id}/members` */
export function listDirectoryRoleMembers(env: GraphEnv, id: string): GraphResponse {
  requireDirectory(env, ROLE_READ);
  const t = findRoleByObjectId(env, id);
  const select = directoryObjectSelect(env);
  const holders = roleHolders(env).get(t) ?? [];
  return collection(env, 'directoryObjects', holders.map((h) => directoryObject(env, h, select)).filter((o): o is Record<string, unknown> => o !== null));
}
