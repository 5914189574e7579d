/**
 * The clients the token and authorization endpoints serve, read from the app registry
 * (`Directory.apps`), so a registration created through Graph signs in like a seeded one:
 * - a confidential client: a registration holding a password or key credential;
 * - a public client: one with SPA or public-client redirect URIs, or public client flows allowed
 *   (`isFallbackPublicClient`, for ROPC and device code). SPA redirect URIs need PKCE and
 *   cross-origin redemption;
 * - Microsoft's first-party "Microsoft Graph Command Line Tools" (a public client with no
 *   application object in the tenant, as in every real tenant).
 * A registration may be both (a SPA that also holds a secret). A resource that no one signs in
 * to (the portal API) is found here too, but has no redirect URI and no credential to use.
 */
import { findApplicationByAppId, findServicePrincipalByAppId, GRAPH_CLI_APP_ID, GRAPH_CLI_REDIRECT_URIS } from '../app-registry';
import type { AppRegistration, Directory } from '../types';
import { entraError, type EntraError } from './errors';

export interface RegisteredClient {
  clientId: string;
  displayName: string;
  /** The client's service principal (its app-only tokens' `oid`); null when the app has none in this tenant. */
  servicePrincipalId: string | null;
  /** The registration; null for a first-party client (no application object in the tenant). */
  application: AppRegistration | null;
  /** Holds a password or key credential (client credentials need one). */
  confidential: boolean;
  /** Public client flows (ROPC, device code) without a credential. */
  publicClient: boolean;
  /** SPA redirect URIs: codes issued to them are redeemed cross-origin only. */
  spaRedirectUris: string[];
  /** Public-client (native) and web redirect URIs. */
  otherRedirectUris: string[];
}

/** The client with `clientId`, from the registry; null when the tenant has no such application. */
export function findClient(dir: Directory, clientId: string): RegisteredClient | null {
  const id = clientId.toLowerCase();
  if (id === GRAPH_CLI_APP_ID) {
    return {
      clientId: GRAPH_CLI_APP_ID,
      displayName: 'Microsoft Graph Command Line Tools',
      servicePrincipalId: findServicePrincipalByAppId(dir, GRAPH_CLI_APP_ID)?.id ?? null,
      application: null,
      confidential: false,
      publicClient: true,
      spaRedirectUris: [],
      otherRedirectUris: [...GRAPH_CLI_REDIRECT_URIS],
    };
  }
  const app = findApplicationByAppId(dir, id);
  if (app === undefined) return null;
  const publicRedirects = app.publicClient.redirectUris;
  return {
    clientId: app.appId,
    displayName: app.displayName,
    servicePrincipalId: findServicePrincipalByAppId(dir, app.appId)?.id ?? null,
    application: app,
    confidential: app.passwordCredentials.length > 0 || app.keyCredentials.length > 0,
    publicClient: app.isFallbackPublicClient || app.spa.redirectUris.length > 0 || publicRedirects.length > 0,
    spaRedirectUris: app.spa.redirectUris,
    otherRedirectUris: [...publicRedirects, ...app.web.redirectUris],
  };
}

/** Entra's answer for a client id the tenant does not know (AADSTS700016). */
export function clientNotFound(clientId: string, tenantId: string): EntraError {
  return entraError(
    'unauthorized_client',
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  );
}

/** Every SPA redirect URI registered in the tenant (a logout without `client_id` may return to any of them). */
export function allSpaRedirectUris(dir: Directory): string[] {
  return [...dir.apps.applications.values()].flatMap((a) => a.spa.redirectUris);
}

function isLoopbackHttp(u: URL): boolean {
  return u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]');
}

function normalPath(p: string): string {
  return p === '' ? '/' : p;
}

/**
 * Whether `requested` matches a registered redirect URI. Exact match, except that — as Entra
 * documents for loopback redirect URIs — the port of an `http://localhost` / `http://127.0.0.1`
 * URI is ignored, so a portal started on another port still signs in. Scheme, host, path and
 * query must match; fragments are never allowed.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  let req: URL;
  try {
    req = new URL(requested);
  } catch {
    return false;
  }
  if (req.hash !== '' || requested.includes('#')) return false;
  for (const r of registered) {
    if (r === requested) return true;
    let reg: URL;
    try {
      reg = new URL(r);
    } catch {
      continue;
    }
    const samePathAndQuery = normalPath(reg.pathname) === normalPath(req.pathname) && reg.search === req.search;
    if (!samePathAndQuery || reg.protocol !== req.protocol || reg.hostname !== req.hostname) continue;
    if (reg.port === req.port) return true;
    if (isLoopbackHttp(reg) && isLoopbackHttp(req)) return true;
  }
  return false;
}

/** A post-logout redirect is honoured when its origin is that of a registered redirect URI (same loopback rule). */
export function postLogoutRedirectAllowed(registered: readonly string[], requested: string): boolean {
  let req: URL;
  try {
    req = new URL(requested);
  } catch {
    return false;
  }
  if (req.protocol !== 'http:' && req.protocol !== 'https:') return false;
  return registered.some((r) => {
    try {
      const reg = new URL(r);
      if (reg.protocol !== req.protocol || reg.hostname !== req.hostname) return false;
      return reg.port === req.port || (isLoopbackHttp(reg) && isLoopbackHttp(req));
    } catch {
      return false;
    }
  });
}
