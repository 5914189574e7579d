/**
 * The tenant's app registry (`Directory.apps`): the functions that create, change and read
 * application objects, service principals, app role assignments and delegated permission grants.
 * The seed loader and Graph's `/applications`, `/servicePrincipals`, `appRoleAssignments` and
 * `/oauth2PermissionGrants` handlers write through them; the token endpoint reads through them,
 * so a registration created through Graph signs in exactly like a seeded one.
 *
 * Invariants kept here:
 * - a service principal's `appRoles` and `oauth2PermissionScopes` are its application's (copied on
 *   creation and by {@link syncServicePrincipal} after every change of the application), except
 *   for Microsoft's first-party apps, which have no application object in the tenant;
 * - every app role assignment names an existing resource service principal and one of its app
 *   role ids (or the all-zero default role); one principal holds a given role at most once;
 * - Microsoft Graph's service principal and the Graph command-line tools' are always present.
 */
import { createHash, randomUUID, timingSafeEqual, X509Certificate } from 'node:crypto';
import { findGraphAppRoleByValue, GRAPH_APP_ROLES, GRAPH_DELEGATED_SCOPES, MICROSOFT_GRAPH_APP_ID } from './graph/graph-permissions';
import { stableGuid } from './stable-guid';
import type {
  AppRegistration,
  AppRegistry,
  AppRoleAssignmentRecord,
  AppRoleDefinition,
  Directory,
  KeyCredentialRecord,
  OAuth2PermissionGrantRecord,
  PasswordCredentialRecord,
  ServicePrincipalRecord,
} from './types';

export { MICROSOFT_GRAPH_APP_ID } from './graph/graph-permissions';

/** "Microsoft Graph Command Line Tools": Microsoft's first-party public client (Graph PowerShell, setup:entra's admin sign-in). */
export const GRAPH_CLI_APP_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';

/**
 * The redirect URIs Microsoft registered on the Graph command-line tools: the loopback URI (any
 * port, as for every `http://localhost` redirect) and the native-client page.
 */
export const GRAPH_CLI_REDIRECT_URIS = ['http://localhost', 'https://login.microsoftonline.com/common/oauth2/nativeclient'] as const;

/** The all-zero app role id: "default access", assigned when a resource defines no app roles. */
export const DEFAULT_APP_ROLE_ID = '00000000-0000-0000-0000-000000000000';

/** The tenant that owns most of Microsoft's first-party apps (`appOwnerOrganizationId` of Microsoft Graph's service principal). */
export const MICROSOFT_SERVICES_TENANT_ID = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
/** Microsoft's corporate tenant, which owns some first-party apps too (the Graph command-line tools). */
export const MICROSOFT_CORP_TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const FIRST_PARTY_CREATED = '2020-01-01T08:00:00Z';

/** A change the registry refuses (duplicate ids, dangling references); Graph handlers map it to a 400/404/409. */
export class AppRegistryError extends Error {
  constructor(
    message: string,
    /** `conflict`: the object exists already; `not-found`: a referenced object does not; `invalid`: anything else. */
    readonly kind: 'conflict' | 'not-found' | 'invalid' = 'invalid',
  ) {
    super(message);
    this.name = 'AppRegistryError';
  }
}

/** Object id of the service principal of a tenant-registered `appId` (the derivation the seed has always used). */
export function servicePrincipalIdOf(appId: string): string {
  return stableGuid('tap-broker-local-tenant/service-principal', appId.toLowerCase());
}

/** Object id of the application (registration) object of `appId`. */
export function applicationObjectIdOf(appId: string): string {
  return stableGuid('tap-broker-local-tenant/application', appId.toLowerCase());
}

/** Object id of a first-party app's service principal in `tenantId` (each tenant has its own instance). */
export function firstPartyServicePrincipalIdOf(tenantId: string, appId: string): string {
  return stableGuid('tap-broker-local-tenant/first-party-service-principal', `${tenantId.toLowerCase()}:${appId.toLowerCase()}`);
}

/*
 * Object ids are lower-case GUIDs: the registry stores them so, and the derivations below lower-case
 * their inputs, so an id derived from a caller's upper-case spelling is the stored one.
 */

