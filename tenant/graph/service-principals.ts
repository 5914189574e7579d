/**
 * Reads of the tenant's app registry (tenant/app-registry.ts): application objects and service
 * principals — the seeded or Graph-created registrations, and Microsoft's first-party service
 * principals (Microsoft Graph with its real app roles and scopes, the Graph command-line tools).
 *
 *   GET /servicePrincipals/{id} | /servicePrincipals(appId='{appId}')
 *   GET /servicePrincipals/{id}/appRoleAssignedTo | /servicePrincipals(appId='{appId}')/appRoleAssignedTo
 *   GET /applications/{id} | /applications(appId='{appId}')
 *
 * Who holds a portal role is read from the API's `appRoleAssignedTo` (users and groups), never
 * from a token. Object ids, app role ids and assignment ids of seeded registrations are derived
 * from the seed's client ids (tenant/seed-apps.ts), so they are stable across restarts.
 */
import { findApplicationByAppId, findServicePrincipalByAppId } from '../app-registry';
import { portalAppRoleIdOf } from '../seed-apps';
import type { AppRegistration, AppRoleDefinition, Directory, PermissionScopeDefinition, ServicePrincipalRecord } from '../types';
import { badRequest, graphRoot, jsonResponse, notFoundResource, type GraphEnv, type GraphResponse } from './http';
import { collection } from './groups';
import { parseSelect } from './odata';
import { APPLICATION_READ, requireDirectory } from './permissions';

export { applicationObjectIdOf, servicePrincipalIdOf } from '../app-registry';

/** The id of a portal app role (`TapBroker.Approver` …) as declared on this tenant's seeded API registration. */
export function portalAppRoleId(dir: Directory, value: string): string {
  return portalAppRoleIdOf(dir.portal.apiClientId, value);
}

/** `microsoft.graph.appRole` as Graph returns it. */
export function appRoleJson(r: AppRoleDefinition): Record<string, unknown> {
  return {
    allowedMemberTypes: [...r.allowedMemberTypes],
    description: r.description,
    displayName: r.displayName,
    id: r.id,
    isEnabled: r.isEnabled,
    origin: 'Application',
    value: r.value,
  };
}

/** `microsoft.graph.permissionScope` as Graph returns it. */
export function permissionScopeJson(s: PermissionScopeDefinition): Record<string, unknown> {
  return {
    adminConsentDescription: s.adminConsentDescription,
    adminConsentDisplayName: s.adminConsentDisplayName,
    id: s.id,
    isEnabled: s.isEnabled,
    type: s.type,
    userConsentDescription: s.userConsentDescription,
    userConsentDisplayName: s.userConsentDisplayName,
    value: s.value,
  };
}

/** `servicePrincipals(appId='…')` / `applications(appId='…')`: the alternate key, or null for another segment. */
export function parseAppIdKey(segment: string, entitySet: 'servicePrincipals' | 'applications'): string | null {
  const m = new RegExp(`^${entitySet}\\(appId='([^']*)'\\)$`, 'i').exec(segment);
  return m === null ? null : (m[1] ?? '');
}

/** How the path names the object: its object id, or `appId` through the alternate key. */
export type AppRef = { by: 'id'; value: string } | { by: 'appId'; value: string };

function findServicePrincipal(env: GraphEnv, ref: AppRef): ServicePrincipalRecord {
  const dir = env.ctx.directory;
  const sp = ref.by === 'appId' ? findServicePrincipalByAppId(dir, ref.value) : dir.apps.servicePrincipals.get(ref.value.toLowerCase());
  if (sp === undefined) throw notFoundResource(ref.by === 'appId' ? `appId=${ref.value}` : ref.value);
  return sp;
}

