/**
 * `/applications`: app registrations in the tenant's registry, read and written as Graph does.
 *
 *   GET    /applications[?$filter=appId eq '…' | displayName eq '…' | identifierUris/any(x:x eq '…')][&$select=…]
 *   POST   /applications
 *   GET | PATCH | DELETE /applications/{id} | /applications(appId='…')
 *   POST   /applications/{id}/addPassword | /removePassword
 *
 * PATCH replaces each collection it names as a whole (Graph has no element-wise update), refuses
 * to drop an app role or scope that is still enabled, and copies roles, scopes and identifier
 * URIs to the app's service principal. Certificates arrive as `key` (base64 DER); only the public
 * certificate is kept. Secrets are shown once and kept as a SHA-256.
 */
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { addApplication, applicationObjectIdOf, keyCredentialFromPem, passwordCredentialFor, removeApplication, syncServicePrincipal } from '../app-registry';
import type { AppRegistration, AppRoleDefinition, Directory, KeyCredentialRecord, PermissionScopeDefinition } from '../types';
import { APP_ADMIN_ROLES, requireRegistryAccess } from './app-admin';
import {
  APPLICATION_PROPERTIES,
  applicationJson,
  getApplicationOrThrow,
  listRegistryObjects,
  registryObjectResponse,
  passwordCredentialJson,
  type AppKey,
  type RegistryEntitySet,
} from './app-objects';
import { GraphHttpError, badRequest, graphRoot, isPlainObject, jsonResponse, noContent, parseJsonBody, requireJsonObjectBody, type GraphEnv, type GraphResponse } from './http';
import { APPLICATION_READ, APPLICATION_WRITE, requireDirectory } from './permissions';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SIGN_IN_AUDIENCES = ['AzureADMyOrg', 'AzureADMultipleOrgs', 'AzureADandPersonalMicrosoftAccount', 'PersonalMicrosoftAccount'];
/** A client secret added without an end date lasts two years, as in Graph. */
const DEFAULT_SECRET_LIFETIME_MS = 2 * 365 * 24 * 60 * 60 * 1000;

