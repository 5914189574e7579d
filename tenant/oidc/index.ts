/**
 * The Entra half's router: everything under `/{tenantId}/…`.
 *
 *   GET  /{tid}/v2.0/.well-known/openid-configuration   discovery (CORS *)
 *   GET  /{tid}/.well-known/openid-configuration        same document
 *   GET  /{tid}/discovery/v2.0/keys                     JWKS (CORS *)
 *   GET  /{tid}/discovery/keys                          same keys (v1 path)
 *   GET|POST /{tid}/oauth2/v2.0/authorize               sign-in form / code
 *   POST /{tid}/oauth2/v2.0/token                       tokens (CORS, reflected origin)
 *   POST /{tid}/oauth2/v2.0/devicecode                  device authorization (device code flow)
 *   GET|POST /{tid}/devicelogin                         the device code verification page
 *   GET|POST /{tid}/oauth2/v2.0/logout                  end session
 *
 * The tenant segment must be this tenant's id: `common`/`organizations` and other tenants get
 * Entra's AADSTS90002, so a misconfigured authority fails loudly instead of half-working.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyCors, redirect, sendHtml, sendJson } from '../http-util';
import type { TenantContext } from '../types';
import { handleAuthorize, sessionCookieName } from './authorize';
import { allSpaRedirectUris, findClient, postLogoutRedirectAllowed } from './clients';
import { entraError, sendEntraError } from './errors';
import { errorPage, signedOutPage } from './pages';
import { DEVICE_CODE_GRANT, handleDeviceCode, handleDeviceLogin } from './device-code';
import { handleToken } from './token';
import { issuerOf } from './tokens';
import { parseCookies } from '../http-util';

/** The OpenID configuration document, shaped like Entra's (docs/graph-behaviours.md#sign-in-endpoints) with this tenant's URLs. */
export function openIdConfiguration(ctx: TenantContext): Record<string, unknown> {
  const tid = ctx.directory.tenantId;
  const base = `${ctx.baseUrl}/${tid}`;
  const host = new URL(ctx.baseUrl).host;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: issuerOf(ctx),
    request_uri_parameter_supported: false,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    code_challenge_methods_supported: ['S256'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password', DEVICE_CODE_GRANT],
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'email', 'oid', 'roles'],
    tenant_region_scope: 'WW',
    cloud_instance_name: host,
    cloud_graph_host_name: host,
    msgraph_host: `${host}/graph`,
  };
}

export function jwks(ctx: TenantContext): { keys: Record<string, unknown>[] } {
  return { keys: [{ ...ctx.oidc.signingKey.publicJwk, issuer: issuerOf(ctx) }] };
}

function tenantNotFound(tenant: string): ReturnType<typeof entraError> {
  return entraError(
    'invalid_tenant',
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. This local tenant serves only its own tenant id.`,
  );
}

function handleLogout(req: IncomingMessage, res: ServerResponse, ctx: TenantContext, url: URL): void {
  const name = sessionCookieName(ctx);
  const sessionId = parseCookies(req).get(name);
  if (sessionId) ctx.oidc.sessions.delete(sessionId);
  const clear = `${name}=; Path=/; HttpOnly; Secure; SameSite=None; Max-Age=0`;
  const target = url.searchParams.get('post_logout_redirect_uri');
  const clientId = url.searchParams.get('client_id');
  const client = clientId ? findClient(ctx.directory, clientId) : null;
  // Entra honours the post-logout redirect only for a URI registered on an app; without a
  // client_id, accept any origin registered on a SPA of the tenant.
  const registered = client ? [...client.spaRedirectUris, ...client.otherRedirectUris] : allSpaRedirectUris(ctx.directory);
  if (target && postLogoutRedirectAllowed(registered, target)) {
    const state = url.searchParams.get('state');
    const location = state === null ? target : `${target}${target.includes('?') ? '&' : '?'}state=${encodeURIComponent(state)}`;
    redirect(res, location, { 'Set-Cookie': clear });
    return;
  }
  sendHtml(res, 200, signedOutPage(), { 'Set-Cookie': clear });
}

/**
 * Handles a request whose first path segment is a tenant id. Returns false when the path is
 * not an Entra endpoint (the server then answers 404).
 */
export async function handleEntra(req: IncomingMessage, res: ServerResponse, ctx: TenantContext, url: URL): Promise<boolean> {
  const segs = url.pathname.split('/').filter((s) => s !== '');
  const tenant = segs[0] ?? '';
  const rest = segs.slice(1).join('/');
  const known = new Set([
    'v2.0/.well-known/openid-configuration',
    '.well-known/openid-configuration',
    'discovery/v2.0/keys',
    'discovery/keys',
    'oauth2/v2.0/authorize',
    'oauth2/v2.0/token',
    'oauth2/v2.0/logout',
    'oauth2/v2.0/devicecode',
    'devicelogin',
  ]);
  if (!known.has(rest)) return false;
  const isMetadata = rest.includes('well-known') || rest.startsWith('discovery');
  if (isMetadata && applyCors(req, res, { methods: ['GET'], origin: '*' })) return true;
  if (rest === 'oauth2/v2.0/token' && applyCors(req, res, { methods: ['POST'], origin: 'reflect' })) return true;

  if (tenant.toLowerCase() !== ctx.directory.tenantId.toLowerCase()) {
    if (rest === 'oauth2/v2.0/authorize' || rest === 'oauth2/v2.0/logout' || rest === 'devicelogin') {
      const e = tenantNotFound(tenant);
      sendHtml(res, 400, errorPage('Sign in', `AADSTS${e.code}: ${e.message}`));
    } else {
      sendEntraError(req, res, tenantNotFound(tenant), ctx.baseUrl, url.searchParams);
    }
    return true;
  }
  switch (rest) {
    case 'v2.0/.well-known/openid-configuration':
    case '.well-known/openid-configuration':
      sendJson(res, 200, openIdConfiguration(ctx), { 'Cache-Control': 'max-age=86400, private' });
      return true;
    case 'discovery/v2.0/keys':
    case 'discovery/keys':
      sendJson(res, 200, jwks(ctx), { 'Cache-Control': 'max-age=86400, private' });
      return true;
    case 'oauth2/v2.0/authorize':
      await handleAuthorize(req, res, ctx, url);
      return true;
    case 'oauth2/v2.0/token':
      await handleToken(req, res, ctx, url);
      return true;
    case 'oauth2/v2.0/devicecode':
      await handleDeviceCode(req, res, ctx, url);
      return true;
    case 'devicelogin':
      await handleDeviceLogin(req, res, ctx, url);
      return true;
    default:
      handleLogout(req, res, ctx, url);
      return true;
  }
}