/** Entra's appRoleAssignment ids: base64url, starting with the principal id's bytes. */
export function appRoleAssignmentIdOf(principalId: string, appRoleId: string, resourceId: string): string {
  const principal = Buffer.from(principalId.replace(/-/g, ''), 'hex');
  const rest = createHash('sha256').update(`${appRoleId.toLowerCase()}|${resourceId.toLowerCase()}`).digest().subarray(0, 16);
  return Buffer.concat([principal, rest]).toString('base64url');
}

/** Entra's oAuth2PermissionGrant ids: base64url of the client, resource (and user) object id bytes. */
export function oauth2PermissionGrantIdOf(clientId: string, resourceId: string, principalId: string | null): string {
  const bytes = [clientId, resourceId, ...(principalId === null ? [] : [principalId])].map((g) => Buffer.from(g.replace(/-/g, ''), 'hex'));
  return Buffer.concat(bytes).toString('base64url');
}

function graphServicePrincipal(tenantId: string): ServicePrincipalRecord {
  return {
    id: firstPartyServicePrincipalIdOf(tenantId, MICROSOFT_GRAPH_APP_ID),
    appId: MICROSOFT_GRAPH_APP_ID,
    displayName: 'Microsoft Graph',
    accountEnabled: true,
    appRoleAssignmentRequired: false,
    appOwnerOrganizationId: MICROSOFT_SERVICES_TENANT_ID,
    servicePrincipalNames: [MICROSOFT_GRAPH_APP_ID, 'https://graph.microsoft.com', 'https://graph.microsoft.com/'],
    tags: [],
    createdDateTime: FIRST_PARTY_CREATED,
    appRoles: GRAPH_APP_ROLES.map((r) => ({ ...r, allowedMemberTypes: [...r.allowedMemberTypes] })),
    oauth2PermissionScopes: GRAPH_DELEGATED_SCOPES.map((s) => ({ ...s })),
  };
}

function graphCliServicePrincipal(tenantId: string): ServicePrincipalRecord {
  return {
    id: firstPartyServicePrincipalIdOf(tenantId, GRAPH_CLI_APP_ID),
    appId: GRAPH_CLI_APP_ID,
    displayName: 'Microsoft Graph Command Line Tools',
    accountEnabled: true,
    appRoleAssignmentRequired: false,
    appOwnerOrganizationId: MICROSOFT_CORP_TENANT_ID,
    servicePrincipalNames: [GRAPH_CLI_APP_ID],
    tags: [],
    createdDateTime: FIRST_PARTY_CREATED,
    appRoles: [],
    oauth2PermissionScopes: [],
  };
}

/** A registry holding only Microsoft's first-party apps: Microsoft Graph (a resource) and the Graph command-line tools (a public client). */
export function newAppRegistry(tenantId: string): AppRegistry {
  const sps = [graphServicePrincipal(tenantId), graphCliServicePrincipal(tenantId)];
  return { applications: new Map(), servicePrincipals: new Map(sps.map((sp) => [sp.id, sp])), appRoleAssignments: [], oauth2PermissionGrants: [] };
}

/** Whether `appId` is one of Microsoft's first-party apps the tenant always has. */
export function isFirstPartyAppId(appId: string): boolean {
  const id = appId.toLowerCase();
  return id === MICROSOFT_GRAPH_APP_ID || id === GRAPH_CLI_APP_ID;
}

/** What {@link addApplication} takes: a display name, and any registration property to set (the rest take Graph's defaults). */
export type NewApplication = { displayName: string } & Partial<Omit<AppRegistration, 'displayName' | 'api'>> & {
  api?: Partial<AppRegistration['api']>;
};

/**
 * Adds an application object (`POST /applications`). `appId` defaults to a new GUID, `id` to the
 * stable derivation from it; Graph's defaults fill the rest (no identifier URIs, v1 tokens, no
 * credentials). When a service principal of the app exists already it is brought in step.
 * @throws AppRegistryError (`conflict`) for an `appId` or `id` already taken, or a first-party appId
 */
