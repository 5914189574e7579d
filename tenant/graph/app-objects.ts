/**
 * The app registry's objects as Graph returns them: application, servicePrincipal,
 * appRoleAssignment and oAuth2PermissionGrant JSON (the one serialisation every registry route
 * answers with), the `$select`/`$filter` handling the registry's lists share, and the lookups by
 * object id or by the `(appId='…')` alternate key that turn a missing object into Graph's 404.
 *
 * The objects themselves, their ids and every change to them belong to tenant/app-registry.ts;
 * this module only reads them.
 */
import { findApplicationByAppId, findServicePrincipalByAppId, findServicePrincipalById } from '../app-registry';
import type {
  AppRegistration,
  AppRoleAssignmentRecord,
  AppRoleDefinition,
  Directory,
  KeyCredentialRecord,
  OAuth2PermissionGrantRecord,
  PasswordCredentialRecord,
  PermissionScopeDefinition,
  ServicePrincipalRecord,
} from '../types';
import { collection } from './groups';
import { badRequest, graphRoot, jsonResponse, notFoundResource, type GraphEnv, type GraphResponse } from './http';
import { parseFilter, parseSelect } from './odata';

/** How a path names an application or a service principal: its object id, or its `appId` through the alternate key. */
export type AppKey = { by: 'id'; value: string } | { by: 'appId'; value: string };

function keyLabel(key: AppKey): string {
  return key.by === 'appId' ? `appId=${key.value}` : key.value;
}

/** The application object named by `key`, or Graph's 404. */
export function getApplicationOrThrow(dir: Directory, key: AppKey): AppRegistration {
  const app = key.by === 'id' ? dir.apps.applications.get(key.value.toLowerCase()) : findApplicationByAppId(dir, key.value);
  if (app === undefined) throw notFoundResource(keyLabel(key));
  return app;
}

/** The service principal named by `key`, or Graph's 404. */
export function getServicePrincipalOrThrow(dir: Directory, key: AppKey): ServicePrincipalRecord {
  const sp = key.by === 'id' ? findServicePrincipalById(dir, key.value) : findServicePrincipalByAppId(dir, key.value);
  if (sp === undefined) throw notFoundResource(keyLabel(key));
  return sp;
}

/** Projects one item on `$select` (names matched case-insensitively, unknown names refused as Graph does). */
export function projectSelected(env: GraphEnv, item: Record<string, unknown>, known: readonly string[], typeName: string): Record<string, unknown> {
  const select = parseSelect(env.req.query.get('$select'), known, typeName);
  if (select === null) return item;
  return Object.fromEntries(select.map((n) => [n, item[n] ?? null]));
}

/** How a registry `$filter` reads an object: its `appId`, `displayName`, `id`, and the string collection `any()` may search. */
export interface FilterFields<T> {
  fields: { appId: (o: T) => string; displayName: (o: T) => string; id: (o: T) => string };
  /** `identifierUris` on applications, `servicePrincipalNames` on service principals. */
  collectionName: string;
  collection: (o: T) => readonly string[];
}

/**
 * The `$filter`s setup tooling uses to find a registration again: `eq`/`in` on appId, displayName
 * or id (joined by `and`), or `{collection}/any(x:x eq '…')`. Anything else is Graph's
 * "Unsupported Query".
 */
function parseRegistryFilter<T>(value: string | undefined, how: FilterFields<T>): (o: T) => boolean {
  if (value === undefined || value.trim() === '') return () => true;
  const lambda = new RegExp(`^${how.collectionName}/any\\(\\s*(\\w+)\\s*:\\s*\\1\\s+eq\\s+'((?:[^']|'')*)'\\s*\\)$`, 'i').exec(value.trim());
  if (lambda !== null) {
    const wanted = (lambda[2] ?? '').replace(/''/g, "'").toLowerCase();
    return (o) => how.collection(o).some((u) => u.toLowerCase() === wanted);
  }
  const tests = parseFilter(value).map((c): ((o: T) => boolean) => {
    const values = c.values.map((v) => (typeof v === 'string' ? v.toLowerCase() : v));
    const field = Object.entries(how.fields).find(([name]) => name.toLowerCase() === c.property.toLowerCase())?.[1];
    if (field === undefined) throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
    return (o) => values.includes(field(o).toLowerCase());
  });
  return (o) => tests.every((t) => t(o));
}

/** One of the registry's listable entity sets: how its objects are filtered, serialised and selected. */
export interface RegistryEntitySet<T> {
  name: 'applications' | 'servicePrincipals';
  typeName: string;
  properties: readonly string[];
  filter: FilterFields<T>;
  json: (dir: Directory, o: T) => Record<string, unknown>;
}

