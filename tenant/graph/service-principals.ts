/**
 * The tenant's app registrations and their service principals: the portal API (which declares
 * the `TapBroker.*` app roles), the portal SPA, the broker and the optional automation client.
 *
 *   GET /servicePrincipals/{id} | /servicePrincipals(appId='{appId}')
 *   GET /servicePrincipals/{id}/appRoleAssignedTo | /servicePrincipals(appId='{appId}')/appRoleAssignedTo
 *   GET /applications/{id} | /applications(appId='{appId}')
 *
 * Who holds a portal role is read from the API's `appRoleAssignedTo` (users and groups), never
 * from a token. Object ids, app role ids and assignment ids are derived from the seed's client
 * ids, so they are stable across restarts and differ between tenants.
 */
import { createHash } from 'node:crypto';
import { PORTAL_APP_ROLES, stableGuid } from '../seed';
import type { Directory } from '../types';
import { badRequest, graphRoot, jsonResponse, notFoundResource, type GraphEnv, type GraphResponse } from './http';
import { collection } from './groups';
import { parseSelect } from './odata';
import { APPLICATION_READ, requireDirectory } from './permissions';

interface RegisteredApp {
  appId: string;
  displayName: string;
  kind: 'api' | 'spa' | 'confidential';
  servicePrincipalId: string;
}

/** Object id of the service principal of `appId` (the same derivation the seed uses for clients). */
export function servicePrincipalIdOf(appId: string): string {
  return stableGuid('tap-broker-local-tenant/service-principal', appId.toLowerCase());
}

/** Object id of the application (registration) object of `appId`. */
export function applicationObjectIdOf(appId: string): string {
  return stableGuid('tap-broker-local-tenant/application', appId.toLowerCase());
}

/** The id of a portal app role (`TapBroker.Approver` …) as declared on this tenant's API registration. */
export function portalAppRoleId(dir: Directory, value: string): string {
  return stableGuid('tap-broker-local-tenant/app-role', `${dir.portal.apiClientId.toLowerCase()}:${value}`);
}

const APP_ROLE_TEXT: Record<string, { displayName: string; description: string }> = {
  'TapBroker.Approver': { displayName: 'TAP approver', description: 'Approves or denies Temporary Access Pass requests.' },
  'TapBroker.Auditor': { displayName: 'TAP auditor', description: 'Reads, exports and verifies the audit trail.' },
  'TapBroker.Admin': { displayName: 'TAP Broker administrator', description: 'Reads and changes the broker policy.' },
};

function registeredApps(dir: Directory): RegisteredApp[] {
  const apps: RegisteredApp[] = [
    { appId: dir.portal.apiClientId, displayName: 'TAP Broker API', kind: 'api', servicePrincipalId: servicePrincipalIdOf(dir.portal.apiClientId) },
    { appId: dir.portal.clientId, displayName: 'TAP Broker portal', kind: 'spa', servicePrincipalId: servicePrincipalIdOf(dir.portal.clientId) },
    { appId: dir.broker.clientId, displayName: dir.broker.displayName, kind: 'confidential', servicePrincipalId: dir.broker.servicePrincipalId },
  ];
  if (dir.automation) {
    apps.push({ appId: dir.automation.clientId, displayName: dir.automation.displayName, kind: 'confidential', servicePrincipalId: dir.automation.servicePrincipalId });
  }
  return apps;
}

function appRoles(dir: Directory, app: RegisteredApp): Record<string, unknown>[] {
  if (app.kind !== 'api') return [];
  return PORTAL_APP_ROLES.map((value) => ({
    allowedMemberTypes: ['User'],
    description: APP_ROLE_TEXT[value]?.description ?? value,
    displayName: APP_ROLE_TEXT[value]?.displayName ?? value,
    id: portalAppRoleId(dir, value),
    isEnabled: true,
    origin: 'Application',
    value,
  }));
}

