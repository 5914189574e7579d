/**
 * `/servicePrincipals` on the tenant's registry: the list with the filters setup tooling uses,
 * creation from a registration's `appId`, and the few writable settings.
 *
 *   GET  /servicePrincipals[?$filter=appId eq '…' | displayName eq '…' | servicePrincipalNames/any(x:x eq '…')][&$select=…]
 *   POST /servicePrincipals { appId }
 *   GET | PATCH | DELETE /servicePrincipals/{id} | /servicePrincipals(appId='…')
 *
 * A new service principal copies its registration's app roles, scopes and identifier URIs
 * (tenant/app-registry.ts keeps them in step afterwards).
 */
import { addServicePrincipal, findApplicationByAppId, findServicePrincipalByAppId, removeServicePrincipal } from '../app-registry';
import type { ServicePrincipalRecord } from '../types';
import { APP_ADMIN_ROLES, requireRegistryAccess } from './app-admin';
import {
  SERVICE_PRINCIPAL_PROPERTIES,
  getServicePrincipalOrThrow,
  listRegistryObjects,
  registryObjectResponse,
  servicePrincipalJson,
  type AppKey,
  type RegistryEntitySet,
} from './app-objects';
import { GraphHttpError, badRequest, graphRoot, jsonResponse, noContent, requireJsonObjectBody, type GraphEnv, type GraphResponse } from './http';
import { APPLICATION_READ, APPLICATION_WRITE, requireDirectory } from './permissions';

const SERVICE_PRINCIPALS: RegistryEntitySet<ServicePrincipalRecord> = {
  name: 'servicePrincipals',
  typeName: 'microsoft.graph.servicePrincipal',
  properties: SERVICE_PRINCIPAL_PROPERTIES,
  filter: {
    fields: { appId: (sp) => sp.appId, displayName: (sp) => sp.displayName, id: (sp) => sp.id },
    collectionName: 'servicePrincipalNames',
    collection: (sp) => sp.servicePrincipalNames,
  },
  json: servicePrincipalJson,
};

/** `GET /servicePrincipals`. */
export function listServicePrincipals(env: GraphEnv): GraphResponse {
  requireDirectory(env, APPLICATION_READ);
  return listRegistryObjects(env, SERVICE_PRINCIPALS, env.ctx.directory.apps.servicePrincipals.values());
}

/** `GET /servicePrincipals/{id}` or `/servicePrincipals(appId='…')`. */
export function getServicePrincipalObject(env: GraphEnv, key: AppKey): GraphResponse {
  requireDirectory(env, APPLICATION_READ);
  const dir = env.ctx.directory;
  const sp = getServicePrincipalOrThrow(dir, key);
  return registryObjectResponse(env, SERVICE_PRINCIPALS, servicePrincipalJson(dir, sp));
}

function invalidValue(prop: string): GraphHttpError {
  return badRequest(`Invalid value specified for property '${prop}' of resource 'ServicePrincipal'.`);
}

interface SpSettings {
  accountEnabled?: boolean;
  appRoleAssignmentRequired?: boolean;
  tags?: string[];
  displayName?: string;
}

function parseSettings(body: Record<string, unknown>, allowAppId: boolean): SpSettings {
  const out: SpSettings = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === '@odata.type' || (allowAppId && key === 'appId')) continue;
    if (key === 'accountEnabled' || key === 'appRoleAssignmentRequired') {
      if (typeof value !== 'boolean') throw invalidValue(key);
      out[key] = value;
    } else if (key === 'tags') {
      if (!Array.isArray(value) || !value.every((t) => typeof t === 'string')) throw invalidValue(key);
      out.tags = [...(value as string[])];
    } else if (key === 'displayName') {
      if (typeof value !== 'string' || value.trim() === '') throw invalidValue(key);
      out.displayName = value;
    } else if (['id', 'appOwnerOrganizationId', 'servicePrincipalNames', 'appRoles', 'oauth2PermissionScopes', 'appId'].includes(key)) {
      throw badRequest(`Property '${key}' is read-only and cannot be set.`);
    } else {
      throw badRequest(`Property '${key}' does not exist as a declared property or extension property.`);
    }
  }
  return out;
}

/**
 * `POST /servicePrincipals { appId }`: 201. The registration must be in this tenant (Microsoft's
 * first-party apps already have theirs); a second one for the same app is Graph's 409.
 */
export function createServicePrincipal(env: GraphEnv): GraphResponse {
  requireRegistryAccess(env, APPLICATION_WRITE, APP_ADMIN_ROLES);
  const dir = env.ctx.directory;
  const body = requireJsonObjectBody(env.req);
  const appId = body['appId'];
  if (typeof appId !== 'string' || appId.trim() === '') throw invalidValue('appId');
  const settings = parseSettings(body, true);
  if (findServicePrincipalByAppId(dir, appId) !== undefined) {
    throw new GraphHttpError(409, 'Request_MultipleObjectsWithSameKeyValue', `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`);
  }
  if (findApplicationByAppId(dir, appId) === undefined) throw badRequest(`The appId '${appId}' of the service principal does not reference a valid application object.`);
  const { displayName, ...settable } = settings;
  const sp = addServicePrincipal(dir, appId, settable);
  // Graph lets the creator name the service principal; a later change of the application renames it again.
  if (displayName !== undefined) sp.displayName = displayName;
  return jsonResponse(env.req, 201, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#servicePrincipals/$entity`,
    ...servicePrincipalJson(dir, sp),
  });
}

/** `PATCH /servicePrincipals/{id}`: 204. */
export function patchServicePrincipal(env: GraphEnv, key: AppKey): GraphResponse {
  requireRegistryAccess(env, APPLICATION_WRITE, APP_ADMIN_ROLES);
  const sp = getServicePrincipalOrThrow(env.ctx.directory, key);
  Object.assign(sp, parseSettings(requireJsonObjectBody(env.req), false));
  return noContent(env.req);
}

/** `DELETE /servicePrincipals/{id}`: 204. */
export function deleteServicePrincipal(env: GraphEnv, key: AppKey): GraphResponse {
  requireRegistryAccess(env, APPLICATION_WRITE, APP_ADMIN_ROLES);
  const sp = getServicePrincipalOrThrow(env.ctx.directory, key);
  removeServicePrincipal(env.ctx.directory, sp.id);
  return noContent(env.req);
}