/** `GET /applications` or `/servicePrincipals`: the objects matching `$filter`, each projected on `$select`, paged. */
export function listRegistryObjects<T>(env: GraphEnv, set: RegistryEntitySet<T>, objects: Iterable<T>): GraphResponse {
  const dir = env.ctx.directory;
  const matches = parseRegistryFilter(env.req.query.get('$filter'), set.filter);
  const items = [...objects].filter(matches).map((o) => projectSelected(env, set.json(dir, o), set.properties, set.typeName));
  return collection(env, set.name, items);
}

/** `GET /{set}/{id}` or `/{set}(appId='…')`: one object's JSON (`item`), projected on `$select`. */
export function registryObjectResponse<T>(env: GraphEnv, set: RegistryEntitySet<T>, item: Record<string, unknown>): GraphResponse {
  return jsonResponse(env.req, 200, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#${set.name}/$entity`,
    ...projectSelected(env, item, set.properties, set.typeName),
  });
}

/* JSON shapes. Property lists are in Graph's order and are also what `$select` accepts. */

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

/** The certificate's DER, base64: what Graph calls `key`. */
export function certificateKey(certificatePem: string): string {
  return certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

/**
 * `key` is only ever returned on a `$select=keyCredentials` read of one object; every other read
 * (lists, the full object, the answer to a create) carries `key: null`.
 */
export function keyCredentialJson(k: KeyCredentialRecord, withKey: boolean): Record<string, unknown> {
  return {
    customKeyIdentifier: k.customKeyIdentifier,
    displayName: k.displayName,
    endDateTime: k.endDateTime,
    key: withKey ? certificateKey(k.certificatePem) : null,
    keyId: k.keyId,
    startDateTime: k.startDateTime,
    type: 'AsymmetricX509Cert',
    usage: 'Verify',
  };
}

/** `secretText` is null on every read; only `addPassword`'s answer carries it. */
export function passwordCredentialJson(p: PasswordCredentialRecord, secretText: string | null = null): Record<string, unknown> {
  return {
    customKeyIdentifier: null,
    displayName: p.displayName,
    endDateTime: p.endDateTime,
    hint: p.hint,
    keyId: p.keyId,
    secretText,
    startDateTime: p.startDateTime,
  };
}

export const APPLICATION_PROPERTIES = [
  'id',
  'deletedDateTime',
  'appId',
  'applicationTemplateId',
  'createdDateTime',
  'defaultRedirectUri',
  'description',
  'disabledByMicrosoftStatus',
  'displayName',
  'groupMembershipClaims',
  'identifierUris',
  'isDeviceOnlyAuthSupported',
  'isFallbackPublicClient',
  'notes',
  'publisherDomain',
  'serviceManagementReference',
  'signInAudience',
  'tags',
  'tokenEncryptionKeyId',
  'addIns',
  'api',
  'appRoles',
  'info',
  'keyCredentials',
  'optionalClaims',
  'parentalControlSettings',
  'passwordCredentials',
  'publicClient',
  'requiredResourceAccess',
  'verifiedPublisher',
  'web',
  'spa',
] as const;

/** The tenant's initial domain as Graph reports it in `publisherDomain`: the first user's UPN domain. */
function publisherDomain(dir: Directory): string | null {
  for (const u of dir.users.values()) return u.userPrincipalName.split('@')[1] ?? null;
  return null;
}

/** `microsoft.graph.application`. `withKeys`: the keyCredentials' `key` (see {@link keyCredentialJson}). */
export function applicationJson(dir: Directory, app: AppRegistration, withKeys = false): Record<string, unknown> {
  return {
    id: app.id,
    deletedDateTime: null,
    appId: app.appId,
    applicationTemplateId: null,
    createdDateTime: app.createdDateTime,
    defaultRedirectUri: null,
    description: null,
    disabledByMicrosoftStatus: null,
    displayName: app.displayName,
    groupMembershipClaims: null,
    identifierUris: [...app.identifierUris],
    isDeviceOnlyAuthSupported: null,
    isFallbackPublicClient: app.isFallbackPublicClient,
    notes: null,
    publisherDomain: publisherDomain(dir),
    serviceManagementReference: null,
    signInAudience: app.signInAudience,
    tags: [],
    tokenEncryptionKeyId: null,
    addIns: [],
    api: {
      acceptMappedClaims: null,
      knownClientApplications: [],
      requestedAccessTokenVersion: app.api.requestedAccessTokenVersion,
      oauth2PermissionScopes: app.api.oauth2PermissionScopes.map(permissionScopeJson),
      preAuthorizedApplications: app.api.preAuthorizedApplications.map((p) => ({ appId: p.appId, delegatedPermissionIds: [...p.delegatedPermissionIds] })),
    },
    appRoles: app.appRoles.map(appRoleJson),
    info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null },
    keyCredentials: app.keyCredentials.map((k) => keyCredentialJson(k, withKeys)),
    optionalClaims: null,
    parentalControlSettings: { countriesBlockedForMinors: [], legalAgeGroupRule: 'Allow' },
    passwordCredentials: app.passwordCredentials.map((p) => passwordCredentialJson(p)),
    publicClient: { redirectUris: [...app.publicClient.redirectUris] },
    requiredResourceAccess: app.requiredResourceAccess.map((r) => ({ resourceAppId: r.resourceAppId, resourceAccess: r.resourceAccess.map((a) => ({ id: a.id, type: a.type })) })),
    verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
    web: {
      homePageUrl: null,
      logoutUrl: null,
      redirectUris: [...app.web.redirectUris],
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
      redirectUriSettings: app.web.redirectUris.map((uri) => ({ uri, index: null })),
    },
    spa: { redirectUris: [...app.spa.redirectUris] },
  };
}

