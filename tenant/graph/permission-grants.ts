/**
 * `/oauth2PermissionGrants`: consent to delegated permissions, tenant-wide (`AllPrincipals`,
 * admin consent) or for one user (`Principal`).
 *
 *   GET  /oauth2PermissionGrants[?$filter=clientId eq '…' [and resourceId eq '…'] [and consentType eq '…'] [and principalId eq '…']]
 *   POST /oauth2PermissionGrants
 *   GET | PATCH { scope } | DELETE /oauth2PermissionGrants/{id}
 *
 * One grant exists per client, resource, consent type and user; a second is Graph's 409.
 */
import { addOAuth2PermissionGrant, AppRegistryError, findServicePrincipalById } from '../app-registry';
import type { Directory, OAuth2PermissionGrantRecord } from '../types';
import { requireAdminRole, requireRegistryPermission, rolesToGrantOn } from './app-admin';
import { PERMISSION_GRANT_PROPERTIES, permissionGrantJson, projectSelected } from './app-objects';
import { collection } from './groups';
import { GraphHttpError, badRequest, graphRoot, jsonResponse, noContent, notFoundResource, requireJsonObjectBody, type GraphEnv, type GraphResponse } from './http';
import { parseFilter } from './odata';
import { PERMISSION_GRANT_READ, PERMISSION_GRANT_WRITE, requireDirectory } from './permissions';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FILTERABLE = ['clientId', 'resourceId', 'consentType', 'principalId'] as const;

function invalidValue(prop: string): GraphHttpError {
  return badRequest(`Invalid value specified for property '${prop}' of resource 'OAuth2PermissionGrant'.`);
}

/** `GET /oauth2PermissionGrants`. */
export function listPermissionGrants(env: GraphEnv): GraphResponse {
  requireDirectory(env, PERMISSION_GRANT_READ);
  const filter = env.req.query.get('$filter');
  const conditions = filter === undefined || filter.trim() === '' ? [] : parseFilter(filter);
  const tests = conditions.map((c) => {
    const property = FILTERABLE.find((p) => p.toLowerCase() === c.property.toLowerCase());
    if (property === undefined) throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
    const values = c.values.map((v) => (typeof v === 'string' ? v.toLowerCase() : v));
    return (g: OAuth2PermissionGrantRecord): boolean => {
      const v = g[property];
      return values.includes(v === null ? null : v.toLowerCase());
    };
  });
  const items = env.ctx.directory.apps.oauth2PermissionGrants
    .filter((g) => tests.every((t) => t(g)))
    .map((g) => projectSelected(env, permissionGrantJson(g), PERMISSION_GRANT_PROPERTIES, 'microsoft.graph.oAuth2PermissionGrant'));
  return collection(env, 'oauth2PermissionGrants', items);
}

function getGrantOrThrow(dir: Directory, id: string): OAuth2PermissionGrantRecord {
  const g = dir.apps.oauth2PermissionGrants.find((x) => x.id === id);
  if (g === undefined) throw notFoundResource(id);
  return g;
}

/** `GET /oauth2PermissionGrants/{id}`. */
export function getPermissionGrant(env: GraphEnv, id: string): GraphResponse {
  requireDirectory(env, PERMISSION_GRANT_READ);
  const g = getGrantOrThrow(env.ctx.directory, id);
  return jsonResponse(env.req, 200, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#oauth2PermissionGrants/$entity`,
    ...projectSelected(env, permissionGrantJson(g), PERMISSION_GRANT_PROPERTIES, 'microsoft.graph.oAuth2PermissionGrant'),
  });
}

/** The roles a delegated caller needs to change `grant`: tenant-wide consent to Microsoft's APIs is privileged. */
function requireRoleFor(env: GraphEnv, grant: Pick<OAuth2PermissionGrantRecord, 'resourceId'>): void {
  const resource = findServicePrincipalById(env.ctx.directory, grant.resourceId);
  if (resource === undefined) throw notFoundResource(grant.resourceId);
  requireAdminRole(env, rolesToGrantOn(resource));
}