function permissionScopes(dir: Directory, app: RegisteredApp): Record<string, unknown>[] {
  if (app.kind !== 'api') return [];
  const scope = dir.portal.scope;
  return [
    {
      adminConsentDescription: 'Use the TAP Broker API as the signed-in user.',
      adminConsentDisplayName: 'Access TAP Broker',
      id: stableGuid('tap-broker-local-tenant/scope', `${app.appId.toLowerCase()}:${scope}`),
      isEnabled: true,
      type: 'User',
      userConsentDescription: 'Use the TAP Broker API on your behalf.',
      userConsentDisplayName: 'Access TAP Broker',
      value: scope,
    },
  ];
}

/** `servicePrincipals(appId='…')` / `applications(appId='…')`: the alternate key, or null for another segment. */
export function parseAppIdKey(segment: string, entitySet: 'servicePrincipals' | 'applications'): string | null {
  const m = new RegExp(`^${entitySet}\\(appId='([^']*)'\\)$`, 'i').exec(segment);
  return m === null ? null : (m[1] ?? '');
}

/** How the path names the object: its object id, or `appId` through the alternate key. */
export type AppRef = { by: 'id'; value: string } | { by: 'appId'; value: string };

function findApp(env: GraphEnv, ref: AppRef, objectIdOf: (a: RegisteredApp) => string): RegisteredApp {
  const v = ref.value.toLowerCase();
  const app = registeredApps(env.ctx.directory).find((a) => (ref.by === 'appId' ? a.appId.toLowerCase() === v : objectIdOf(a) === v));
  if (app === undefined) throw notFoundResource(ref.by === 'appId' ? `appId=${ref.value}` : ref.value);
  return app;
}

function project(env: GraphEnv, item: Record<string, unknown>, known: readonly string[], typeName: string): Record<string, unknown> {
  const select = parseSelect(env.req.query.get('$select'), known, typeName);
  if (select === null) return item;
  return Object.fromEntries(select.map((n) => [n, item[n] ?? null]));
}

const SERVICE_PRINCIPAL_PROPERTIES = [
  'id',
  'deletedDateTime',
  'accountEnabled',
  'appDisplayName',
  'appId',
  'appOwnerOrganizationId',
  'appRoleAssignmentRequired',
  'appRoles',
  'displayName',
  'oauth2PermissionScopes',
  'servicePrincipalNames',
  'servicePrincipalType',
  'signInAudience',
  'tags',
] as const;

/** `GET /servicePrincipals/{id}` or `/servicePrincipals(appId='…')`. */
export function getServicePrincipal(env: GraphEnv, ref: AppRef): GraphResponse {
  requireDirectory(env, APPLICATION_READ);
  const dir = env.ctx.directory;
  const app = findApp(env, ref, (a) => a.servicePrincipalId);
  const item: Record<string, unknown> = {
    id: app.servicePrincipalId,
    deletedDateTime: null,
    accountEnabled: true,
    appDisplayName: app.displayName,
    appId: app.appId,
    appOwnerOrganizationId: dir.tenantId,
    appRoleAssignmentRequired: false,
    appRoles: appRoles(dir, app),
    displayName: app.displayName,
    oauth2PermissionScopes: permissionScopes(dir, app),
    servicePrincipalNames: app.kind === 'api' ? [app.appId, `api://${app.appId}`] : [app.appId],
    servicePrincipalType: 'Application',
    signInAudience: 'AzureADMyOrg',
    tags: [],
  };
  return jsonResponse(env.req, 200, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#servicePrincipals/$entity`,
    ...project(env, item, SERVICE_PRINCIPAL_PROPERTIES, 'microsoft.graph.servicePrincipal'),
  });
}

const APP_ROLE_ASSIGNMENT_PROPERTIES = [
  'id',
  'deletedDateTime',
  'appRoleId',
  'createdDateTime',
  'principalDisplayName',
  'principalId',
  'principalType',
  'resourceDisplayName',
  'resourceId',
] as const;