function invalidValue(prop: string, resource = 'Application'): GraphHttpError {
  return badRequest(`Invalid value specified for property '${prop}' of resource '${resource}'.`);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function isGuid(v: unknown): v is string {
  return typeof v === 'string' && GUID.test(v);
}

function nowIso(): string {
  return new Date().toISOString();
}

/* ---- reads ---- */

const APPLICATIONS: RegistryEntitySet<AppRegistration> = {
  name: 'applications',
  typeName: 'microsoft.graph.application',
  properties: APPLICATION_PROPERTIES,
  filter: { fields: { appId: (a) => a.appId, displayName: (a) => a.displayName, id: (a) => a.id }, collectionName: 'identifierUris', collection: (a) => a.identifierUris },
  json: (dir, app) => applicationJson(dir, app),
};

/** `GET /applications`. */
export function listApplications(env: GraphEnv): GraphResponse {
  requireDirectory(env, APPLICATION_READ);
  return listRegistryObjects(env, APPLICATIONS, env.ctx.directory.apps.applications.values());
}

/** Whether `$select` names `keyCredentials`: the one read that returns certificates' `key`. */
function selectsKeyCredentials(env: GraphEnv): boolean {
  const select = env.req.query.get('$select');
  return select !== undefined && select.split(',').some((n) => n.trim().toLowerCase() === 'keycredentials');
}

/** `GET /applications/{id}` or `/applications(appId='…')`. */
export function getApplicationObject(env: GraphEnv, key: AppKey): GraphResponse {
  requireDirectory(env, APPLICATION_READ);
  const dir = env.ctx.directory;
  const app = getApplicationOrThrow(dir, key);
  return registryObjectResponse(env, APPLICATIONS, applicationJson(dir, app, selectsKeyCredentials(env)));
}

/* ---- body parsing ---- */

function parseAppRoles(value: unknown): AppRoleDefinition[] {
  if (!Array.isArray(value)) throw invalidValue('appRoles');
  const roles = value.map((r): AppRoleDefinition => {
    if (!isPlainObject(r)) throw invalidValue('appRoles');
    const members = r['allowedMemberTypes'];
    if (!isGuid(r['id'])) throw invalidValue('id', 'AppRole');
    if (!isStringArray(members) || members.length === 0 || !members.every((m) => m === 'User' || m === 'Application')) throw invalidValue('allowedMemberTypes', 'AppRole');
    if (typeof r['value'] !== 'string' || r['value'] === '' || /\s/.test(r['value'])) throw invalidValue('value', 'AppRole');
    if (typeof r['displayName'] !== 'string' || typeof r['description'] !== 'string') throw invalidValue('displayName', 'AppRole');
    return {
      id: r['id'].toLowerCase(),
      value: r['value'],
      displayName: r['displayName'],
      description: r['description'],
      allowedMemberTypes: [...new Set(members)] as ('User' | 'Application')[],
      isEnabled: r['isEnabled'] !== false,
    };
  });
  assertUnique(roles, 'appRoles');
  return roles;
}

function optionalString(r: Record<string, unknown>, name: string, resource: string): string | null {
  const v = r[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalidValue(name, resource);
  return v;
}

function parseScopes(value: unknown): PermissionScopeDefinition[] {
  if (!Array.isArray(value)) throw invalidValue('oauth2PermissionScopes');
  const scopes = value.map((s): PermissionScopeDefinition => {
    if (!isPlainObject(s)) throw invalidValue('oauth2PermissionScopes');
    if (!isGuid(s['id'])) throw invalidValue('id', 'PermissionScope');
    if (typeof s['value'] !== 'string' || s['value'] === '' || /\s/.test(s['value'])) throw invalidValue('value', 'PermissionScope');
    if (s['type'] !== 'User' && s['type'] !== 'Admin') throw invalidValue('type', 'PermissionScope');
    const adminName = optionalString(s, 'adminConsentDisplayName', 'PermissionScope');
    const adminDescription = optionalString(s, 'adminConsentDescription', 'PermissionScope');
    if (adminName === null || adminDescription === null) throw invalidValue('adminConsentDisplayName', 'PermissionScope');
    return {
      id: s['id'].toLowerCase(),
      value: s['value'],
      type: s['type'],
      adminConsentDisplayName: adminName,
      adminConsentDescription: adminDescription,
      userConsentDisplayName: optionalString(s, 'userConsentDisplayName', 'PermissionScope'),
      userConsentDescription: optionalString(s, 'userConsentDescription', 'PermissionScope'),
      isEnabled: s['isEnabled'] !== false,
    };
  });
  assertUnique(scopes, 'oauth2PermissionScopes');
  return scopes;
}

function assertUnique(items: readonly { id: string; value: string }[], prop: string): void {
  const ids = new Set(items.map((i) => i.id));
  const values = new Set(items.map((i) => i.value.toLowerCase()));
  if (ids.size !== items.length || values.size !== items.length) throw invalidValue(prop);
}

/**
 * Graph's rule for app roles and scopes: one that is enabled may be neither removed nor changed;
 * it can only be disabled, with nothing else about it changed, and then changed or removed in a
 * later PATCH.
 */
function assertEnabledKept<T extends { id: string; isEnabled: boolean }>(previous: readonly T[], next: readonly T[]): void {
  const withoutState = (x: T): string => canonicalJson({ ...x, isEnabled: null });
  for (const before of previous) {
    if (!before.isEnabled) continue;
    const after = next.find((n) => n.id === before.id);
    if (after === undefined || withoutState(after) !== withoutState(before)) {
      throw badRequest('Permission (scope or role) cannot be deleted or updated unless disabled first.', 'CannotDeleteOrUpdateEnabledEntitlement');
    }
  }
}

/**
 * A client may PATCH back what it read. Properties the registry does not model are accepted when
 * they carry the value the tenant returns for them, and refused otherwise, so that nothing a
 * caller sets is silently dropped.
 */
function isEcho(current: unknown, key: string, value: unknown): boolean {
  return isPlainObject(current) && key in current && canonicalJson(current[key]) === canonicalJson(value);
}

/** JSON with object keys sorted, so that an echo in another key order still compares equal. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

function unsupported(key: string): GraphHttpError {
  return badRequest(`Property '${key}' does not exist as a declared property or extension property.`);
}

function parseRedirects(value: unknown, prop: string, current: unknown): { redirectUris: string[] } {
  if (!isPlainObject(value)) throw invalidValue(prop);
  for (const [key, v] of Object.entries(value)) {
    if (key !== 'redirectUris' && !isEcho(current, key, v)) throw unsupported(key);
  }
  const uris = value['redirectUris'] ?? [];
  if (!isStringArray(uris)) throw invalidValue('redirectUris');
  for (const u of uris) {
    try {
      new URL(u);
    } catch {
      throw invalidValue('redirectUris');
    }
  }
  return { redirectUris: [...uris] };
}

function parseRequiredResourceAccess(value: unknown): AppRegistration['requiredResourceAccess'] {
  if (!Array.isArray(value)) throw invalidValue('requiredResourceAccess');
  return value.map((r) => {
    if (!isPlainObject(r) || !isGuid(r['resourceAppId']) || !Array.isArray(r['resourceAccess'])) throw invalidValue('requiredResourceAccess');
    const access = r['resourceAccess'].map((a) => {
      if (!isPlainObject(a) || !isGuid(a['id']) || (a['type'] !== 'Role' && a['type'] !== 'Scope')) throw invalidValue('resourceAccess', 'RequiredResourceAccess');
      return { id: a['id'].toLowerCase(), type: a['type'] as 'Role' | 'Scope' };
    });
    return { resourceAppId: r['resourceAppId'].toLowerCase(), resourceAccess: access };
  });
}

/**
 * The application ID URIs Entra accepts without a verified domain: `api://{appId}`,
 * `api://{tenantId}/{anything}` and `api://{anything}/{appId}`; other schemes must name one of
 * the tenant's domains (here: a domain of its users' UPNs) or a subdomain of it.
 */
function isAllowedIdentifierUri(dir: Directory, appId: string, uri: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return false;
  }
  if (parsed.protocol === 'api:') {
    const rest = uri.slice('api://'.length).replace(/\/$/, '');
    const [head, ...tail] = rest.split('/');
    const lower = (s: string | undefined): string => (s ?? '').toLowerCase();
    if (tail.length === 0) return lower(head) === appId.toLowerCase();
    return lower(head) === dir.tenantId.toLowerCase() || lower(tail[tail.length - 1]) === appId.toLowerCase();
  }
  const host = parsed.hostname.toLowerCase();
  const domains = new Set([...dir.users.values()].map((u) => (u.userPrincipalName.split('@')[1] ?? '').toLowerCase()));
  return [...domains].some((d) => d !== '' && (host === d || host.endsWith(`.${d}`)));
}

function parseIdentifierUris(dir: Directory, app: AppRegistration, value: unknown): string[] {
  if (!isStringArray(value)) throw invalidValue('identifierUris');
  for (const uri of value) {
    if (!isAllowedIdentifierUri(dir, app.appId, uri)) {
      throw badRequest(`Values of identifierUris property must use a verified domain of the organization or its subdomain: '${uri}'`, 'HostNameNotOnVerifiedDomain');
    }
    for (const other of dir.apps.applications.values()) {
      if (other.id !== app.id && other.identifierUris.some((u) => u.toLowerCase() === uri.toLowerCase())) {
        throw badRequest('Another object with the same value for property identifierUris already exists.');
      }
    }
  }
  return [...value];
}

/**
 * One `keyCredentials` entry: a public certificate (`key`, base64 DER) to verify the app's client
 * assertions, read as the registry reads any certificate ({@link keyCredentialFromPem}); the entry
 * may set its own dates, thumbprint (`customKeyIdentifier`) and display name.
 */
function parseKeyCredential(value: unknown): KeyCredentialRecord {
  if (!isPlainObject(value)) throw invalidValue('keyCredentials');
  if (value['type'] !== 'AsymmetricX509Cert') throw invalidValue('type', 'KeyCredential');
  if (value['usage'] !== 'Verify') throw invalidValue('usage', 'KeyCredential');
  const key = value['key'];
  if (typeof key !== 'string' || key === '') throw invalidValue('key', 'KeyCredential');
  let pem: string;
  try {
    pem = new X509Certificate(Buffer.from(key, 'base64')).toString();
  } catch {
    throw invalidValue('key', 'KeyCredential');
  }
  const keyId = value['keyId'];
  if (keyId !== undefined && keyId !== null && !isGuid(keyId)) throw invalidValue('keyId', 'KeyCredential');
  const customKeyIdentifier = value['customKeyIdentifier'];
  if (customKeyIdentifier !== undefined && customKeyIdentifier !== null && typeof customKeyIdentifier !== 'string') throw invalidValue('customKeyIdentifier', 'KeyCredential');
  const displayName = value['displayName'];
  if (displayName !== undefined && displayName !== null && typeof displayName !== 'string') throw invalidValue('displayName', 'KeyCredential');
  const fromCert = keyCredentialFromPem(pem, { keyId: typeof keyId === 'string' ? keyId.toLowerCase() : randomUUID(), displayName: typeof displayName === 'string' ? displayName : null });
  const dateOf = (name: string, fallback: string): string => {
    const v = value[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw invalidValue(name, 'KeyCredential');
    return new Date(v).toISOString().replace('.000Z', 'Z');
  };
  const startDateTime = dateOf('startDateTime', fromCert.startDateTime);
  const endDateTime = dateOf('endDateTime', fromCert.endDateTime);
  if (Date.parse(endDateTime) <= Date.parse(startDateTime)) throw invalidValue('endDateTime', 'KeyCredential');
  return {
    ...fromCert,
    customKeyIdentifier: typeof customKeyIdentifier === 'string' ? customKeyIdentifier : fromCert.customKeyIdentifier,
    startDateTime,
    endDateTime,
  };
}

function parseApi(app: AppRegistration, value: unknown, current: unknown): AppRegistration['api'] {
  if (!isPlainObject(value)) throw invalidValue('api');
  const api = { ...app.api };
  for (const [key, v] of Object.entries(value)) {
    if (key === 'requestedAccessTokenVersion') {
      if (v !== null && v !== 1 && v !== 2) throw invalidValue(key, 'ApiApplication');
      api.requestedAccessTokenVersion = v;
    } else if (key === 'oauth2PermissionScopes') {
      const scopes = parseScopes(v);
      assertEnabledKept(app.api.oauth2PermissionScopes, scopes);
      api.oauth2PermissionScopes = scopes;
    } else if (key === 'preAuthorizedApplications') {
      if (!Array.isArray(v)) throw invalidValue(key, 'ApiApplication');
      api.preAuthorizedApplications = v.map((p) => {
        if (!isPlainObject(p) || !isGuid(p['appId']) || !Array.isArray(p['delegatedPermissionIds']) || !p['delegatedPermissionIds'].every(isGuid)) {
          throw invalidValue(key, 'ApiApplication');
        }
        return { appId: p['appId'].toLowerCase(), delegatedPermissionIds: p['delegatedPermissionIds'].map((id) => id.toLowerCase()) };
      });
    } else if (!isEcho(current, key, v)) {
      throw unsupported(key);
    }
  }
  // A pre-authorized client may only be given scopes this API defines.
  const scopeIds = new Set(api.oauth2PermissionScopes.map((s) => s.id));
  if (api.preAuthorizedApplications.some((p) => p.delegatedPermissionIds.some((id) => !scopeIds.has(id)))) throw invalidValue('preAuthorizedApplications', 'ApiApplication');
  return api;
}

const READ_ONLY = ['id', 'appId', 'createdDateTime', 'deletedDateTime', 'publisherDomain'];

/** Applies a create or update body to a copy of `app`; nothing is stored until every property validated. */
function applyBody(dir: Directory, app: AppRegistration, body: Record<string, unknown>): AppRegistration {
  const next: AppRegistration = { ...app };
  const asRead = applicationJson(dir, app);
  for (const [key, value] of Object.entries(body)) {
    if (key === '@odata.type') continue;
    if (key === 'displayName') {
      if (typeof value !== 'string' || value.trim() === '') throw invalidValue(key);
      next.displayName = value;
    } else if (key === 'signInAudience') {
      if (typeof value !== 'string' || !SIGN_IN_AUDIENCES.includes(value)) throw invalidValue(key);
      next.signInAudience = value;
    } else if (key === 'identifierUris') {
      next.identifierUris = parseIdentifierUris(dir, app, value);
    } else if (key === 'isFallbackPublicClient') {
      if (value !== null && typeof value !== 'boolean') throw invalidValue(key);
      next.isFallbackPublicClient = value === true;
    } else if (key === 'api') {
      next.api = parseApi(app, value, asRead['api']);
    } else if (key === 'appRoles') {
      const roles = parseAppRoles(value);
      assertEnabledKept(app.appRoles, roles);
      next.appRoles = roles;
    } else if (key === 'spa' || key === 'web' || key === 'publicClient') {
      next[key] = parseRedirects(value, key, asRead[key]);
    } else if (key === 'requiredResourceAccess') {
      next.requiredResourceAccess = parseRequiredResourceAccess(value);
    } else if (key === 'keyCredentials') {
      if (!Array.isArray(value)) throw invalidValue(key);
      next.keyCredentials = value.map(parseKeyCredential);
      if (new Set(next.keyCredentials.map((k) => k.keyId)).size !== next.keyCredentials.length) throw invalidValue(key);
    } else if (key === 'passwordCredentials') {
      // Secrets are only ever made by the service (addPassword), so that their text is never chosen by a caller.
      throw badRequest(`Property '${key}' is read-only and cannot be set.`);
    } else if (isEcho(asRead, key, value)) {
      // Unchanged, as read: nothing to do.
    } else if (READ_ONLY.includes(key)) {
      throw badRequest(`Property '${key}' is read-only and cannot be set.`);
    } else {
      throw unsupported(key);
    }
  }
  // Scopes and app roles share one namespace of values on a resource.
  const scopeValues = new Set(next.api.oauth2PermissionScopes.map((s) => s.value.toLowerCase()));
  if (next.appRoles.some((r) => scopeValues.has(r.value.toLowerCase()))) throw invalidValue('appRoles');
  return next;
}

/* ---- writes ---- */

/**
 * `POST /applications`: 201 with the new object. The body is validated against a blank
 * registration with Graph's defaults, then the registry adds it (ids as it derives them). A
 * delegated creator becomes its owner, as in Entra.
 */
export function createApplication(env: GraphEnv): GraphResponse {
  requireRegistryAccess(env, APPLICATION_WRITE, APP_ADMIN_ROLES);
  const dir = env.ctx.directory;
  const body = requireJsonObjectBody(env.req);
  if (typeof body['displayName'] !== 'string' || body['displayName'].trim() === '') throw invalidValue('displayName');
  const valid = applyBody(dir, draftApplication(), body);
  const ownerIds = env.caller.kind === 'user' && env.caller.userId !== null ? [env.caller.userId] : [];
  const app = addApplication(dir, { ...valid, ownerIds });
  return jsonResponse(env.req, 201, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#applications/$entity`,
    ...applicationJson(dir, app),
  });
}

/** What a create body is checked against: a registration with Graph's defaults that is not in the registry. */
function draftApplication(): AppRegistration {
  const appId = randomUUID();
  return {
    id: applicationObjectIdOf(appId),
    appId,
    displayName: '',
    createdDateTime: nowIso(),
    signInAudience: 'AzureADMyOrg',
    identifierUris: [],
    isFallbackPublicClient: false,
    api: { requestedAccessTokenVersion: null, oauth2PermissionScopes: [], preAuthorizedApplications: [] },
    appRoles: [],
    spa: { redirectUris: [] },
    web: { redirectUris: [] },
    publicClient: { redirectUris: [] },
    requiredResourceAccess: [],
    keyCredentials: [],
    passwordCredentials: [],
    ownerIds: [],
  };
}

/** `PATCH /applications/{id}`: 204. */
export function patchApplication(env: GraphEnv, key: AppKey): GraphResponse {
  requireRegistryAccess(env, APPLICATION_WRITE, APP_ADMIN_ROLES);
  const dir = env.ctx.directory;
  const app = getApplicationOrThrow(dir, key);
  const next = applyBody(dir, app, requireJsonObjectBody(env.req));
  Object.assign(app, next);
  syncServicePrincipal(dir, app);
  return noContent(env.req);
}

/** `DELETE /applications/{id}`: 204; the app's service principal in this tenant goes with it, with its assignments and grants. */
export function deleteApplication(env: GraphEnv, key: AppKey): GraphResponse {
  requireRegistryAccess(env, APPLICATION_WRITE, APP_ADMIN_ROLES);
  const dir = env.ctx.directory;
  const app = getApplicationOrThrow(dir, key);
  removeApplication(dir, app);
  return noContent(env.req);
}

/** Graph's client secrets: 40 characters, the first three of which are the `hint`. */
function newSecretText(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.~';
  const bytes = randomBytes(37);
  const chars = [...bytes].map((b) => alphabet[b % 64] as string);
  return `${chars.slice(0, 3).join('')}8Q~${chars.slice(3, 37).join('')}`;
}

/** `POST /applications/{id}/addPassword`: 200 with the credential, `secretText` included this once. */
export function addPassword(env: GraphEnv, key: AppKey): GraphResponse {
  requireRegistryAccess(env, APPLICATION_WRITE, APP_ADMIN_ROLES);
  const dir = env.ctx.directory;
  const app = getApplicationOrThrow(dir, key);
  const body = parseJsonBody(env.req) ?? {};
  if (!isPlainObject(body)) throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
  const input = body['passwordCredential'] ?? {};
  if (!isPlainObject(input)) throw invalidValue('passwordCredential', 'PasswordCredential');
  const displayName = input['displayName'];
  if (displayName !== undefined && displayName !== null && typeof displayName !== 'string') throw invalidValue('displayName', 'PasswordCredential');
  const start = input['startDateTime'] ?? nowIso();
  const end = input['endDateTime'] ?? new Date(Date.parse(String(start)) + DEFAULT_SECRET_LIFETIME_MS).toISOString();
  if (typeof start !== 'string' || typeof end !== 'string' || Number.isNaN(Date.parse(start)) || Number.isNaN(Date.parse(end)) || Date.parse(end) <= Date.parse(start)) {
    throw invalidValue('endDateTime', 'PasswordCredential');
  }
  const secretText = newSecretText();
  const credential = passwordCredentialFor(secretText, {
    keyId: randomUUID(),
    displayName: typeof displayName === 'string' ? displayName : null,
    startDateTime: new Date(start).toISOString(),
    endDateTime: new Date(end).toISOString(),
  });
  app.passwordCredentials = [...app.passwordCredentials, credential];
  return jsonResponse(env.req, 200, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#microsoft.graph.passwordCredential`,
    ...passwordCredentialJson(credential, secretText),
  });
}

/** `POST /applications/{id}/removePassword` `{ keyId }`: 204. */
export function removePassword(env: GraphEnv, key: AppKey): GraphResponse {
  requireRegistryAccess(env, APPLICATION_WRITE, APP_ADMIN_ROLES);
  const app = getApplicationOrThrow(env.ctx.directory, key);
  const body = requireJsonObjectBody(env.req);
  const keyId = body['keyId'];
  if (!isGuid(keyId)) throw invalidValue('keyId', 'PasswordCredential');
  const kept = app.passwordCredentials.filter((p) => p.keyId.toLowerCase() !== keyId.toLowerCase());
  if (kept.length === app.passwordCredentials.length) throw badRequest(`No password credential found with keyId '${keyId}'.`);
  app.passwordCredentials = kept;
  return noContent(env.req);
}