export function addApplication(dir: Directory, input: NewApplication): AppRegistration {
  const appId = (input.appId ?? randomUUID()).toLowerCase();
  const id = (input.id ?? applicationObjectIdOf(appId)).toLowerCase();
  if (isFirstPartyAppId(appId) || findApplicationByAppId(dir, appId) !== undefined) throw new AppRegistryError(`an application with appId ${appId} already exists`, 'conflict');
  if (dir.apps.applications.has(id) || dir.apps.servicePrincipals.has(id)) throw new AppRegistryError(`an object with id ${id} already exists`, 'conflict');
  const app: AppRegistration = {
    id,
    appId,
    displayName: input.displayName,
    createdDateTime: input.createdDateTime ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    signInAudience: input.signInAudience ?? 'AzureADMyOrg',
    identifierUris: [...(input.identifierUris ?? [])],
    isFallbackPublicClient: input.isFallbackPublicClient ?? false,
    api: {
      requestedAccessTokenVersion: input.api?.requestedAccessTokenVersion ?? null,
      oauth2PermissionScopes: [...(input.api?.oauth2PermissionScopes ?? [])],
      preAuthorizedApplications: [...(input.api?.preAuthorizedApplications ?? [])],
    },
    appRoles: [...(input.appRoles ?? [])],
    spa: { redirectUris: [...(input.spa?.redirectUris ?? [])] },
    web: { redirectUris: [...(input.web?.redirectUris ?? [])] },
    publicClient: { redirectUris: [...(input.publicClient?.redirectUris ?? [])] },
    requiredResourceAccess: [...(input.requiredResourceAccess ?? [])],
    keyCredentials: [...(input.keyCredentials ?? [])],
    passwordCredentials: [...(input.passwordCredentials ?? [])],
    ownerIds: [...(input.ownerIds ?? [])],
  };
  dir.apps.applications.set(id, app);
  const sp = findServicePrincipalByAppId(dir, appId);
  if (sp !== undefined) syncServicePrincipal(dir, app);
  return app;
}

/**
 * Adds the service principal of a registered application (`POST /servicePrincipals` with its
 * `appId`), copying the app roles and scopes the application exposes. `id` defaults to the stable
 * derivation from the appId.
 * @throws AppRegistryError `not-found` when no application has `appId`; `conflict` when it has a service principal already
 */
export function addServicePrincipal(
  dir: Directory,
  appId: string,
  input: Partial<Pick<ServicePrincipalRecord, 'id' | 'accountEnabled' | 'appRoleAssignmentRequired' | 'tags' | 'createdDateTime'>> = {},
): ServicePrincipalRecord {
  const app = findApplicationByAppId(dir, appId);
  if (app === undefined) throw new AppRegistryError(`no application with appId ${appId} in the directory`, 'not-found');
  if (findServicePrincipalByAppId(dir, app.appId) !== undefined) throw new AppRegistryError(`the application ${app.appId} has a service principal already`, 'conflict');
  const id = (input.id ?? servicePrincipalIdOf(app.appId)).toLowerCase();
  if (dir.apps.servicePrincipals.has(id) || dir.apps.applications.has(id)) throw new AppRegistryError(`an object with id ${id} already exists`, 'conflict');
  const sp: ServicePrincipalRecord = {
    id,
    appId: app.appId,
    displayName: app.displayName,
    accountEnabled: input.accountEnabled ?? true,
    appRoleAssignmentRequired: input.appRoleAssignmentRequired ?? false,
    appOwnerOrganizationId: dir.tenantId,
    servicePrincipalNames: [],
    tags: [...(input.tags ?? [])],
    createdDateTime: input.createdDateTime ?? app.createdDateTime,
    appRoles: [],
    oauth2PermissionScopes: [],
  };
  dir.apps.servicePrincipals.set(id, sp);
  syncServicePrincipal(dir, app);
  return sp;
}

/**
 * Brings an application's service principal in step with it (Entra does so on every change of
 * the application): its name, its service principal names (appId + identifier URIs), the app roles
 * and scopes it exposes. Call after changing an application object in place (`PATCH /applications`).
 */
export function syncServicePrincipal(dir: Directory, app: AppRegistration): void {
  const sp = findServicePrincipalByAppId(dir, app.appId);
  if (sp === undefined) return;
  sp.displayName = app.displayName;
  sp.servicePrincipalNames = [app.appId, ...app.identifierUris];
  sp.appRoles = app.appRoles.map((r) => ({ ...r, allowedMemberTypes: [...r.allowedMemberTypes] }));
  sp.oauth2PermissionScopes = app.api.oauth2PermissionScopes.map((s) => ({ ...s }));
}

