/**
 * The v1.0 `roleManagement/directory` reads that see every kind of directory role assignment:
 * `roleAssignments` (active; built-in and custom roles, any scope, users and groups),
 * `roleAssignmentScheduleInstances` (active, the PIM view of the same), `roleEligibilityScheduleInstances`
 * (PIM-eligible) and `roleDefinitions` (built-in and custom).
 *
 * Ids follow Entra's shapes: an assignment id is base64url(roleDefinitionId) + base64url(principalId)
 * + `-1` (an AU-scoped one carries the AU's id too, so that it stays unique); an eligibility
 * instance's id ends in `-1-e`. They are stable across restarts, as the seed is.
 */
import { createHash } from 'node:crypto';
import { isCustomRoleId } from '../directory';
import { BUILT_IN_DIRECTORY_ROLES, getDirectoryRoleInfo } from '../roles';
import type { Directory, DirectoryRoleAssignment } from '../types';
import { badRequest, graphRoot, jsonResponse, notFoundResource, type GraphEnv, type GraphResponse } from './http';
import { pageOf, parseFilter, parseSelect } from './odata';
import { ROLE_ASSIGNMENT_SCHEDULE_READ, ROLE_ELIGIBILITY_READ, ROLE_READ, requireDirectory } from './permissions';

function guidBytes(guid: string): Buffer {
  return Buffer.from(guid.replace(/-/g, ''), 'hex');
}

function baseId(a: DirectoryRoleAssignment): string {
  const scope = a.directoryScopeId === '/' ? '' : `-${guidBytes(a.directoryScopeId.slice(a.directoryScopeId.lastIndexOf('/') + 1)).toString('base64url')}`;
  return `${guidBytes(a.roleDefinitionId).toString('base64url')}${guidBytes(a.principalId).toString('base64url')}${scope}`;
}

/** The `unifiedRoleAssignment` id of an active assignment (also its schedule and schedule instance id). */
export function roleAssignmentId(a: DirectoryRoleAssignment): string {
  return `${baseId(a)}-1`;
}

/** When PIM-eligible assignments of the local tenant began (a fixed date keeps responses stable). */
const ELIGIBLE_SINCE = '2024-01-01T08:00:00Z';

/** Reads a `$filter` of `eq`/`in` clauses on these properties; anything else is an unsupported query. */
function assignmentFilter(env: GraphEnv, required: boolean): (a: DirectoryRoleAssignment) => boolean {
  const raw = env.req.query.get('$filter');
  if (raw === undefined || raw.trim() === '') {
    // A $filter on principalId or roleDefinitionId is required on roleAssignments; the message is ours.
    if (required) throw badRequest('A $filter on principalId or roleDefinitionId is required.', 'BadRequest');
    return () => true;
  }
  const filterable = ['principalId', 'roleDefinitionId', 'directoryScopeId'] as const;
  const conditions = parseFilter(raw).map((c) => {
    const property = filterable.find((f) => f.toLowerCase() === c.property.toLowerCase());
    if (property === undefined) throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
    return { property, values: c.values.filter((v): v is string => typeof v === 'string').map((v) => v.toLowerCase()) };
  });
  if (required && !conditions.some((c) => c.property === 'principalId' || c.property === 'roleDefinitionId')) {
    throw badRequest('A $filter on principalId or roleDefinitionId is required.', 'BadRequest');
  }
  return (a) => conditions.every((c) => c.values.includes(a[c.property].toLowerCase()));
}

/** Projects each item onto `$select` (Graph returns only the selected properties) or leaves it whole. */
function selected(env: GraphEnv, items: Record<string, unknown>[], known: readonly string[], typeName: string): Record<string, unknown>[] {
  const select = parseSelect(env.req.query.get('$select'), known, typeName);
  if (select === null) return items;
  return items.map((item) => Object.fromEntries(select.map((n) => [n, item[n] ?? null])));
}

