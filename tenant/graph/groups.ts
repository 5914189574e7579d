/**
 * Groups and directory roles (seed extension `groups`): `/groups/{id}`, `/groups/{id}/members`,
 * `/groups/{id}/transitiveMembers`, `/users/{id}/memberOf`, `/directoryRoles` (with
 * `$expand=members`) and `/directoryRoles/{id}/members`.
 *
 * Limited-information rule (Graph docs): a directoryObject collection returns objects of a type
 * the app may not read with only `@odata.type` and `id`. Groups need GroupMember.Read.All (or
 * wider); users need User.Read.All (or wider).
 */
import {
  getAdministrativeUnitIds,
  getDirectRoleTemplateIds,
  getEffectiveRoleTemplateIds,
  getTransitiveGroupIds,
  getTransitiveMemberIds,
  isCustomRoleId,
} from '../directory';
import type { DirectoryGroup, DirectoryUser } from '../types';
import { ADMINISTRATIVE_UNIT_PROPERTIES, ADMINISTRATIVE_UNIT_TYPE, projectAdministrativeUnit } from './admin-unit-objects';
import { badRequest, graphRoot, jsonResponse, notFoundResource, textResponse, type GraphEnv, type GraphResponse } from './http';
import { capExpandedCollection, pageOf, parseCollectionExpand, parseFilter, parseSelect, requireCountSegmentConsistency, splitTopLevel } from './odata';
import { ADMINISTRATIVE_UNIT_READ, DIRECTORY_ROLE_READ, ROLE_READ, USER_READ, hasAnyPermission, requireDirectory } from './permissions';
import { directoryRoleObject, directoryRoleObjectId } from './roles';
import { getUserOrThrow, projectUser, USER_PROPERTIES } from './users';

