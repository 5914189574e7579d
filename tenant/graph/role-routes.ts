/**
 * Does a user hold directory roles? (docs/graph-behaviours.md#directory-roles) —
 * `transitiveMemberOf/microsoft.graph.directoryRole` (v1.0), `roleManagement/directory/roleAssignments` (v1.0) and beta
 * `roleManagement/directory/transitiveRoleAssignments`. Roles are assigned to users directly or to
 * role-assignable groups (seed extension); group assignments name the group as `principalId` and
 * show in the members' `transitiveMemberOf`.
 */
import { GraphHttpError, badRequest, graphRoot, hasConsistencyEventual, jsonResponse, textResponse, type GraphEnv, type GraphResponse } from './http';
import { membershipCast, transitiveMemberships } from './groups';
import { roleAssignmentsResponse } from './role-management';
import { pageOf, requireCountSegmentConsistency } from './odata';
import { MEMBERSHIP_READ, ROLE_READ, requireDirectory } from './permissions';
import { getUserOrThrow } from './users';

/**
 * `GET /users/{id}/transitiveMemberOf[/microsoft.graph.directoryRole|group][/$count]`.
 * `cast` is the cast segment as `parseCastSegment` canonicalises it (either spelling, any case),
 * the raw segment when it is no cast, or null.
 */
export function listTransitiveMemberOf(env: GraphEnv, idOrUpn: string, cast: string | null, countOnly: boolean): GraphResponse {
  requireDirectory(env, MEMBERSHIP_READ);
  const user = getUserOrThrow(env, idOrUpn);
  const items = transitiveMemberships(env, user, membershipCast(cast));
  if (countOnly) {
    requireCountSegmentConsistency(env);
    return textResponse(env.req, 200, String(items.length));
  }
  const { page, nextLink } = pageOf(env, items);
  const entitySet =
    cast === null ? 'directoryObjects' : cast === 'microsoft.graph.directoryrole' ? 'directoryRoles' : cast === 'microsoft.graph.administrativeunit' ? 'administrativeUnits' : 'groups';
  const body: Record<string, unknown> = { '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#${entitySet}` };
  if (env.req.query.get('$count')?.toLowerCase() === 'true' && env.req.query.get('$skiptoken') === undefined) body['@odata.count'] = items.length;
  if (nextLink !== null) body['@odata.nextLink'] = nextLink;
  body['value'] = page;
  return jsonResponse(env.req, 200, body);
}

/**
 * v1.0 `GET /roleManagement/directory/roleAssignments?$filter=principalId eq '…'`: ACTIVE
 * assignments of built-in (roleDefinitionId = template id) and custom roles, at any scope, of
 * users and groups (a group-held role names the group). PIM-eligible ones are not here.
 */
export function listRoleAssignments(env: GraphEnv): GraphResponse {
  requireDirectory(env, ROLE_READ);
  return roleAssignmentsResponse(env, 'roleManagement/directory/roleAssignments');
}

/**
 * Beta `GET /roleManagement/directory/transitiveRoleAssignments`: 404 without
 * `ConsistencyLevel: eventual` (the error body is undocumented; ours names the segment).
 */
export function listTransitiveRoleAssignments(env: GraphEnv): GraphResponse {
  if (!hasConsistencyEventual(env.req)) {
    throw new GraphHttpError(404, 'Request_ResourceNotFound', "Resource not found for the segment 'transitiveRoleAssignments'.");
  }
  requireDirectory(env, ROLE_READ);
  if (env.req.query.get('$count')?.toLowerCase() !== 'true') {
    // Graph requires `$count=true` here too; the message is ours.
    throw badRequest('$count=true is required for transitiveRoleAssignments.', 'BadRequest');
  }
  return roleAssignmentsResponse(env, 'roleManagement/directory/transitiveRoleAssignments');
}
