/**
 * Token minting and verification for the local tenant.
 *
 * Shapes follow Entra's v2 tokens (docs/graph-behaviours.md#tokens):
 * - id token: aud = client id, nonce, oid, sub (pairwise), tid, name, preferred_username, ver 2.0
 *   (no `roles`: the app roles live on the API registration);
 * - access tokens for the tenant's own APIs (the portal API, or any registered through Graph):
 *   aud = the API's client id GUID (never `api://…`), azp = the client app, scp, roles (the app
 *   roles assigned to the user and their groups on that API), ver 2.0 — or, when the API's
 *   registration leaves `api.requestedAccessTokenVersion` at null (or 1), Entra's v1 shape: iss
 *   `https://sts.windows.net/{tid}/`, aud = its identifier URI (`api://…`), `appid` instead of
 *   `azp`, ver 1.0. App-only tokens for an API carry the app roles assigned to the client;
 * - Graph tokens: aud `https://graph.microsoft.com`, v1-style like the real ones (Graph's
 *   tokens are v1 whatever the client asked); app-only tokens carry `roles` (the Graph app roles
 *   assigned to the client's service principal, i.e. admin-consented application permissions)
 *   and no `scp`.
 * All are RS256 with `kid` (and `x5t`) naming the one signing key published in the JWKS.
 *
 * Only the local tenant verifies Graph tokens (real Graph tokens are not validatable by
 * third parties, so the portal never tries).
 */
import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { findApplicationByAppId, getAssignedAppRoleValues } from '../app-registry';
import { getEffectiveAppRoles } from '../directory';
import type { DirectoryUser, GraphCaller, ServicePrincipalRecord, TenantContext } from '../types';

/** The `aud` of Graph tokens, and Graph's well-known application id (also accepted as audience). */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** How a resource wants its access tokens: Graph's own v1 shape, or an API's v1/v2 by its registration. */
function tokenShapeOf(ctx: TenantContext, resource: ServicePrincipalRecord): { kind: 'graph' } | { kind: 'api'; version: 1 | 2; v1Audience: string } {
  if (resource.appId === GRAPH_APP_ID) return { kind: 'graph' };
  const app = findApplicationByAppId(ctx.directory, resource.appId);
  return {
    kind: 'api',
    version: app?.api.requestedAccessTokenVersion === 2 ? 2 : 1,
    v1Audience: app?.identifierUris[0] ?? resource.appId,
  };
}

/** Access tokens live one hour (Entra: 60–90 min, randomised; fixed here so tests are deterministic). */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3600;

/** The v2 issuer, byte-identical in discovery and in every v2 token. */
export function issuerOf(ctx: TenantContext): string {
  return `${ctx.baseUrl}/${ctx.directory.tenantId}/v2.0`;
}

/**
 * The issuer of v1 access tokens for the portal API when its registration asks for v1 tokens:
 * Entra's own v1 issuer, byte for byte, because that is what a v2-only API meets in production.
 */
export function stsV1IssuerOf(ctx: TenantContext): string {
  return `https://sts.windows.net/${ctx.directory.tenantId}/`;
}

/** The v1 issuer that Graph tokens carry (Entra: `https://sts.windows.net/{tid}/`). */
export function v1IssuerOf(ctx: TenantContext): string {
  return `${ctx.baseUrl}/${ctx.directory.tenantId}/`;
}

function opaque(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/** Entra's `sub`: a pairwise identifier, stable per (user, application). */
export function pairwiseSubject(userId: string, appId: string): string {
  return createHash('sha256').update(`${userId}|${appId}`).digest('base64url').slice(0, 43);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

const publicKeys = new WeakMap<KeyObject, KeyObject>();
function publicKeyOf(ctx: TenantContext): KeyObject {
  const priv = ctx.oidc.signingKey.privateKey;
  let pub = publicKeys.get(priv);
  if (!pub) {
    pub = createPublicKey(priv);
    publicKeys.set(priv, pub);
  }
  return pub;
}

/** Signs claims with the tenant key (RS256, `kid` and `x5t` in the header, like Entra). */
export async function signToken(ctx: TenantContext, claims: JWTPayload): Promise<string> {
  const key = ctx.oidc.signingKey;
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: key.kid, x5t: key.publicJwk.x5t })
    .sign(key.privateKey);
}

function timeClaims(lifetimeSeconds: number): { iat: number; nbf: number; exp: number } {
  const now = nowSeconds();
  // Entra back-dates nbf by five minutes to absorb clock skew; so do we.
  return { iat: now - 300, nbf: now - 300, exp: now + lifetimeSeconds };
}

export interface IdTokenInput {
  user: DirectoryUser;
  clientId: string;
  nonce: string | null;
  authTime: number;
  sessionId: string;
  /** Scopes granted; `profile` adds name/preferred_username/oid, `email` adds email. */
  oidcScopes: ReadonlySet<string>;
  /** Authentication contexts the sign-in proved (`acrs`); absent or empty: no `acrs` claim. */
  acrs?: readonly string[];
}