function findApplication(env: GraphEnv, ref: AppRef): AppRegistration {
  const dir = env.ctx.directory;
  const app = ref.by === 'appId' ? findApplicationByAppId(dir, ref.value) : dir.apps.applications.get(ref.value.toLowerCase());
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

/** `microsoft.graph.servicePrincipal` as Graph returns it (all properties the local tenant knows). */
export function servicePrincipalJson(dir: Directory, sp: ServicePrincipalRecord): Record<string, unknown> {
  const app = findApplicationByAppId(dir, sp.appId);
  return {
    id: sp.id,
    deletedDateTime: null,
    accountEnabled: sp.accountEnabled,
    appDisplayName: app?.displayName ?? sp.displayName,
    appId: sp.appId,
    appOwnerOrganizationId: sp.appOwnerOrganizationId,
    appRoleAssignmentRequired: sp.appRoleAssignmentRequired,
    appRoles: sp.appRoles.map(appRoleJson),
    displayName: sp.displayName,
    oauth2PermissionScopes: sp.oauth2PermissionScopes.map(permissionScopeJson),
    servicePrincipalNames: [...sp.servicePrincipalNames],
    servicePrincipalType: 'Application',
    signInAudience: app?.signInAudience ?? 'AzureADMultipleOrgs',
    tags: [...sp.tags],
  };
}

/** `GET /servicePrincipals/{id}` or `/servicePrincipals(appId='…')`. */
export function getServicePrincipal(env: GraphEnv, ref: AppRef): GraphResponse {
  requireDirectory(env, APPLICATION_READ);
  const sp = findServicePrincipal(env, ref);
  return jsonResponse(env.req, 200, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#servicePrincipals/$entity`,
    ...project(env, servicePrincipalJson(env.ctx.directory, sp), SERVICE_PRINCIPAL_PROPERTIES, 'microsoft.graph.servicePrincipal'),
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

/**
 * `GET /servicePrincipals/{id}/appRoleAssignedTo`: every app role assignment on the resource —
 * users', groups' (the group is the principal, its members are not listed) and service
 * principals' (for Microsoft Graph: the application permissions consented to clients). Paged,
 * `$top` up to 999.
 */
export function listAppRoleAssignedTo(env: GraphEnv, ref: AppRef): GraphResponse {
  requireDirectory(env, APPLICATION_READ);
  const dir = env.ctx.directory;
  const sp = findServicePrincipal(env, ref);
  const filter = env.req.query.get('$filter');
  if (filter !== undefined && filter.trim() !== '') throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
  const value = dir.apps.appRoleAssignments
    .filter((a) => a.resourceId === sp.id)
    .map((a) =>
      project(
        env,
        {
          id: a.id,
          deletedDateTime: null,
          appRoleId: a.appRoleId,
          createdDateTime: a.createdDateTime,
          principalDisplayName: a.principalDisplayName,
          principalId: a.principalId,
          principalType: a.principalType,
          resourceDisplayName: sp.displayName,
          resourceId: sp.id,
        },
        APP_ROLE_ASSIGNMENT_PROPERTIES,
        'microsoft.graph.appRoleAssignment',
      ),
    );
  return collection(env, `servicePrincipals('${sp.id}')/appRoleAssignedTo`, value);
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
  'keyCredentials',
  'passwordCredentials',
  'publicClient',
  'requiredResourceAccess',
  'signInAudience',
  'spa',
  'web',
] as const;

/** `microsoft.graph.application` as Graph returns it (credentials without their secrets or keys). */
export function applicationJson(app: AppRegistration): Record<string, unknown> {
  return {
    id: app.id,
    deletedDateTime: null,
    api: {
      acceptMappedClaims: null,
      knownClientApplications: [],
      oauth2PermissionScopes: app.api.oauth2PermissionScopes.map(permissionScopeJson),
      preAuthorizedApplications: app.api.preAuthorizedApplications.map((p) => ({ appId: p.appId, delegatedPermissionIds: [...p.delegatedPermissionIds] })),
      requestedAccessTokenVersion: app.api.requestedAccessTokenVersion,
    },
    appId: app.appId,
    appRoles: app.appRoles.map(appRoleJson),
    createdDateTime: app.createdDateTime,
    displayName: app.displayName,
    identifierUris: [...app.identifierUris],
    isFallbackPublicClient: app.isFallbackPublicClient,
    keyCredentials: app.keyCredentials.map((k) => ({
      customKeyIdentifier: k.customKeyIdentifier,
      displayName: k.displayName,
      endDateTime: k.endDateTime,
      key: null,
      keyId: k.keyId,
      startDateTime: k.startDateTime,
      type: 'AsymmetricX509Cert',
      usage: 'Verify',
    })),
    passwordCredentials: app.passwordCredentials.map((p) => ({
      customKeyIdentifier: null,
      displayName: p.displayName,
      endDateTime: p.endDateTime,
      hint: p.hint,
      keyId: p.keyId,
      secretText: null,
      startDateTime: p.startDateTime,
    })),
    publicClient: { redirectUris: [...app.publicClient.redirectUris] },
    requiredResourceAccess: app.requiredResourceAccess.map((r) => ({ resourceAppId: r.resourceAppId, resourceAccess: r.resourceAccess.map((a) => ({ ...a })) })),
    signInAudience: app.signInAudience,
    spa: { redirectUris: [...app.spa.redirectUris] },
    web: { redirectUris: [...app.web.redirectUris], implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false } },
  };
}

/**
 * `GET /applications/{id}` or `/applications(appId='…')`. `api.requestedAccessTokenVersion` is 2,
 * or null for v1 tokens (Entra stores the v1 default as null).
 */
export function getApplication(env: GraphEnv, ref: AppRef): GraphResponse {
  requireDirectory(env, APPLICATION_READ);
  const app = findApplication(env, ref);
  return jsonResponse(env.req, 200, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#applications/$entity`,
    ...project(env, applicationJson(app), APPLICATION_PROPERTIES, 'microsoft.graph.application'),
  });
}
