/**
 * Scope resolution, as Entra's v2 endpoint does it: a request names OIDC scopes plus scopes of
 * exactly one resource; client credentials name `<resource>/.default`.
 *
 * A resource is any service principal of the app registry (tenant/app-registry.ts) named by its
 * appId, an identifier URI of its application (`api://…`) or a service principal name:
 * - Microsoft Graph: `https://graph.microsoft.com/…`, `00000003-0000-0000-c000-000000000000/…`,
 *   bare scope names (`User.Read`), and — for client credentials only — the tenant's own origin,
 *   since the local Graph lives there (`https://localhost:8443/.default`);
 * - the tenant's own APIs (the portal API, or one registered through Graph).
 *
 * Delegated scopes must be scopes the resource exposes (otherwise AADSTS70011). Consent: Graph's
 * admin-only scopes need a consent grant (`oauth2PermissionGrants`) for the client, except for
 * Microsoft's Graph command-line tools, whose admin consent the local tenant takes as given (a real
 * administrator consents on first sign-in); user-consentable scopes and the scopes of the tenant's
 * own APIs are granted as if the user had consented. `.default` means the consented scopes.
 */
import { findApplicationByAppId, findResourceServicePrincipal, findServicePrincipalByAppId, getGraphServicePrincipal, GRAPH_CLI_APP_ID } from '../app-registry';
import type { Directory, PermissionScopeDefinition, ServicePrincipalRecord } from '../types';
import { entraError, type EntraError } from './errors';
import { GRAPH_APP_ID, GRAPH_RESOURCE } from './tokens';

export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

export type UserScopeResult =
  | {
      ok: true;
      oidc: Set<string>;
      /** The resource's service principal. */
      resource: ServicePrincipalRecord;
      /** Value of the access token's `scp`. */
      scp: string;
      /** Value of the token response's `scope`. */
      responseScope: string;
    }
  | { ok: false; error: EntraError };

function splitScopes(scope: string): string[] {
  return scope.split(/\s+/).filter((s) => s.length > 0);
}

function invalidScope(scope: string): UserScopeResult {
  return {
    ok: false,
    error: entraError('invalid_scope', 70011, `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`),
  };
}

