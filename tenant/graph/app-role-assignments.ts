/**
 * App role assignments in the tenant's registry, from both ends:
 *
 *   GET | POST /servicePrincipals/{id}/appRoleAssignedTo         (the resource's side)
 *   DELETE     /servicePrincipals/{id}/appRoleAssignedTo/{assignmentId}
 *   GET | POST /servicePrincipals/{id}/appRoleAssignments        (a client's side)
 *   GET | POST /users/{id}/appRoleAssignments, /groups/{id}/appRoleAssignments
 *   DELETE     …/appRoleAssignments/{assignmentId}
 *
 * An assignment of one of Microsoft Graph's app roles to a client's service principal is admin
 * consent to an application permission: the token endpoint puts it in that client's `roles`.
 * Graph validates what it is given: both ends exist, the role is an enabled role of the resource
 * that allows the principal's kind, and the same assignment does not exist yet.
 */
import { addAppRoleAssignment, AppRegistryError, findServicePrincipalById, removeAppRoleAssignment } from '../app-registry';
import type { AppRoleAssignmentRecord, Directory } from '../types';
import { requireAdminRole, requireRegistryPermission, rolesToGrantOn } from './app-admin';
import { APP_ROLE_ASSIGNMENT_PROPERTIES, appRoleAssignmentJson, getServicePrincipalOrThrow, projectSelected, type AppKey } from './app-objects';
import { collection } from './groups';
import { badRequest, graphRoot, jsonResponse, noContent, notFoundResource, requireJsonObjectBody, type GraphEnv, type GraphResponse } from './http';
import { APP_ROLE_ASSIGNMENT_READ, APP_ROLE_ASSIGNMENT_WRITE, APPLICATION_READ, requireDirectory } from './permissions';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The object a path names: a service principal (either end), a user or a group (principals only). */
export type AssignmentOwner = { kind: 'servicePrincipal'; key: AppKey } | { kind: 'user'; ref: string } | { kind: 'group'; id: string };

interface Principal {
  id: string;
  type: AppRoleAssignmentRecord['principalType'];
  displayName: string;
}

function findPrincipal(dir: Directory, id: string): Principal | null {
  const lower = id.toLowerCase();
  for (const u of dir.users.values()) if (u.id.toLowerCase() === lower) return { id: u.id, type: 'User', displayName: u.displayName };
  for (const g of dir.groups.values()) if (g.id.toLowerCase() === lower) return { id: g.id, type: 'Group', displayName: g.displayName };
  const sp = findServicePrincipalById(dir, id);
  return sp === undefined ? null : { id: sp.id, type: 'ServicePrincipal', displayName: sp.displayName };
}

/** The principal a `/users|groups|servicePrincipals/{…}/appRoleAssignments` path names, or Graph's 404. */
function principalOfPath(dir: Directory, owner: AssignmentOwner): Principal {
  if (owner.kind === 'servicePrincipal') {
    const sp = getServicePrincipalOrThrow(dir, owner.key);
    return { id: sp.id, type: 'ServicePrincipal', displayName: sp.displayName };
  }
  if (owner.kind === 'user') {
    const id = dir.usersByUpn.get(owner.ref.toLowerCase()) ?? owner.ref;
    const p = findPrincipal(dir, id);
    if (p === null || p.type !== 'User') throw notFoundResource(owner.ref);
    return p;
  }
  const p = findPrincipal(dir, owner.id);
  if (p === null || p.type !== 'Group') throw notFoundResource(owner.id);
  return p;
}

function list(env: GraphEnv, entitySet: string, items: AppRoleAssignmentRecord[]): GraphResponse {
  const dir = env.ctx.directory;
  const value = items.map((a) => projectSelected(env, appRoleAssignmentJson(dir, a), APP_ROLE_ASSIGNMENT_PROPERTIES, 'microsoft.graph.appRoleAssignment'));
  return collection(env, entitySet, value);
}

function refusesFilter(env: GraphEnv): void {
  const filter = env.req.query.get('$filter');
  if (filter !== undefined && filter.trim() !== '') throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
}

/** `GET /servicePrincipals/{id}/appRoleAssignedTo`: every assignment on the resource. */
export function listAppRoleAssignedTo(env: GraphEnv, key: AppKey): GraphResponse {
  requireDirectory(env, APP_ROLE_ASSIGNMENT_READ);
  const sp = getServicePrincipalOrThrow(env.ctx.directory, key);
  refusesFilter(env);
  const items = env.ctx.directory.apps.appRoleAssignments.filter((a) => a.resourceId.toLowerCase() === sp.id.toLowerCase());
  return list(env, `servicePrincipals('${sp.id}')/appRoleAssignedTo`, items);
}

function pathSegmentOf(owner: AssignmentOwner, principal: Principal): string {
  const set = owner.kind === 'servicePrincipal' ? 'servicePrincipals' : owner.kind === 'user' ? 'users' : 'groups';
  return `${set}('${principal.id}')/appRoleAssignments`;
}

/** `GET /{servicePrincipals|users|groups}/{id}/appRoleAssignments`: what the principal has been assigned. */
export function listAppRoleAssignments(env: GraphEnv, owner: AssignmentOwner): GraphResponse {
  requireDirectory(env, APP_ROLE_ASSIGNMENT_READ);
  const principal = principalOfPath(env.ctx.directory, owner);
  refusesFilter(env);
  const items = env.ctx.directory.apps.appRoleAssignments.filter((a) => a.principalId.toLowerCase() === principal.id.toLowerCase());
  return list(env, pathSegmentOf(owner, principal), items);
}

