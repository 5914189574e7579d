/**
 * What the user grants of the token endpoint share (authorization code, refresh token, ROPC,
 * device code): the token response for a signed-in user — access token for the resource the
 * scopes name, refresh token (rotating; SPA ones capped at 24 h), id token, client_info — and the
 * checks every grant repeats (the user still exists and is enabled).
 */
import { randomBytes } from 'node:crypto';
import type { DirectoryUser, TenantContext } from '../types';
import type { RegisteredClient } from './clients';
import { entraError, type EntraError } from './errors';
import { resolveUserScopes } from './scopes';
import { sweepExpired, type ProvenAuthContext } from './state';
import { acrsOf } from './step-up';
import { ACCESS_TOKEN_LIFETIME_SECONDS, createIdToken, createUserAccessToken } from './tokens';

const SPA_REFRESH_LIFETIME_MS = 24 * 60 * 60 * 1000;
const REFRESH_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;

export type Fail = { fail: EntraError };

export function missing(name: string): EntraError {
  return entraError('invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);
}

/** A client the request authenticated as, and with what (`none`: a public client, no credential). */
export interface AuthenticatedClient {
  client: RegisteredClient;
  credential: 'secret' | 'certificate' | 'none';
}

export function clientInfo(userId: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: userId, utid: tenantId })).toString('base64url');
}

export function userStillAllowed(ctx: TenantContext, userId: string): DirectoryUser | Fail {
  const user = ctx.directory.users.get(userId);
  if (!user) {
    return {
      fail: entraError('invalid_grant', 50034, `The user account {EUII Hidden} does not exist in the ${ctx.directory.tenantId} directory. To sign into this application, the account must be added to the directory.`),
    };
  }
  if (!user.accountEnabled) return { fail: entraError('invalid_grant', 50057, 'The user account is disabled.') };
  return user;
}

export interface UserGrant {
  user: DirectoryUser;
  clientId: string;
  clientName: string;
  scope: string;
  nonce: string | null;
  authTime: number;
  sessionId: string;
  spa: boolean;
  /** For SPA refresh tokens: the fixed end of the chain (never extended). */
  refreshExpiresAt: number | null;
  /** Authentication contexts proved (still fresh); they go into `acrs` and the new refresh token. */
  authContexts: ProvenAuthContext[];
}

/** The token response for a signed-in user (access token, and refresh and id tokens as the scopes ask). */
export async function userTokenResponse(ctx: TenantContext, g: UserGrant): Promise<Record<string, unknown> | Fail> {
  const scopes = resolveUserScopes(g.scope, ctx.directory, { clientId: g.clientId, clientName: g.clientName, userId: g.user.id });
  if (!scopes.ok) return { fail: scopes.error };
  const acrs = acrsOf(g.authContexts);
  const accessToken = await createUserAccessToken(ctx, {
    user: g.user,
    clientId: g.clientId,
    clientName: g.clientName,
    resource: scopes.resource,
    scp: scopes.scp,
    ...(acrs ? { acrs } : {}),
  });
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: scopes.responseScope,
    expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    ext_expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    access_token: accessToken,
  };
  if (scopes.oidc.has('offline_access')) {
    sweepExpired(ctx.oidc);
    const now = Date.now();
    const expiresAt = g.spa ? (g.refreshExpiresAt ?? now + SPA_REFRESH_LIFETIME_MS) : now + REFRESH_LIFETIME_MS;
    const rt = `1.${randomBytes(48).toString('base64url')}`;
    ctx.oidc.refreshTokens.set(rt, {
      clientId: g.clientId,
      userId: g.user.id,
      scope: g.scope,
      authTime: g.authTime,
      sessionId: g.sessionId,
      authContexts: g.authContexts,
      expiresAt,
      spa: g.spa,
    });
    body.refresh_token = rt;
    if (g.spa) body.refresh_token_expires_in = Math.max(0, Math.floor((expiresAt - now) / 1000));
  }
  if (scopes.oidc.has('openid')) {
    body.id_token = await createIdToken(ctx, {
      user: g.user,
      clientId: g.clientId,
      nonce: g.nonce,
      authTime: g.authTime,
      sessionId: g.sessionId,
      oidcScopes: scopes.oidc,
      ...(acrs ? { acrs } : {}),
    });
  }
  body.client_info = clientInfo(g.user.id, ctx.directory.tenantId);
  return body;
}