/** The application object with client id `appId` (case-insensitive). */
export function findApplicationByAppId(dir: Directory, appId: string): AppRegistration | undefined {
  const id = appId.toLowerCase();
  for (const app of dir.apps.applications.values()) if (app.appId === id) return app;
  return undefined;
}

/** The service principal with object id `id` (case-insensitive), first-party ones included. */
export function findServicePrincipalById(dir: Directory, id: string): ServicePrincipalRecord | undefined {
  return dir.apps.servicePrincipals.get(id.toLowerCase());
}

/** The service principal of `appId` (case-insensitive), first-party ones included. */
export function findServicePrincipalByAppId(dir: Directory, appId: string): ServicePrincipalRecord | undefined {
  const id = appId.toLowerCase();
  for (const sp of dir.apps.servicePrincipals.values()) if (sp.appId === id) return sp;
  return undefined;
}

/** Microsoft Graph's service principal (always present). */
export function getGraphServicePrincipal(dir: Directory): ServicePrincipalRecord {
  const sp = findServicePrincipalByAppId(dir, MICROSOFT_GRAPH_APP_ID);
  if (sp === undefined) throw new AppRegistryError("the registry has lost Microsoft Graph's service principal");
  return sp;
}

/**
 * The resource a token request names, as Entra resolves `<resource>/<scope>`: a service principal
 * whose appId, application identifier URI or service principal name is `resource` (trailing
 * slashes and case ignored). Null when the tenant has no such resource.
 */
export function findResourceServicePrincipal(dir: Directory, resource: string): ServicePrincipalRecord | null {
  const r = resource.toLowerCase().replace(/\/+$/, '');
  if (r === '') return null;
  for (const sp of dir.apps.servicePrincipals.values()) {
    if (sp.appId === r || sp.servicePrincipalNames.some((n) => n.toLowerCase().replace(/\/+$/, '') === r)) return sp;
    const app = findApplicationByAppId(dir, sp.appId);
    if (app?.identifierUris.some((u) => u.toLowerCase().replace(/\/+$/, '') === r)) return sp;
  }
  return null;
}

/**
 * Adds an app role assignment (`POST /servicePrincipals/{id}/appRoleAssignedTo` or
 * `…/appRoleAssignments`). For Graph's app roles on a client's service principal, this is admin
 * consent to an application permission. The role must be an enabled role of the resource that
 * allows the principal's kind (`Application` for a service principal, `User` for users and groups).
 * @throws AppRegistryError `not-found` for an unknown resource; `invalid` for a role the principal cannot hold; `conflict` for a duplicate
 */
export function addAppRoleAssignment(
  dir: Directory,
  input: Pick<AppRoleAssignmentRecord, 'principalId' | 'principalType' | 'principalDisplayName' | 'resourceId' | 'appRoleId'> & { createdDateTime?: string },
): AppRoleAssignmentRecord {
  const resource = dir.apps.servicePrincipals.get(input.resourceId.toLowerCase());
  if (resource === undefined) throw new AppRegistryError(`no service principal with id ${input.resourceId}`, 'not-found');
  const appRoleId = input.appRoleId.toLowerCase();
  if (appRoleId !== DEFAULT_APP_ROLE_ID) {
    const role = resource.appRoles.find((r) => r.id === appRoleId);
    const memberType = input.principalType === 'ServicePrincipal' ? 'Application' : 'User';
    if (role === undefined || !role.isEnabled || !role.allowedMemberTypes.includes(memberType)) {
      throw new AppRegistryError(`Permission being assigned was not found on application '${resource.appId}'.`);
    }
  }
  const principalId = input.principalId.toLowerCase();
  if (dir.apps.appRoleAssignments.some((a) => a.principalId === principalId && a.resourceId === resource.id && a.appRoleId === appRoleId)) {
    throw new AppRegistryError('Permission being assigned already exists on the object.', 'conflict');
  }
  const record: AppRoleAssignmentRecord = {
    id: appRoleAssignmentIdOf(principalId, appRoleId, resource.id),
    principalId,
    principalType: input.principalType,
    principalDisplayName: input.principalDisplayName,
    resourceId: resource.id,
    appRoleId,
    createdDateTime: input.createdDateTime ?? new Date().toISOString(),
  };
  dir.apps.appRoleAssignments.push(record);
  return record;
}