function invalidValue(prop: string): ReturnType<typeof badRequest> {
  return badRequest(`Invalid value specified for property '${prop}' of resource 'AppRoleAssignment'.`);
}

/**
 * Validates and records one assignment, once the caller's permission has been checked. `fixed` is
 * what the path pins (the resource for `appRoleAssignedTo`, the principal for
 * `appRoleAssignments`): the body must agree with it.
 */
function assign(env: GraphEnv, fixed: { resourceId?: string; principalId?: string }): AppRoleAssignmentRecord {
  const dir = env.ctx.directory;
  const body = requireJsonObjectBody(env.req);
  const { principalId, resourceId, appRoleId } = body;
  if (typeof principalId !== 'string' || !GUID.test(principalId)) throw invalidValue('principalId');
  if (typeof resourceId !== 'string' || !GUID.test(resourceId)) throw invalidValue('resourceId');
  if (typeof appRoleId !== 'string' || !GUID.test(appRoleId)) throw invalidValue('appRoleId');
  if (fixed.resourceId !== undefined && fixed.resourceId.toLowerCase() !== resourceId.toLowerCase()) throw invalidValue('resourceId');
  if (fixed.principalId !== undefined && fixed.principalId.toLowerCase() !== principalId.toLowerCase()) throw invalidValue('principalId');
  const resource = findServicePrincipalById(dir, resourceId);
  if (resource === undefined) throw notFoundResource(resourceId);
  requireAdminRole(env, rolesToGrantOn(resource));
  const principal = findPrincipal(dir, principalId);
  if (principal === null) throw notFoundResource(principalId);
  try {
    return addAppRoleAssignment(dir, { principalId: principal.id, principalType: principal.type, principalDisplayName: principal.displayName, resourceId: resource.id, appRoleId });
  } catch (e) {
    // Graph answers an unknown or disallowed role, and a repeated assignment, with a 400.
    if (e instanceof AppRegistryError) throw badRequest(e.message);
    throw e;
  }
}

function created(env: GraphEnv, entitySet: string, record: AppRoleAssignmentRecord): GraphResponse {
  return jsonResponse(env.req, 201, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#${entitySet}/$entity`,
    ...appRoleAssignmentJson(env.ctx.directory, record),
  });
}

/** `POST /servicePrincipals/{id}/appRoleAssignedTo`: 201. */
export function createAppRoleAssignedTo(env: GraphEnv, key: AppKey): GraphResponse {
  requireRegistryPermission(env, APP_ROLE_ASSIGNMENT_WRITE, APPLICATION_READ);
  const resource = getServicePrincipalOrThrow(env.ctx.directory, key);
  const record = assign(env, { resourceId: resource.id });
  return created(env, `servicePrincipals('${resource.id}')/appRoleAssignedTo`, record);
}

/** `POST /{servicePrincipals|users|groups}/{id}/appRoleAssignments`: 201. */
export function createAppRoleAssignment(env: GraphEnv, owner: AssignmentOwner): GraphResponse {
  requireRegistryPermission(env, APP_ROLE_ASSIGNMENT_WRITE, APPLICATION_READ);
  const principal = principalOfPath(env.ctx.directory, owner);
  const record = assign(env, { principalId: principal.id });
  return created(env, pathSegmentOf(owner, principal), record);
}

function removeAssignment(env: GraphEnv, matches: (a: AppRoleAssignmentRecord) => boolean, assignmentId: string): GraphResponse {
  const dir = env.ctx.directory;
  const found = dir.apps.appRoleAssignments.find((a) => a.id === assignmentId && matches(a));
  if (found === undefined) throw notFoundResource(assignmentId);
  const resource = findServicePrincipalById(dir, found.resourceId);
  if (resource !== undefined) requireAdminRole(env, rolesToGrantOn(resource));
  removeAppRoleAssignment(dir, found.id);
  return noContent(env.req);
}

/** `DELETE /servicePrincipals/{id}/appRoleAssignedTo/{assignmentId}`: 204. */
export function deleteAppRoleAssignedTo(env: GraphEnv, key: AppKey, assignmentId: string): GraphResponse {
  requireRegistryPermission(env, APP_ROLE_ASSIGNMENT_WRITE, APPLICATION_READ);
  const resource = getServicePrincipalOrThrow(env.ctx.directory, key);
  return removeAssignment(env, (a) => a.resourceId.toLowerCase() === resource.id.toLowerCase(), assignmentId);
}

/** `DELETE /{servicePrincipals|users|groups}/{id}/appRoleAssignments/{assignmentId}`: 204. */
export function deleteAppRoleAssignment(env: GraphEnv, owner: AssignmentOwner, assignmentId: string): GraphResponse {
  requireRegistryPermission(env, APP_ROLE_ASSIGNMENT_WRITE, APPLICATION_READ);
  const principal = principalOfPath(env.ctx.directory, owner);
  return removeAssignment(env, (a) => a.principalId.toLowerCase() === principal.id.toLowerCase(), assignmentId);
}