export const SERVICE_PRINCIPAL_PROPERTIES = [
  'id',
  'deletedDateTime',
  'accountEnabled',
  'alternativeNames',
  'appDisplayName',
  'appDescription',
  'appId',
  'applicationTemplateId',
  'appOwnerOrganizationId',
  'appRoleAssignmentRequired',
  'description',
  'disabledByMicrosoftStatus',
  'displayName',
  'homepage',
  'loginUrl',
  'logoutUrl',
  'notes',
  'notificationEmailAddresses',
  'preferredSingleSignOnMode',
  'preferredTokenSigningKeyThumbprint',
  'replyUrls',
  'servicePrincipalNames',
  'servicePrincipalType',
  'signInAudience',
  'tags',
  'tokenEncryptionKeyId',
  'info',
  'addIns',
  'appRoles',
  'keyCredentials',
  'oauth2PermissionScopes',
  'passwordCredentials',
  'resourceSpecificApplicationPermissions',
  'verifiedPublisher',
] as const;

/** `microsoft.graph.servicePrincipal`. Its app's registration supplies `appDisplayName` and the redirect URIs when it is local. */
export function servicePrincipalJson(dir: Directory, sp: ServicePrincipalRecord): Record<string, unknown> {
  const app = findApplicationByAppId(dir, sp.appId);
  return {
    id: sp.id,
    deletedDateTime: null,
    accountEnabled: sp.accountEnabled,
    alternativeNames: [],
    appDisplayName: app?.displayName ?? sp.displayName,
    appDescription: null,
    appId: sp.appId,
    applicationTemplateId: null,
    appOwnerOrganizationId: sp.appOwnerOrganizationId,
    appRoleAssignmentRequired: sp.appRoleAssignmentRequired,
    description: null,
    disabledByMicrosoftStatus: null,
    displayName: sp.displayName,
    homepage: null,
    loginUrl: null,
    logoutUrl: null,
    notes: null,
    notificationEmailAddresses: [],
    preferredSingleSignOnMode: null,
    preferredTokenSigningKeyThumbprint: null,
    replyUrls: app === undefined ? [] : [...app.web.redirectUris, ...app.spa.redirectUris, ...app.publicClient.redirectUris],
    servicePrincipalNames: [...sp.servicePrincipalNames],
    servicePrincipalType: 'Application',
    signInAudience: app?.signInAudience ?? 'AzureADMultipleOrgs',
    tags: [...sp.tags],
    tokenEncryptionKeyId: null,
    info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null },
    addIns: [],
    appRoles: sp.appRoles.map(appRoleJson),
    keyCredentials: [],
    oauth2PermissionScopes: sp.oauth2PermissionScopes.map(permissionScopeJson),
    passwordCredentials: [],
    resourceSpecificApplicationPermissions: [],
    verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
  };
}

export const APP_ROLE_ASSIGNMENT_PROPERTIES = [
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

export function appRoleAssignmentJson(dir: Directory, a: AppRoleAssignmentRecord): Record<string, unknown> {
  return {
    id: a.id,
    deletedDateTime: null,
    appRoleId: a.appRoleId,
    createdDateTime: a.createdDateTime,
    principalDisplayName: a.principalDisplayName,
    principalId: a.principalId,
    principalType: a.principalType,
    resourceDisplayName: findServicePrincipalById(dir, a.resourceId)?.displayName ?? null,
    resourceId: a.resourceId,
  };
}

export const PERMISSION_GRANT_PROPERTIES = ['id', 'clientId', 'consentType', 'principalId', 'resourceId', 'scope'] as const;

export function permissionGrantJson(g: OAuth2PermissionGrantRecord): Record<string, unknown> {
  return { id: g.id, clientId: g.clientId, consentType: g.consentType, principalId: g.principalId, resourceId: g.resourceId, scope: g.scope };
}