export async function createIdToken(ctx: TenantContext, input: IdTokenInput): Promise<string> {
  const { user } = input;
  const claims: JWTPayload & Record<string, unknown> = {
    aud: input.clientId,
    iss: issuerOf(ctx),
    ...timeClaims(ACCESS_TOKEN_LIFETIME_SECONDS),
    aio: opaque(),
    rh: `0.${opaque()}.`,
    sub: pairwiseSubject(user.id, input.clientId),
    tid: ctx.directory.tenantId,
    uti: opaque(),
    ver: '2.0',
    sid: input.sessionId,
    auth_time: input.authTime,
  };
  if (input.nonce !== null) claims.nonce = input.nonce;
  // MSAL asks for `profile`, and oid/name/preferred_username are what it builds the account
  // from; include them for `openid` alone too, as Entra does for oid and preferred_username.
  claims.oid = user.id;
  claims.preferred_username = user.userPrincipalName;
  if (input.oidcScopes.has('profile')) claims.name = user.displayName;
  if ((input.oidcScopes.has('email') || user.userType === 'Guest') && user.mail) claims.email = user.mail;
  if (input.acrs && input.acrs.length > 0) claims.acrs = [...input.acrs];
  // No `roles` here: the portal's app roles are defined on the API's registration, so Entra puts
  // them in the API's access tokens only; the SPA must not take authorization from its id token.
  return signToken(ctx, claims);
}

export interface UserAccessTokenInput {
  user: DirectoryUser;
  /** The client (SPA or public client) the token was issued to: `azp`. */
  clientId: string;
  /** Its display name (Graph tokens' `app_displayname`). */
  clientName: string;
  /** The resource's service principal. */
  resource: ServicePrincipalRecord;
  /** Delegated scopes, space separated, without the resource prefix (`access_as_user`). */
  scp: string;
  /**
   * Authentication contexts the sign-in proved. Entra lists them in `acrs`; a token that proved
   * none has no `acrs` claim at all (not an empty array), which is what APIs test for.
   */
  acrs?: readonly string[];
}

export async function createUserAccessToken(ctx: TenantContext, input: UserAccessTokenInput): Promise<string> {
  const { user } = input;
  const acrs = input.acrs && input.acrs.length > 0 ? { acrs: [...input.acrs] } : {};
  const shape = tokenShapeOf(ctx, input.resource);
  if (shape.kind === 'api') {
    const roles = getEffectiveAppRoles(ctx.directory, user, input.resource.id);
    if (shape.version === 1) {
      const claims: JWTPayload & Record<string, unknown> = {
        aud: shape.v1Audience,
        iss: stsV1IssuerOf(ctx),
        ...timeClaims(ACCESS_TOKEN_LIFETIME_SECONDS),
        acr: '1',
        aio: opaque(),
        amr: ['pwd'],
        appid: input.clientId,
        appidacr: '0',
        name: user.displayName,
        oid: user.id,
        rh: `0.${opaque()}.`,
        scp: input.scp,
        sub: pairwiseSubject(user.id, input.resource.appId),
        tid: ctx.directory.tenantId,
        unique_name: user.userPrincipalName,
        upn: user.userPrincipalName,
        uti: opaque(),
        ver: '1.0',
        ...acrs,
      };
      if (roles.length > 0) claims.roles = roles;
      return signToken(ctx, claims);
    }
    const aud = input.resource.appId;
    const claims: JWTPayload & Record<string, unknown> = {
      aud,
      iss: issuerOf(ctx),
      ...timeClaims(ACCESS_TOKEN_LIFETIME_SECONDS),
      aio: opaque(),
      azp: input.clientId,
      azpacr: '0',
      name: user.displayName,
      oid: user.id,
      preferred_username: user.userPrincipalName,
      rh: `0.${opaque()}.`,
      scp: input.scp,
      sub: pairwiseSubject(user.id, aud),
      tid: ctx.directory.tenantId,
      uti: opaque(),
      ver: '2.0',
      ...acrs,
    };
    if (roles.length > 0) claims.roles = roles;
    return signToken(ctx, claims);
  }
  return signToken(ctx, {
    aud: GRAPH_RESOURCE,
    iss: v1IssuerOf(ctx),
    ...timeClaims(ACCESS_TOKEN_LIFETIME_SECONDS),
    acct: 0,
    acr: '1',
    aio: opaque(),
    amr: ['pwd'],
    app_displayname: input.clientName,
    appid: input.clientId,
    appidacr: '0',
    idtyp: 'user',
    name: user.displayName,
    oid: user.id,
    rh: `0.${opaque()}.`,
    scp: input.scp,
    sub: pairwiseSubject(user.id, GRAPH_APP_ID),
    tid: ctx.directory.tenantId,
    unique_name: user.userPrincipalName,
    upn: user.userPrincipalName,
    uti: opaque(),
    ver: '1.0',
    ...acrs,
  });
}

/** The client of an app-only token: its appId, name and service principal (the token's `oid` and `sub`). */
export interface AppTokenClient {
  clientId: string;
  displayName: string;
  servicePrincipalId: string;
}

