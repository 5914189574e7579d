/**
 * Does a user hold directory roles? (facts §4) — `transitiveMemberOf/microsoft.graph.directoryRole`
 * (v1.0), `roleManagement/directory/roleAssignments` (v1.0) and beta
 * `roleManagement/directory/transitiveRoleAssignments`. Roles are assigned to users directly or to
 * role-assignable groups (seed extension); group assignments name the group as `principalId` and
 * show in the members' `transitiveMemberOf` (facts §4).
 */
import { GraphHttpError, badRequest, graphRoot, hasConsistencyEventual, jsonResponse, textResponse, type GraphEnv, type GraphResponse } from './http';
import { transitiveMemberships } from './groups';
import { pageOf, parseFilter } from './odata';
import { ROLE_READ, USER_READ, requireDirectory } from './permissions';
import { getUserOrThrow } from './users';

/**
 * `GET /users/{id}/transitiveMemberOf[/microsoft.graph.directoryRole|group][/$count]`.
 * `cast` is the lower-cased OData cast segment or null.
 */
export function listTransitiveMemberOf(env: GraphEnv, idOrUpn: string, cast: string | null, countOnly: boolean): GraphResponse {
  requireDirectory(env, [...USER_READ, ...ROLE_READ]);
  const user = getUserOrThrow(env, idOrUpn);
  let items: Record<string, unknown>[];
  if (cast === null) items = transitiveMemberships(env, user, null);
  else if (cast === 'microsoft.graph.directoryrole') items = transitiveMemberships(env, user, 'directoryRole');
  else if (cast === 'microsoft.graph.group') items = transitiveMemberships(env, user, 'group');
  else if (cast === 'microsoft.graph.administrativeunit') items = [];
  else throw badRequest(`Resource not found for the segment '${cast}'.`, 'BadRequest');
  if (countOnly) {
    if (!hasConsistencyEventual(env.req)) throw badRequest('$count is not currently supported.');
    return textResponse(env.req, 200, String(items.length));
  }
  const { page, nextLink } = pageOf(env, items);
  const entitySet = cast === null ? 'directoryObjects' : cast === 'microsoft.graph.directoryrole' ? 'directoryRoles' : 'groups';
  const body: Record<string, unknown> = { '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#${entitySet}` };
  if (env.req.query.get('$count')?.toLowerCase() === 'true' && env.req.query.get('$skiptoken') === undefined) body['@odata.count'] = items.length;
  if (nextLink !== null) body['@odata.nextLink'] = nextLink;
  body['value'] = page;
  return jsonResponse(env.req, 200, body);
}

function guidBytes(guid: string): Buffer {
  return Buffer.from(guid.replace(/-/g, ''), 'hex');
}

/** Entra's assignment ids look like base64url(roleDefinitionId) + base64url(principalId) + `-1`. */
function assignmentId(templateId: string, principalId: string): string {
  return `${guidBytes(templateId).toString('base64url')}${guidBytes(principalId).toString('base64url')}-1`;
}

interface Assignment {
  id: string;
  principalId: string;
  resourceScope: string;
  directoryScopeId: string;
  roleDefinitionId: string;
}

function allAssignments(env: GraphEnv): Assignment[] {
  const out: Assignment[] = [];
  for (const u of env.ctx.directory.users.values()) {
    for (const t of u.directoryRoleTemplateIds) {
      // Built-in role definitions use their template id as their id.
      out.push({ id: assignmentId(t, u.id), principalId: u.id, resourceScope: '/', directoryScopeId: '/', roleDefinitionId: t });
    }
  }
  for (const g of env.ctx.directory.groups.values()) {
    for (const t of g.directoryRoleTemplateIds) {
      out.push({ id: assignmentId(t, g.id), principalId: g.id, resourceScope: '/', directoryScopeId: '/', roleDefinitionId: t });
    }
  }
  return out;
}

const ASSIGNMENT_FILTERABLE = ['principalId', 'roleDefinitionId', 'directoryScopeId'] as const;

function filteredAssignments(env: GraphEnv): Assignment[] {
  const raw = env.req.query.get('$filter');
  if (raw === undefined || raw.trim() === '') {
    // Facts §4: a $filter on principalId or roleDefinitionId is required; the message is ours.
    throw badRequest('A $filter on principalId or roleDefinitionId is required.', 'BadRequest');
  }
  const conditions = parseFilter(raw).map((c) => {
    const canonical = ASSIGNMENT_FILTERABLE.find((f) => f.toLowerCase() === c.property.toLowerCase());
    if (canonical === undefined) throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
    return { ...c, property: canonical };
  });
  if (!conditions.some((c) => c.property === 'principalId' || c.property === 'roleDefinitionId')) {
    throw badRequest('A $filter on principalId or roleDefinitionId is required.', 'BadRequest');
  }
  return allAssignments(env).filter((a) =>
    conditions.every((c) => c.values.some((v) => typeof v === 'string' && a[c.property as keyof Assignment].toLowerCase() === v.toLowerCase())),
  );
}

function assignmentsBody(env: GraphEnv, entitySet: string, items: Assignment[]): GraphResponse {
  const { page, nextLink } = pageOf(env, items);
  const body: Record<string, unknown> = { '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#${entitySet}` };
  if (env.req.query.get('$count')?.toLowerCase() === 'true' && env.req.query.get('$skiptoken') === undefined) body['@odata.count'] = items.length;
  if (nextLink !== null) body['@odata.nextLink'] = nextLink;
  body['value'] = page;
  return jsonResponse(env.req, 200, body);
}

/** v1.0 `GET /roleManagement/directory/roleAssignments?$filter=principalId eq '…'`. */
export function listRoleAssignments(env: GraphEnv): GraphResponse {
  requireDirectory(env, ROLE_READ);
  return assignmentsBody(env, 'roleManagement/directory/roleAssignments', filteredAssignments(env));
}

/**
 * Beta `GET /roleManagement/directory/transitiveRoleAssignments`: 404 without
 * `ConsistencyLevel: eventual` (facts §4; the error body is undocumented, ours names the segment).
 */
export function listTransitiveRoleAssignments(env: GraphEnv): GraphResponse {
  if (!hasConsistencyEventual(env.req)) {
    throw new GraphHttpError(404, 'Request_ResourceNotFound', "Resource not found for the segment 'transitiveRoleAssignments'.");
  }
  requireDirectory(env, ROLE_READ);
  if (env.req.query.get('$count')?.toLowerCase() !== 'true') {
    // Facts §4: `$count=true` is required too; the message is ours.
    throw badRequest('$count=true is required for transitiveRoleAssignments.', 'BadRequest');
  }
  return assignmentsBody(env, 'roleManagement/directory/transitiveRoleAssignments', filteredAssignments(env));
}
