/**
 * Scope resolution, as Entra's v2 endpoint does it: a request names OIDC scopes plus scopes of
 * exactly one resource (the portal API or Graph); client credentials name `<resource>/.default`.
 *
 * Resources known to the local tenant:
 * - the portal API: `api://<apiClientId>/<scope>` or `<apiClientId>/<scope>` (scope = the seed's
 *   `portal.scope`, or `.default`);
 * - Graph: `https://graph.microsoft.com/…`, `00000003-0000-0000-c000-000000000000/…`, bare
 *   Graph scope names (`User.Read`), and — for client credentials only — the tenant's own
 *   origin, since the local Graph lives there (`https://localhost:8443/.default`).
 */
import type { Directory } from '../types';
import { entraError, type EntraError } from './errors';
import { GRAPH_APP_ID, GRAPH_RESOURCE } from './tokens';

export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/** Delegated Graph permissions the local tenant grants to signed-in users (admin-consented). */
const GRAPH_DELEGATED = new Map([['user.read', 'User.Read']]);

export type UserScopeResult =
  | {
      ok: true;
      oidc: Set<string>;
      resource: 'portal-api' | 'graph';
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

/** Splits `resource/scope` on the last slash; bare names (no slash) are Graph scopes, as in Entra. */
function splitResource(s: string): { resource: string; name: string } {
  const i = s.lastIndexOf('/');
  if (i < 0) return { resource: GRAPH_RESOURCE, name: s };
  return { resource: s.slice(0, i), name: s.slice(i + 1) };
}

function classify(resource: string, dir: Directory): 'portal-api' | 'graph' | null {
  const r = resource.toLowerCase().replace(/\/+$/, '');
  const api = dir.portal.apiClientId.toLowerCase();
  if (r === `api://${api}` || r === api) return 'portal-api';
  if (r === GRAPH_RESOURCE || r === GRAPH_APP_ID) return 'graph';
  return null;
}

/** Resolves the scopes of a delegated (user) request: authorization code, refresh token, ROPC. */
export function resolveUserScopes(scope: string | null, dir: Directory): UserScopeResult {
  const parts = splitScopes(scope ?? '');
  if (parts.length === 0) {
    return { ok: false, error: entraError('invalid_request', 900144, "The request body must contain the following parameter: 'scope'.") };
  }
  const oidc = new Set<string>();
  const byResource = new Map<'portal-api' | 'graph', string[]>();
  const resourceNames = new Map<'portal-api' | 'graph', string[]>();
  for (const s of parts) {
    if (OIDC_SCOPES.has(s.toLowerCase())) {
      oidc.add(s.toLowerCase());
      continue;
    }
    const { resource, name } = splitResource(s);
    const kind = classify(resource, dir);
    if (kind === null) return { ok: false, error: unknownResource(resource, dir.tenantId) };
    byResource.set(kind, [...(byResource.get(kind) ?? []), s]);
    resourceNames.set(kind, [...(resourceNames.get(kind) ?? []), name]);
  }
  if (byResource.size > 1) {
    return {
      ok: false,
      error: entraError('invalid_scope', 28000, `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${parts.join(' ')} is not valid.`),
    };
  }
  const [entry] = [...byResource.entries()];
  if (!entry) {
    // Only OIDC scopes: Entra issues a Graph token for the user's basic profile.
    return { ok: true, oidc, resource: 'graph', scp: 'openid profile User.Read email', responseScope: 'openid profile User.Read email' };
  }
  const [kind, raw] = entry;
  const names = resourceNames.get(kind) ?? [];
  const granted: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i] ?? '';
    if (kind === 'portal-api') {
      if (name === '.default' || name === dir.portal.scope) {
        if (!granted.includes(dir.portal.scope)) granted.push(dir.portal.scope);
      } else {
        return invalidScope(raw[i] ?? name);
      }
    } else {
      const g = name === '.default' ? 'User.Read' : GRAPH_DELEGATED.get(name.toLowerCase());
      if (g === undefined) return invalidScope(raw[i] ?? name);
      if (!granted.includes(g)) granted.push(g);
    }
  }
  if (kind === 'portal-api') {
    // Echo the spelling the client used so MSAL's cache lookup by scope matches next time.
    const echo = raw.map((s) => (s.endsWith('/.default') ? `${s.slice(0, -'.default'.length)}${dir.portal.scope}` : s));
    return { ok: true, oidc, resource: kind, scp: granted.join(' '), responseScope: [...new Set(echo)].join(' ') };
  }
  const scp = ['openid', 'profile', ...granted, 'email'].join(' ');
  return { ok: true, oidc, resource: kind, scp, responseScope: scp };
}

export type AppScopeResult = { ok: true; resource: 'portal-api' | 'graph' } | { ok: false; error: EntraError };

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
  const kind = classify(resource, dir);
  if (kind !== null) return { ok: true, resource: kind };
  const r = resource.toLowerCase().replace(/\/+$/, '');
  const own = baseUrl.toLowerCase();
  if (r === own || r === `${own}/graph`) return { ok: true, resource: 'graph' };
  return { ok: false, error: unknownResource(resource, dir.tenantId) };
}