/** Entra's appRoleAssignment ids are base64url strings starting with the principal's id bytes. */
function appRoleAssignmentId(principalId: string, appRoleId: string, resourceId: string): string {
  const principal = Buffer.from(principalId.replace(/-/g, ''), 'hex');
  const rest = createHash('sha256').update(`${appRoleId}|${resourceId}`).digest().subarray(0, 16);
  return Buffer.concat([principal, rest]).toString('base64url');
}

/**
 * `GET /servicePrincipals/{id}/appRoleAssignedTo`: every app role assignment on the resource —
 * users' own (`appRoles` on a seed user) and groups' (`appRoles` on a seed group; the group is
 * the principal, its members are not listed). Paged, `$top` up to 999.
 */
export function listAppRoleAssignedTo(env: GraphEnv, ref: AppRef): GraphResponse {
  requireDirectory(env, APPLICATION_READ);
  const dir = env.ctx.directory;
  const app = findApp(env, ref, (a) => a.servicePrincipalId);
  const filter = env.req.query.get('$filter');
  if (filter !== undefined && filter.trim() !== '') throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
  const items: Record<string, unknown>[] = [];
  if (app.kind === 'api') {
    const add = (principalId: string, principalType: 'User' | 'Group', principalDisplayName: string, createdDateTime: string, roles: string[]): void => {
      for (const value of roles) {
        const appRoleId = portalAppRoleId(dir, value);
        items.push({
          id: appRoleAssignmentId(principalId, appRoleId, app.servicePrincipalId),
          deletedDateTime: null,
          appRoleId,
          createdDateTime,
          principalDisplayName,
          principalId,
          principalType,
          resourceDisplayName: app.displayName,
          resourceId: app.servicePrincipalId,
        });
      }
    };
    for (const u of dir.users.values()) add(u.id, 'User', u.displayName, u.createdDateTime, u.appRoles);
    for (const g of dir.groups.values()) add(g.id, 'Group', g.displayName, '2020-01-01T08:00:00Z', g.appRoles);
  }
  const value = items.map((item) => project(env, item, APP_ROLE_ASSIGNMENT_PROPERTIES, 'microsoft.graph.appRoleAssignment'));
  return collection(env, `servicePrincipals('${app.servicePrincipalId}')/appRoleAssignedTo`, value);
}

const APPLICATION_PROPERTIES = [
  'id',
  'deletedDateTime',
  'api',
  'appId',
  'appRoles',
  'createdDateTime',
  'displayName',
  'identifierUris',
  'isFallbackPublicClient',
  'signInAudience',
  'spa',
] as const;

/**
 * `GET /applications/{id}` or `/applications(appId='…')`. The API registration's
 * `api.requestedAccessTokenVersion` is 2, or null when the seed asks for v1 tokens (Entra stores
 * the v1 default as null).
 */
export function getApplication(env: GraphEnv, ref: AppRef): GraphResponse {
  requireDirectory(env, APPLICATION_READ);
  const dir = env.ctx.directory;
  const app = findApp(env, ref, (a) => applicationObjectIdOf(a.appId));
  const item: Record<string, unknown> = {
    id: applicationObjectIdOf(app.appId),
    deletedDateTime: null,
    api: {
      acceptMappedClaims: null,
      knownClientApplications: [],
      oauth2PermissionScopes: permissionScopes(dir, app),
      preAuthorizedApplications: [],
      requestedAccessTokenVersion: app.kind === 'api' && dir.portal.accessTokenVersion === 2 ? 2 : null,
    },
    appId: app.appId,
    appRoles: appRoles(dir, app),
    createdDateTime: '2020-01-01T08:00:00Z',
    displayName: app.displayName,
    identifierUris: app.kind === 'api' ? [`api://${app.appId}`] : [],
    isFallbackPublicClient: app.kind === 'spa',
    signInAudience: 'AzureADMyOrg',
    spa: { redirectUris: app.kind === 'spa' ? [...dir.portal.redirectUris] : [] },
  };
  return jsonResponse(env.req, 200, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#applications/$entity`,
    ...project(env, item, APPLICATION_PROPERTIES, 'microsoft.graph.application'),
  });
}