/** Removes a service principal with every assignment it holds or grants and every consent naming it. */
export function removeServicePrincipal(dir: Directory, spId: string): void {
  const id = spId.toLowerCase();
  dir.apps.servicePrincipals.delete(id);
  dir.apps.appRoleAssignments = dir.apps.appRoleAssignments.filter((a) => a.principalId !== id && a.resourceId !== id);
  dir.apps.oauth2PermissionGrants = dir.apps.oauth2PermissionGrants.filter((g) => g.clientId !== id && g.resourceId !== id);
}

/** Removes an application object and, as Entra does, its service principal in this tenant (see {@link removeServicePrincipal}). */
export function removeApplication(dir: Directory, app: AppRegistration): void {
  dir.apps.applications.delete(app.id);
  const sp = findServicePrincipalByAppId(dir, app.appId);
  if (sp !== undefined) removeServicePrincipal(dir, sp.id);
}

/** Removes an app role assignment by id; false when there is none. */
export function removeAppRoleAssignment(dir: Directory, id: string): boolean {
  const before = dir.apps.appRoleAssignments.length;
  dir.apps.appRoleAssignments = dir.apps.appRoleAssignments.filter((a) => a.id !== id);
  return dir.apps.appRoleAssignments.length !== before;
}

/**
 * Adds a delegated permission grant (`POST /oauth2PermissionGrants`): tenant-wide
 * (`AllPrincipals`, admin consent) or for one user (`Principal`).
 * @throws AppRegistryError `not-found` for an unknown client or resource; `conflict` when the same grant exists
 */
export function addOAuth2PermissionGrant(
  dir: Directory,
  input: Pick<OAuth2PermissionGrantRecord, 'clientId' | 'consentType' | 'principalId' | 'resourceId' | 'scope'>,
): OAuth2PermissionGrantRecord {
  const clientId = input.clientId.toLowerCase();
  const resourceId = input.resourceId.toLowerCase();
  if (!dir.apps.servicePrincipals.has(clientId)) throw new AppRegistryError(`no service principal with id ${input.clientId}`, 'not-found');
  if (!dir.apps.servicePrincipals.has(resourceId)) throw new AppRegistryError(`no service principal with id ${input.resourceId}`, 'not-found');
  const principalId = input.consentType === 'Principal' ? (input.principalId?.toLowerCase() ?? null) : null;
  if (input.consentType === 'Principal' && principalId === null) throw new AppRegistryError('a Principal grant needs a principalId');
  const id = oauth2PermissionGrantIdOf(clientId, resourceId, principalId);
  if (dir.apps.oauth2PermissionGrants.some((g) => g.id === id)) throw new AppRegistryError('Permission entry already exists.', 'conflict');
  const record: OAuth2PermissionGrantRecord = { id, clientId, consentType: input.consentType, principalId, resourceId, scope: input.scope.trim() };
  dir.apps.oauth2PermissionGrants.push(record);
  return record;
}

/**
 * Values of the `resourceId` app roles assigned to any of `principalIds`, each once, in the order
 * of the principals and then of the assignments (a user's own roles before their groups').
 * Disabled roles and the default role carry no value and are left out.
 */
export function getAssignedAppRoleValues(dir: Directory, principalIds: readonly string[], resourceId: string): string[] {
  const resource = dir.apps.servicePrincipals.get(resourceId);
  if (resource === undefined) return [];
  const out: string[] = [];
  for (const principalId of principalIds) {
    for (const a of dir.apps.appRoleAssignments) {
      if (a.principalId !== principalId || a.resourceId !== resourceId) continue;
      const role = resource.appRoles.find((r) => r.id === a.appRoleId);
      if (role !== undefined && role.isEnabled && !out.includes(role.value)) out.push(role.value);
    }
  }
  return out;
}

/** The application permissions (Graph app role values) consented for the service principal `clientSpId`. */
export function getGraphAppRoleValues(dir: Directory, clientSpId: string): string[] {
  return getAssignedAppRoleValues(dir, [clientSpId], getGraphServicePrincipal(dir).id);
}

/**
 * Graph's app role named `value`, adding it to Graph's service principal when Microsoft's
 * catalogue (tenant/graph/graph-permissions.ts) does not list it. Only the seed does the latter:
 * seeds have always granted any permission name, and a permission outside the catalogue gets a
 * derived id, never one that could be mistaken for Microsoft's.
 */