export const GROUP_READ = ['GroupMember.Read.All', 'GroupMember.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] as const;

export const GROUP_PROPERTIES = ['id', 'displayName', 'description', 'isAssignableToRole', 'securityEnabled', 'mailEnabled', 'groupTypes', 'mailNickname', 'createdDateTime', 'deletedDateTime'] as const;
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

export function projectGroup(g: DirectoryGroup, select: readonly string[] | null): Record<string, unknown> {
  const out: Record<string, unknown> = { '@odata.type': '#microsoft.graph.group' };
  for (const name of select ?? GROUP_DEFAULT) out[name] = groupValue(g, name);
  return out;
}

export function getGroupOrThrow(env: GraphEnv, id: string): DirectoryGroup {
  const g = env.ctx.directory.groups.get(id) ?? env.ctx.directory.groups.get(id.toLowerCase());
  if (g === undefined) throw notFoundResource(id);
  return g;
}

/**
 * A directoryObject (user, group or administrative unit) as a collection item, honouring
 * `$select` names that apply to its type and the limited-information rule.
 */
export function directoryObject(env: GraphEnv, id: string, select: readonly string[] | null): Record<string, unknown> | null {
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
  const au = dir.administrativeUnits.get(id);
  if (au !== undefined) {
    if (!hasAnyPermission(env, ADMINISTRATIVE_UNIT_READ)) return { '@odata.type': ADMINISTRATIVE_UNIT_TYPE, id };
    const names = select?.filter((n) => (ADMINISTRATIVE_UNIT_PROPERTIES as readonly string[]).includes(n)) ?? null;
    return { '@odata.type': ADMINISTRATIVE_UNIT_TYPE, ...projectAdministrativeUnit(au, names) };
  }
  return null;
}

/** `$select` on a directoryObject collection: any user, group, role or AU property name is accepted. */
export function directoryObjectSelect(env: GraphEnv): string[] | null {
  return parseSelect(
    env.req.query.get('$select'),
    [...new Set([...USER_PROPERTIES, ...GROUP_PROPERTIES, ...ROLE_PROPERTIES, ...ADMINISTRATIVE_UNIT_PROPERTIES])],
    'microsoft.graph.directoryObject',
  );
}

/** A paged collection body (`@odata.count` on the first page when asked for). */
export function collection(env: GraphEnv, entitySet: string, items: Record<string, unknown>[]): GraphResponse {
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
  const body: Record<string, unknown> = { '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#groups/$entity`, ...projectGroup(g, select) };
  const known = [...new Set([...USER_PROPERTIES, ...GROUP_PROPERTIES])];
  for (const e of parseCollectionExpand(env.req.query.get('$expand'), ['members', 'owners'], known, 'microsoft.graph.group') ?? []) {
    const ids = e.property === 'members' ? g.memberIds : g.ownerIds;
    // An expanded collection is a preview: 20 items at most and no link to the rest.
    body[e.property] = capExpandedCollection(ids.map((m) => directoryObject(env, m, e.select)).filter((o): o is Record<string, unknown> => o !== null));
  }
  return jsonResponse(env.req, 200, body);
}

/**
 * `GET /groups[?$filter=isAssignableToRole eq true|false][&$expand=owners|members(…)]`. Only the
 * filter the broker needs is modelled; any other is refused as Graph refuses a filter it cannot
 * serve. Expanded collections are capped like every `$expand` (20 items, no link to the rest), and
 * a page with `$expand` holds at most 100 groups.
 */
export function listGroups(env: GraphEnv): GraphResponse {
  requireDirectory(env, GROUP_READ);
  const select = parseSelect(env.req.query.get('$select'), GROUP_PROPERTIES, 'microsoft.graph.group');
  let groups = [...env.ctx.directory.groups.values()];
  const filter = env.req.query.get('$filter');
  if (filter !== undefined && filter.trim() !== '') {
    for (const c of parseFilter(filter)) {
      const wanted = c.values[0];
      if (c.property.toLowerCase() !== 'isassignabletorole' || c.op !== 'eq' || typeof wanted !== 'boolean') {
        throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
      }
      groups = groups.filter((g) => g.isAssignableToRole === wanted);
    }
  }
  const expand = parseCollectionExpand(env.req.query.get('$expand'), ['members', 'owners'], [...new Set([...USER_PROPERTIES, ...GROUP_PROPERTIES])], 'microsoft.graph.group') ?? [];
  const items = groups.map((g) => {
    const item = projectGroup(g, select);
    for (const e of expand) {
      const ids = e.property === 'members' ? g.memberIds : g.ownerIds;
      item[e.property] = capExpandedCollection(ids.map((m) => directoryObject(env, m, e.select)).filter((o): o is Record<string, unknown> => o !== null));
    }
    return item;
  });
  return collection(env, 'groups', items);
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

/** The `$select` list of a (possibly cast) directoryObject collection, checked against the cast type. */
function castSelect(env: GraphEnv, cast: MembershipCast | null): string[] | null {
  const raw = env.req.query.get('$select');
  if (cast === 'group') return parseSelect(raw, GROUP_PROPERTIES, 'microsoft.graph.group');
  if (cast === 'directoryRole') return parseSelect(raw, ROLE_PROPERTIES, 'microsoft.graph.directoryRole');
  if (cast === 'administrativeUnit') return parseSelect(raw, ADMINISTRATIVE_UNIT_PROPERTIES, 'microsoft.graph.administrativeUnit');
  return directoryObjectSelect(env);
}

/** The types a membership collection can be cast to, and the entity set each cast names. */
export type MembershipCast = 'group' | 'directoryRole' | 'administrativeUnit';
const CAST_ENTITY_SETS: Record<MembershipCast, string> = { group: 'groups', directoryRole: 'directoryRoles', administrativeUnit: 'administrativeUnits' };

/** Maps a canonical cast segment (`microsoft.graph.group`, from `parseCastSegment`) to a membership cast, or throws Graph's 400. */
export function membershipCast(cast: string | null): MembershipCast | null {
  if (cast === null) return null;
  if (cast === 'microsoft.graph.group') return 'group';
  if (cast === 'microsoft.graph.directoryrole') return 'directoryRole';
  if (cast === 'microsoft.graph.administrativeunit') return 'administrativeUnit';
  throw badRequest(`Resource not found for the segment '${cast}'.`, 'BadRequest');
}

/** Answers a membership collection (or its `/$count`) with the entity set its cast names. */
export function membershipResponse(env: GraphEnv, cast: MembershipCast | null, items: Record<string, unknown>[], countOnly: boolean): GraphResponse {
  if (countOnly) {
    requireCountSegmentConsistency(env);
    return textResponse(env.req, 200, String(items.length));
  }
  return collection(env, cast === null ? 'directoryObjects' : CAST_ENTITY_SETS[cast], items);
}

/**
 * `GET /users/{id}/memberOf[/{cast}][/$count]`: direct groups, administrative units and the
 * built-in roles assigned directly (active, tenant-wide). `cast` is the canonical cast segment.
 */
export function listMemberOf(env: GraphEnv, idOrUpn: string, castSegment: string | null = null, countOnly = false): GraphResponse {
  requireDirectory(env, USER_READ);
  const cast = membershipCast(castSegment);
  const user = getUserOrThrow(env, idOrUpn);
  const dir = env.ctx.directory;
  const select = castSelect(env, cast);
  const groupIds = cast === null || cast === 'group' ? [...dir.groups.values()].filter((g) => g.memberIds.includes(user.id)).map((g) => g.id) : [];
  const auIds = cast === null || cast === 'administrativeUnit' ? getAdministrativeUnitIds(dir, user.id) : [];
  const roles = cast === null || cast === 'directoryRole' ? getDirectRoleTemplateIds(dir, user.id) : [];
  const items = [
    ...[...groupIds, ...auIds].map((id) => directoryObject(env, id, select)).filter((o): o is Record<string, unknown> => o !== null),
    ...roles.map((t) => roleItem(env, t, select)),
  ];
  return membershipResponse(env, cast, items, countOnly);
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
 * The transitive memberships of a user for `transitiveMemberOf`: groups (nested included),
 * administrative units holding the user or one of those groups, and the built-in roles held
 * (active, tenant-wide) directly or through role-assignable groups.
 */
export function transitiveMemberships(env: GraphEnv, user: DirectoryUser, cast: MembershipCast | null): Record<string, unknown>[] {
  const dir = env.ctx.directory;
  const allGroups = getTransitiveGroupIds(dir, user.id);
  const groups = cast === null || cast === 'group' ? allGroups : [];
  const aus =
    cast === null || cast === 'administrativeUnit'
      ? [...dir.administrativeUnits.values()].filter((au) => au.memberIds.some((m) => m === user.id || allGroups.includes(m))).map((au) => au.id)
      : [];
  const roles = cast === null || cast === 'directoryRole' ? getEffectiveRoleTemplateIds(dir, user) : [];
  const select = castSelect(env, cast);
  return [
    ...[...groups, ...aus].map((g) => directoryObject(env, g, select)).filter((o): o is Record<string, unknown> => o !== null),
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
  // Only active, tenant-wide assignments of built-in roles make a principal a member of a directoryRole.
  const dir = env.ctx.directory;
  for (const a of dir.roleAssignments) {
    if (a.kind === 'active' && a.directoryScopeId === '/' && !isCustomRoleId(dir, a.roleDefinitionId)) add(a.roleDefinitionId, a.principalId);
  }
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
 * (docs/graph-behaviours.md#paging), and neither does their expanded `members` here.
 */
export function listDirectoryRoles(env: GraphEnv): GraphResponse {
  requireDirectory(env, DIRECTORY_ROLE_READ);
  const expand = parseMembersExpand(env.req.query.get('$expand'));
  const select = parseSelect(env.req.query.get('$select'), ROLE_PROPERTIES, 'microsoft.graph.directoryRole');
  const value = [...roleHolders(env)].map(([templateId, holders]) => {
    const role = directoryRoleObject(env.ctx.directory.tenantId, templateId);
    const out: Record<string, unknown> = select === null ? { ...role } : { '@odata.type': role['@odata.type'] };
    if (select !== null) for (const n of select) out[n] = role[n];
    if (expand !== null) out['members'] = capExpandedCollection(holders.map((id) => directoryObject(env, id, expand.select)).filter((o) => o !== null));
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
  requireDirectory(env, DIRECTORY_ROLE_READ);
  const t = findRoleByObjectId(env, id);
  const select = directoryObjectSelect(env);
  const holders = roleHolders(env).get(t) ?? [];
  return collection(env, 'directoryObjects', holders.map((h) => directoryObject(env, h, select)).filter((o): o is Record<string, unknown> => o !== null));
}