function unknownResource(resource: string, tenantId: string): EntraError {
  return entraError(
    'invalid_resource',
    500011,
    `The resource principal named ${resource} was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
  );
}

function consentRequired(clientId: string, clientName: string): UserScopeResult {
  return {
    ok: false,
    error: entraError(
      'invalid_grant',
      65001,
      `The user or administrator has not consented to use the application with ID '${clientId}' named '${clientName}'. Send an interactive authorization request for this user and resource.`,
    ),
  };
}

/** Splits `resource/scope` on the last slash; bare names (no slash) are Graph scopes, as in Entra. */
function splitResource(s: string): { resource: string; name: string } {
  const i = s.lastIndexOf('/');
  if (i < 0) return { resource: GRAPH_RESOURCE, name: s };
  return { resource: s.slice(0, i), name: s.slice(i + 1) };
}

/** The scope values consented for the client `clientAppId` on `resource` (tenant-wide grants, the user's own, pre-authorization). */
function consentedScopes(dir: Directory, clientAppId: string, resource: ServicePrincipalRecord, userId: string | null): string[] {
  const client = findServicePrincipalByAppId(dir, clientAppId);
  const out: string[] = [];
  if (client !== undefined) {
    for (const g of dir.apps.oauth2PermissionGrants) {
      if (g.clientId !== client.id || g.resourceId !== resource.id) continue;
      if (g.consentType === 'Principal' && g.principalId !== userId) continue;
      for (const s of splitScopes(g.scope)) if (!out.some((o) => o.toLowerCase() === s.toLowerCase())) out.push(s);
    }
  }
  const app = findApplicationByAppId(dir, resource.appId);
  for (const pre of app?.api.preAuthorizedApplications ?? []) {
    if (pre.appId.toLowerCase() !== clientAppId.toLowerCase()) continue;
    for (const id of pre.delegatedPermissionIds) {
      const scope = resource.oauth2PermissionScopes.find((s) => s.id === id.toLowerCase());
      if (scope !== undefined && !out.includes(scope.value)) out.push(scope.value);
    }
  }
  return out;
}

function findScope(resource: ServicePrincipalRecord, name: string): PermissionScopeDefinition | undefined {
  return resource.oauth2PermissionScopes.find((s) => s.isEnabled && s.value.toLowerCase() === name.toLowerCase());
}

/** Who asks: the client (appId and display name, for consent messages) and the user, when known. */
export interface ScopeRequester {
  clientId: string;
  clientName: string;
  userId: string | null;
}

function grantGraphScopes(dir: Directory, graph: ServicePrincipalRecord, names: string[], raw: string[], who: ScopeRequester): string[] | UserScopeResult {
  const consented = consentedScopes(dir, who.clientId, graph, who.userId).map((s) => s.toLowerCase());
  const firstParty = who.clientId.toLowerCase() === GRAPH_CLI_APP_ID;
  const granted: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i] ?? '';
    if (name === '.default') {
      const values = consented.length > 0 ? consented : ['user.read'];
      for (const v of values) {
        const scope = findScope(graph, v);
        if (scope !== undefined && !granted.includes(scope.value)) granted.push(scope.value);
      }
      continue;
    }
    const scope = findScope(graph, name);
    if (scope === undefined || OIDC_SCOPES.has(scope.value)) return invalidScope(raw[i] ?? name);
    if (scope.type === 'Admin' && !firstParty && !consented.includes(scope.value.toLowerCase())) return consentRequired(who.clientId, who.clientName);
    if (!granted.includes(scope.value)) granted.push(scope.value);
  }
  return granted;
}

/** Resolves the scopes of a delegated (user) request: authorization code, refresh token, ROPC, device code. */
export function resolveUserScopes(scope: string | null, dir: Directory, who: ScopeRequester): UserScopeResult {
  const parts = splitScopes(scope ?? '');
  if (parts.length === 0) {
    return { ok: false, error: entraError('invalid_request', 900144, "The request body must contain the following parameter: 'scope'.") };
  }
  const oidc = new Set<string>();
  const byResource = new Map<string, { sp: ServicePrincipalRecord; raw: string[]; names: string[] }>();
  for (const s of parts) {
    if (OIDC_SCOPES.has(s.toLowerCase())) {
      oidc.add(s.toLowerCase());
      continue;
    }
    const { resource, name } = splitResource(s);
    const sp = findResourceServicePrincipal(dir, resource);
    if (sp === null) return { ok: false, error: unknownResource(resource, dir.tenantId) };
    const entry = byResource.get(sp.id) ?? { sp, raw: [], names: [] };
    entry.raw.push(s);
    entry.names.push(name);
    byResource.set(sp.id, entry);
  }
  if (byResource.size > 1) {
    return {
      ok: false,
      error: entraError('invalid_scope', 28000, `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${parts.join(' ')} is not valid.`),
    };
  }
  const graph = getGraphServicePrincipal(dir);
  const [entry] = [...byResource.values()];
  if (!entry) {
    // Only OIDC scopes: Entra issues a Graph token for the user's basic profile.
    return { ok: true, oidc, resource: graph, scp: 'openid profile User.Read email', responseScope: 'openid profile User.Read email' };
  }
  if (entry.sp.id === graph.id) {
    const granted = grantGraphScopes(dir, graph, entry.names, entry.raw, who);
    if (!Array.isArray(granted)) return granted;
    const scp = ['openid', 'profile', ...granted, 'email'].join(' ');
    return { ok: true, oidc, resource: graph, scp, responseScope: scp };
  }
  const granted: string[] = [];
  const echo: string[] = [];
  for (let i = 0; i < entry.names.length; i++) {
    const name = entry.names[i] ?? '';
    const raw = entry.raw[i] ?? name;
    if (name === '.default') {
      const consented = consentedScopes(dir, who.clientId, entry.sp, who.userId);
      const values = consented.length > 0 ? consented : entry.sp.oauth2PermissionScopes.filter((s) => s.isEnabled).map((s) => s.value);
      if (values.length === 0) return invalidScope(raw);
      const prefix = raw.slice(0, -'.default'.length);
      for (const v of values) {
        if (!granted.includes(v)) granted.push(v);
        // Echo the spelling the client used so MSAL's cache lookup by scope matches next time.
        echo.push(`${prefix}${v}`);
      }
      continue;
    }
    const scope = findScope(entry.sp, name);
    if (scope === undefined) return invalidScope(raw);
    if (!granted.includes(scope.value)) granted.push(scope.value);
    echo.push(raw);
  }
  return { ok: true, oidc, resource: entry.sp, scp: granted.join(' '), responseScope: [...new Set(echo)].join(' ') };
}

export type AppScopeResult = { ok: true; resource: ServicePrincipalRecord } | { ok: false; error: EntraError };

/** Resolves the `scope` of a client-credentials request: exactly one `<resource>/.default`. */
export function resolveAppScope(scope: string | null, dir: Directory, baseUrl: string): AppScopeResult {
  const parts = splitScopes(scope ?? '');
  if (parts.length === 0) {
    return { ok: false, error: entraError('invalid_request', 900144, "The request body must contain the following parameter: 'scope'.") };
  }
  const nonOidc = parts.filter((p) => !OIDC_SCOPES.has(p.toLowerCase()));
  const bad = nonOidc.find((p) => !p.endsWith('/.default'));
  if (bad !== undefined || nonOidc.length !== 1) {
    const shown = bad ?? parts.join(' ');
    return {
      ok: false,
      error: entraError(
        'invalid_scope',
        1002012,
        `The provided value for scope ${shown} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      ),
    };
  }
  const only = nonOidc[0] ?? '';
  const resource = only.slice(0, -'/.default'.length);
  const sp = findResourceServicePrincipal(dir, resource);
  if (sp !== null) return { ok: true, resource: sp };
  const r = resource.toLowerCase().replace(/\/+$/, '');
  const own = baseUrl.toLowerCase();
  if (r === own || r === `${own}/graph`) return { ok: true, resource: getGraphServicePrincipal(dir) };
  return { ok: false, error: unknownResource(resource, dir.tenantId) };
}

/** Whether `sp` is Microsoft Graph's service principal. */
export function isGraphResource(sp: ServicePrincipalRecord): boolean {
  return sp.appId === GRAPH_APP_ID;
}