function parseScope(value: unknown): string {
  if (typeof value !== 'string') throw invalidValue('scope');
  // Graph keeps the caller's spacing; only surrounding blanks are trimmed.
  return value.trim();
}

/** `POST /oauth2PermissionGrants`: 201. */
export function createPermissionGrant(env: GraphEnv): GraphResponse {
  requireRegistryPermission(env, PERMISSION_GRANT_WRITE);
  const dir = env.ctx.directory;
  const body = requireJsonObjectBody(env.req);
  const { clientId, consentType, resourceId } = body;
  const principalId = body['principalId'] ?? null;
  if (typeof clientId !== 'string' || !GUID.test(clientId)) throw invalidValue('clientId');
  if (typeof resourceId !== 'string' || !GUID.test(resourceId)) throw invalidValue('resourceId');
  if (consentType !== 'AllPrincipals' && consentType !== 'Principal') throw invalidValue('consentType');
  if (consentType === 'AllPrincipals' && principalId !== null) throw invalidValue('principalId');
  if (consentType === 'Principal' && (typeof principalId !== 'string' || !GUID.test(principalId))) throw invalidValue('principalId');
  const client = findServicePrincipalById(dir, clientId);
  if (client === undefined) throw notFoundResource(clientId);
  requireRoleFor(env, { resourceId });
  const resource = findServicePrincipalById(dir, resourceId);
  if (resource === undefined) throw notFoundResource(resourceId);
  let userId: string | null = null;
  if (typeof principalId === 'string') {
    const user = [...dir.users.values()].find((u) => u.id.toLowerCase() === principalId.toLowerCase());
    if (user === undefined) throw notFoundResource(principalId);
    userId = user.id;
  }
  for (const key of Object.keys(body)) {
    if (!['clientId', 'consentType', 'principalId', 'resourceId', 'scope', '@odata.type'].includes(key)) {
      throw badRequest(`Property '${key}' does not exist as a declared property or extension property.`);
    }
  }
  const scope = parseScope(body['scope'] ?? '');
  let grant: OAuth2PermissionGrantRecord;
  try {
    grant = addOAuth2PermissionGrant(dir, { clientId: client.id, consentType, principalId: userId, resourceId: resource.id, scope });
  } catch (e) {
    if (e instanceof AppRegistryError && e.kind === 'conflict') throw new GraphHttpError(409, 'Request_MultipleObjectsWithSameKeyValue', e.message);
    throw e;
  }
  return jsonResponse(env.req, 201, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#oauth2PermissionGrants/$entity`,
    ...permissionGrantJson(grant),
  });
}

/** `PATCH /oauth2PermissionGrants/{id}` `{ scope }`: 204. Only the scope can change. */
export function patchPermissionGrant(env: GraphEnv, id: string): GraphResponse {
  requireRegistryPermission(env, PERMISSION_GRANT_WRITE);
  const grant = getGrantOrThrow(env.ctx.directory, id);
  requireRoleFor(env, grant);
  const body = requireJsonObjectBody(env.req);
  for (const key of Object.keys(body)) {
    if (key !== 'scope' && key !== '@odata.type') throw badRequest(`Property '${key}' is read-only and cannot be set.`);
  }
  if ('scope' in body) grant.scope = parseScope(body['scope']);
  return noContent(env.req);
}

/** `DELETE /oauth2PermissionGrants/{id}`: 204. */
export function deletePermissionGrant(env: GraphEnv, id: string): GraphResponse {
  requireRegistryPermission(env, PERMISSION_GRANT_WRITE);
  const dir = env.ctx.directory;
  const grant = getGrantOrThrow(dir, id);
  requireRoleFor(env, grant);
  dir.apps.oauth2PermissionGrants = dir.apps.oauth2PermissionGrants.filter((g) => g !== grant);
  return noContent(env.req);
}