export function ensureGraphAppRole(dir: Directory, value: string): AppRoleDefinition {
  const graph = getGraphServicePrincipal(dir);
  const existing = graph.appRoles.find((r) => r.value.toLowerCase() === value.toLowerCase());
  if (existing !== undefined) return existing;
  const known = findGraphAppRoleByValue(value);
  const role: AppRoleDefinition = known
    ? { ...known, allowedMemberTypes: [...known.allowedMemberTypes] }
    : {
        id: stableGuid('tap-broker-local-tenant/graph-app-role', value.toLowerCase()),
        value,
        displayName: value,
        description: `${value} (not in the local catalogue of Microsoft Graph's permissions; the id is derived, not Microsoft's).`,
        allowedMemberTypes: ['Application'],
        isEnabled: true,
      };
  graph.appRoles.push(role);
  return role;
}

/**
 * Replaces the Graph application permissions consented for the service principal `clientSpId`
 * with exactly `values` (admin consent granted or revoked through app role assignments).
 */
export function setGraphAppRoleAssignments(dir: Directory, clientSpId: string, values: readonly string[]): void {
  const client = dir.apps.servicePrincipals.get(clientSpId);
  if (client === undefined) throw new AppRegistryError(`no service principal with id ${clientSpId}`, 'not-found');
  const graph = getGraphServicePrincipal(dir);
  dir.apps.appRoleAssignments = dir.apps.appRoleAssignments.filter((a) => !(a.principalId === client.id && a.resourceId === graph.id));
  for (const value of [...new Set(values)]) {
    const role = ensureGraphAppRole(dir, value);
    addAppRoleAssignment(dir, {
      principalId: client.id,
      principalType: 'ServicePrincipal',
      principalDisplayName: client.displayName,
      resourceId: graph.id,
      appRoleId: role.id,
      createdDateTime: client.createdDateTime,
    });
  }
}

/** SHA-256 (hex) of a client secret: what a password credential keeps instead of the secret. */
export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A password credential for `secret` (kept as its SHA-256 and a three-character hint, as Graph shows it). */
export function passwordCredentialFor(
  secret: string,
  input: { keyId: string; displayName?: string | null; startDateTime: string; endDateTime: string },
): PasswordCredentialRecord {
  return {
    keyId: input.keyId,
    displayName: input.displayName ?? null,
    hint: secret.slice(0, 3),
    startDateTime: input.startDateTime,
    endDateTime: input.endDateTime,
    secretSha256: hashClientSecret(secret),
  };
}

function graphDateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A certificate key credential from a PEM certificate, with the certificate's own validity as
 * `startDateTime`/`endDateTime` and its SHA-1 thumbprint as `customKeyIdentifier` (as Graph sets them).
 * @throws Error when `pem` is not a certificate
 */
export function keyCredentialFromPem(pem: string, input: { keyId: string; displayName?: string | null }): KeyCredentialRecord {
  const cert = new X509Certificate(pem);
  return {
    keyId: input.keyId,
    displayName: input.displayName ?? cert.subject.replace(/\n/g, ', '),
    customKeyIdentifier: createHash('sha1').update(cert.raw).digest('base64'),
    startDateTime: graphDateTime(new Date(cert.validFrom)),
    endDateTime: graphDateTime(new Date(cert.validTo)),
    certificatePem: cert.toString(),
  };
}

/**
 * Checks a presented client secret against the application's password credentials, in constant
 * time per credential: `ok`, `expired` (it matches one whose `endDateTime` has passed) or `no-match`.
 */
export function checkClientSecret(app: AppRegistration, presented: string, nowMs: number): 'ok' | 'expired' | 'no-match' {
  const hash = Buffer.from(hashClientSecret(presented), 'hex');
  let expired = false;
  for (const c of app.passwordCredentials) {
    const stored = Buffer.from(c.secretSha256, 'hex');
    if (stored.length !== hash.length || !timingSafeEqual(stored, hash)) continue;
    if (Date.parse(c.endDateTime) > nowMs && Date.parse(c.startDateTime) <= nowMs) return 'ok';
    expired = true;
  }
  return expired ? 'expired' : 'no-match';
}