function pagedBody(env: GraphEnv, entitySet: string, items: Record<string, unknown>[]): GraphResponse {
  const { page, nextLink } = pageOf(env, items);
  const body: Record<string, unknown> = { '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#${entitySet}` };
  if (env.req.query.get('$count')?.toLowerCase() === 'true' && env.req.query.get('$skiptoken') === undefined) body['@odata.count'] = items.length;
  if (nextLink !== null) body['@odata.nextLink'] = nextLink;
  body['value'] = page;
  return jsonResponse(env.req, 200, body);
}

const ROLE_ASSIGNMENT_PROPERTIES = ['id', 'principalId', 'roleDefinitionId', 'directoryScopeId', 'resourceScope', 'appScopeId', 'condition'] as const;

/**
 * The active assignments as `unifiedRoleAssignment` items, filtered; `required` makes the
 * principalId/roleDefinitionId filter mandatory (as `roleAssignments` does).
 */
function listActiveAssignmentItems(env: GraphEnv, required: boolean): Record<string, unknown>[] {
  const keep = assignmentFilter(env, required);
  const items = env.ctx.directory.roleAssignments
    .filter((a) => a.kind === 'active' && keep(a))
    .map((a) => ({
      id: roleAssignmentId(a),
      principalId: a.principalId,
      resourceScope: a.directoryScopeId,
      directoryScopeId: a.directoryScopeId,
      roleDefinitionId: a.roleDefinitionId,
      appScopeId: null,
      condition: null,
    }));
  const defaults = ['id', 'principalId', 'resourceScope', 'directoryScopeId', 'roleDefinitionId'];
  const select = parseSelect(env.req.query.get('$select'), ROLE_ASSIGNMENT_PROPERTIES, 'microsoft.graph.unifiedRoleAssignment') ?? defaults;
  return items.map((item) => Object.fromEntries(select.map((n) => [n, item[n as keyof typeof item]])));
}

/** Answers a `unifiedRoleAssignment` collection (v1.0 `roleAssignments`, beta `transitiveRoleAssignments`). */
export function roleAssignmentsResponse(env: GraphEnv, entitySet: string): GraphResponse {
  return pagedBody(env, entitySet, listActiveAssignmentItems(env, true));
}

const ASSIGNMENT_INSTANCE_PROPERTIES = [
  'id',
  'principalId',
  'roleDefinitionId',
  'directoryScopeId',
  'appScopeId',
  'startDateTime',
  'endDateTime',
  'assignmentType',
  'memberType',
  'roleAssignmentOriginId',
  'roleAssignmentScheduleId',
] as const;

/**
 * `GET /roleManagement/directory/roleAssignmentScheduleInstances[?$filter=principalId eq '…']`:
 * every ACTIVE assignment, permanent ones included (`assignmentType` "Assigned", no start or end).
 */
export function listRoleAssignmentScheduleInstances(env: GraphEnv): GraphResponse {
  requireDirectory(env, ROLE_ASSIGNMENT_SCHEDULE_READ);
  const keep = assignmentFilter(env, false);
  const items = env.ctx.directory.roleAssignments
    .filter((a) => a.kind === 'active' && keep(a))
    .map((a) => {
      const id = roleAssignmentId(a);
      return {
        id,
        principalId: a.principalId,
        roleDefinitionId: a.roleDefinitionId,
        directoryScopeId: a.directoryScopeId,
        appScopeId: null,
        startDateTime: null,
        endDateTime: null,
        assignmentType: 'Assigned',
        memberType: 'Direct',
        roleAssignmentOriginId: id,
        roleAssignmentScheduleId: id,
      };
    });
  return pagedBody(
    env,
    'roleManagement/directory/roleAssignmentScheduleInstances',
    selected(env, items, ASSIGNMENT_INSTANCE_PROPERTIES, 'microsoft.graph.unifiedRoleAssignmentScheduleInstance'),
  );
}

const ELIGIBILITY_INSTANCE_PROPERTIES = [
  'id',
  'principalId',
  'roleDefinitionId',
  'directoryScopeId',
  'appScopeId',
  'startDateTime',
  'endDateTime',
  'memberType',
  'roleEligibilityScheduleId',
] as const;

/** `GET /roleManagement/directory/roleEligibilityScheduleInstances[?$filter=principalId eq '…']`: every PIM-eligible assignment. */
export function listRoleEligibilityScheduleInstances(env: GraphEnv): GraphResponse {
  requireDirectory(env, ROLE_ELIGIBILITY_READ);
  const keep = assignmentFilter(env, false);
  const items = env.ctx.directory.roleAssignments
    .filter((a) => a.kind === 'eligible' && keep(a))
    .map((a) => ({
      id: `${baseId(a)}-1-e`,
      principalId: a.principalId,
      roleDefinitionId: a.roleDefinitionId,
      directoryScopeId: a.directoryScopeId,
      appScopeId: null,
      startDateTime: ELIGIBLE_SINCE,
      endDateTime: null,
      memberType: 'Direct',
      roleEligibilityScheduleId: scheduleGuid(baseId(a)),
    }));
  return pagedBody(
    env,
    'roleManagement/directory/roleEligibilityScheduleInstances',
    selected(env, items, ELIGIBILITY_INSTANCE_PROPERTIES, 'microsoft.graph.unifiedRoleEligibilityScheduleInstance'),
  );
}

function scheduleGuid(seed: string): string {
  const h = createHash('sha256').update(`role-eligibility-schedule:${seed}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const ROLE_DEFINITION_PROPERTIES = ['id', 'description', 'displayName', 'isBuiltIn', 'isEnabled', 'resourceScopes', 'rolePermissions', 'templateId', 'version'] as const;

/**
 * Every role definition: the built-in table, any other template id the seed assigns, and the
 * custom roles. Built-in roles' resource actions are not modelled (their `rolePermissions` is empty).
 */
function roleDefinitions(dir: Directory): Record<string, unknown>[] {
  const builtIn = new Set(BUILT_IN_DIRECTORY_ROLES.map((r) => r.templateId));
  for (const a of dir.roleAssignments) if (!isCustomRoleId(dir, a.roleDefinitionId)) builtIn.add(a.roleDefinitionId);
  const out: Record<string, unknown>[] = [...builtIn].map((templateId) => {
    const info = getDirectoryRoleInfo(templateId);
    return {
      id: info.templateId,
      description: info.description,
      displayName: info.displayName,
      isBuiltIn: true,
      isEnabled: true,
      resourceScopes: ['/'],
      templateId: info.templateId,
      version: '1',
      rolePermissions: [],
    };
  });
  for (const r of dir.customRoles.values()) {
    out.push({
      id: r.id,
      description: r.description,
      displayName: r.displayName,
      isBuiltIn: false,
      isEnabled: true,
      resourceScopes: ['/'],
      templateId: r.id,
      version: null,
      rolePermissions: [{ allowedResourceActions: [...r.permissions], condition: null }],
    });
  }
  return out;
}

/** `GET /roleManagement/directory/roleDefinitions[?$filter=isBuiltIn eq false]` (not paged, as in Graph). */
export function listRoleDefinitions(env: GraphEnv): GraphResponse {
  requireDirectory(env, ROLE_READ);
  let items = roleDefinitions(env.ctx.directory);
  const raw = env.req.query.get('$filter');
  if (raw !== undefined && raw.trim() !== '') {
    const filterable = ['id', 'displayName', 'templateId', 'isBuiltIn'];
    for (const c of parseFilter(raw)) {
      const property = filterable.find((f) => f.toLowerCase() === c.property.toLowerCase());
      if (property === undefined) throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
      const wanted = c.values.map((v) => (typeof v === 'string' ? v.toLowerCase() : v));
      items = items.filter((item) => {
        const v = item[property];
        return wanted.includes(typeof v === 'string' ? v.toLowerCase() : (v as boolean));
      });
    }
  }
  const value = selected(env, items, ROLE_DEFINITION_PROPERTIES, 'microsoft.graph.unifiedRoleDefinition');
  return jsonResponse(env.req, 200, { '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#roleManagement/directory/roleDefinitions`, value });
}

/** `GET /roleManagement/directory/roleDefinitions/{id}` */
export function getRoleDefinition(env: GraphEnv, id: string): GraphResponse {
  requireDirectory(env, ROLE_READ);
  const item = roleDefinitions(env.ctx.directory).find((d) => d['id'] === id.toLowerCase());
  if (item === undefined) throw notFoundResource(id);
  const [value] = selected(env, [item], ROLE_DEFINITION_PROPERTIES, 'microsoft.graph.unifiedRoleDefinition');
  return jsonResponse(env.req, 200, { '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#roleManagement/directory/roleDefinitions/$entity`, ...value });
}