/**
 * An app-only (client credentials) token for `resource`: for Graph, `roles` = the Graph app roles
 * assigned to the client's service principal; for an API, the API's app roles assigned to it, in
 * the API's requested token version.
 */
export async function createAppAccessToken(
  ctx: TenantContext,
  client: AppTokenClient,
  resource: ServicePrincipalRecord,
  credential: 'secret' | 'certificate' = 'secret',
): Promise<string> {
  const roles = getAssignedAppRoleValues(ctx.directory, [client.servicePrincipalId], resource.id);
  const withRoles = roles.length > 0 ? { roles } : {};
  const acr = credential === 'certificate' ? '2' : '1';
  const common = { aio: opaque(), idtyp: 'app', oid: client.servicePrincipalId, rh: `0.${opaque()}.`, sub: client.servicePrincipalId, tid: ctx.directory.tenantId, uti: opaque() };
  const shape = tokenShapeOf(ctx, resource);
  if (shape.kind === 'graph') {
    // Entra emits idtyp only as an optional claim; the local tenant always does (documented choice).
    return signToken(ctx, {
      aud: GRAPH_RESOURCE,
      iss: v1IssuerOf(ctx),
      ...timeClaims(ACCESS_TOKEN_LIFETIME_SECONDS),
      app_displayname: client.displayName,
      appid: client.clientId,
      azp: client.clientId,
      appidacr: acr,
      idp: v1IssuerOf(ctx),
      ...common,
      ver: '1.0',
      ...withRoles,
    });
  }
  if (shape.version === 1) {
    return signToken(ctx, {
      aud: shape.v1Audience,
      iss: stsV1IssuerOf(ctx),
      ...timeClaims(ACCESS_TOKEN_LIFETIME_SECONDS),
      appid: client.clientId,
      appidacr: acr,
      idp: stsV1IssuerOf(ctx),
      ...common,
      ver: '1.0',
      ...withRoles,
    });
  }
  return signToken(ctx, {
    aud: resource.appId,
    iss: issuerOf(ctx),
    ...timeClaims(ACCESS_TOKEN_LIFETIME_SECONDS),
    azp: client.clientId,
    azpacr: acr,
    ...common,
    ver: '2.0',
    ...withRoles,
  });
}

function stringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Verifies the bearer token of a Graph request, as Graph would: signature by this tenant's key,
 * audience Graph, issuer and tenant this tenant, not expired.
 *
 * @param authorizationHeader the raw `Authorization` header
 * @returns the caller, or `{ error }` with Graph's message for a 401 `InvalidAuthenticationToken`
 */
export async function verifyGraphToken(
  ctx: TenantContext,
  authorizationHeader: string | undefined,
): Promise<GraphCaller | { error: string }> {
  if (authorizationHeader === undefined || authorizationHeader.trim() === '') return { error: 'Access token is empty.' };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorizationHeader);
  if (!m?.[1]) return { error: 'Access token is empty.' };
  const token = m[1];
  if (token.split('.').length !== 3) return { error: 'IDX14100: JWT is not well formed, there are no dots (.).' };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, publicKeyOf(ctx), {
      algorithms: ['RS256'],
      clockTolerance: 300,
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { error: 'Lifetime validation failed, the token is expired.' };
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) return { error: 'Access token validation failure.' };
    return { error: 'Access token validation failure.' };
  }
  const aud = payload.aud;
  const audiences = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
  if (!audiences.some((a) => a === GRAPH_RESOURCE || a === `${GRAPH_RESOURCE}/` || a === GRAPH_APP_ID)) {
    return { error: 'Access token validation failure. Invalid audience.' };
  }
  const iss = payload.iss;
  if (iss !== v1IssuerOf(ctx) && iss !== issuerOf(ctx)) return { error: 'Access token validation failure. Invalid issuer.' };
  if (payload.tid !== ctx.directory.tenantId) return { error: 'Access token validation failure. Invalid issuer.' };
  const appId = typeof payload.appid === 'string' ? payload.appid : typeof payload.azp === 'string' ? payload.azp : '';
  if (typeof payload.scp === 'string' && payload.scp.length > 0) {
    const oid = typeof payload.oid === 'string' ? payload.oid : null;
    return { kind: 'user', appId, permissions: payload.scp.split(' ').filter(Boolean), userId: oid };
  }
  return { kind: 'app', appId, permissions: stringArray(payload.roles), userId: null };
}

/** General verification of a token issued by this tenant (used by the admin token route's tests). */
export async function verifyTenantToken(ctx: TenantContext, token: string): Promise<JWTPayload | null> {
  try {
    const { payload } = await jwtVerify(token, publicKeyOf(ctx), { algorithms: ['RS256'] });
    return payload;
  } catch {
    return null;
  }
}

/** {@link verifyGraphToken} for a bare token: the caller, or null when Graph would refuse it. */
export async function verifyAccessToken(ctx: TenantContext, token: string): Promise<GraphCaller | null> {
  const r = await verifyGraphToken(ctx, `Bearer ${token}`);
  return 'error' in r ? null : r;
}
