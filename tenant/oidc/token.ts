/**
 * `/{tenant}/oauth2/v2.0/token`: grants `authorization_code` (PKCE S256), `refresh_token`,
 * `client_credentials` (client secret) and `password` (ROPC), answered and refused the way
 * Entra does (docs/graph-behaviours.md#sign-in-endpoints).
 *
 * Security notes:
 * - codes are single-use: the first redemption attempt by the right client consumes the code,
 *   so a leaked code cannot be brute-forced against PKCE;
 * - codes issued to the SPA redirect URI must be redeemed cross-origin (with `Origin`), like
 *   Entra's SPA client type, and their refresh tokens are capped at 24 h;
 * - refresh tokens are opaque and rotate (each use returns a new one). As in Entra, the old one
 *   stays valid until it expires;
 * - secrets are compared in constant time and never echoed; certificate assertions are verified
 *   against the certificates registered on the client in the seed (`certificates`, an extension).
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { findUserBySignInName } from '../directory';
import { readForm, sendJson } from '../http-util';
import type { ConfidentialClient, DirectoryUser, TenantContext } from '../types';
import { credentialError } from './authorize';
import { findClient, secretMatches, type RegisteredClient } from './clients';
import { entraError, sendEntraError, type EntraError } from './errors';
import { resolveAppScope, resolveUserScopes } from './scopes';
import { sweepExpired, type ProvenAuthContext } from './state';
import { acrsOf, freshProofs, mfaRequiredError, parseClaimsRequest } from './step-up';
import {
  ACCESS_TOKEN_LIFETIME_SECONDS,
  createAppApiToken,
  createAppGraphToken,
  createIdToken,
  createUserAccessToken,
} from './tokens';

const SPA_REFRESH_LIFETIME_MS = 24 * 60 * 60 * 1000;
const REFRESH_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;

type Fail = { fail: EntraError };

function missing(name: string): EntraError {
  return entraError('invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);
}

function basicCredentials(req: IncomingMessage): { id: string; secret: string } | null {
  const h = req.headers.authorization;
  if (!h || !/^Basic\s+/i.test(h)) return null;
  const decoded = Buffer.from(h.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return null;
  // RFC 6749, section 2.3.1: both parts are form-urlencoded before base64.
  const dec = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: dec(decoded.slice(0, i)), secret: dec(decoded.slice(i + 1)) };
  } catch {
    return null;
  }
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function invalidAssertion(reason: string): Fail {
  return { fail: entraError('invalid_client', 700027, `Client assertion failed signature validation. [Reason - ${reason}]`, 401) };
}

/**
 * Verifies a `private_key_jwt` client assertion as msal-node builds it for a certificate
 * credential: RS256 + `x5t` (SHA-1 thumbprint) or PS256 + `x5t#S256`, `iss` = `sub` = client id,
 * `aud` = the token endpoint, short-lived. The key must belong to a certificate registered on the
 * client in the seed (`certificates`).
 */
async function verifyClientAssertion(client: ConfidentialClient, assertion: string, assertionType: string | null, ctx: TenantContext): Promise<true | Fail> {
  if (assertionType !== JWT_BEARER) {
    return { fail: entraError('invalid_request', 700021, `Client assertion type is invalid. Expected '${JWT_BEARER}'.`) };
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    return invalidAssertion('The client assertion is not a well-formed JWT.');
  }
  const certs = (client.certificatePems ?? []).map((pem) => new X509Certificate(pem));
  const cert = certs.find(
    (c) =>
      (typeof header.x5t === 'string' && createHash('sha1').update(c.raw).digest('base64url') === header.x5t) ||
      (typeof header['x5t#S256'] === 'string' && createHash('sha256').update(c.raw).digest('base64url') === header['x5t#S256']),
  );
  if (!cert) return invalidAssertion(`The key was not found. Thumbprint of key used by client: '${String(header.x5t ?? header['x5t#S256'] ?? '')}'.`);
  const tokenEndpoint = `${ctx.baseUrl}/${ctx.directory.tenantId}/oauth2/v2.0/token`;
  try {
    await jwtVerify(assertion, cert.publicKey, {
      algorithms: ['RS256', 'PS256'],
      issuer: client.clientId,
      subject: client.clientId,
      audience: [tokenEndpoint, `${ctx.baseUrl}/${ctx.directory.tenantId}/v2.0`],
      requiredClaims: ['exp', 'jti'],
      maxTokenAge: '1h',
      // Entra tolerates five minutes of clock skew on assertions.
      clockTolerance: 300,
    });
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      return { fail: entraError('invalid_client', 700024, 'Client assertion is not within its valid time range.', 401) };
    }
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      return { fail: entraError('invalid_client', 700023, `Client assertion audience, issuer or subject is invalid (${err.claim}).`, 401) };
    }
    return invalidAssertion('The signature could not be verified with the registered certificate.');
  }
  return true;
}

/** Identifies and authenticates the client of a token request. */
async function authenticateClient(req: IncomingMessage, form: URLSearchParams, ctx: TenantContext): Promise<RegisteredClient | Fail> {
  const basic = basicCredentials(req);
  const clientId = form.get('client_id') ?? basic?.id ?? null;
  if (!clientId) return { fail: missing('client_id') };
  const client = findClient(ctx.directory, clientId);
  if (!client) {
    return {
      fail: entraError(
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${ctx.directory.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      ),
    };
  }
  const secret = form.get('client_secret') ?? basic?.secret ?? null;
  const assertion = form.get('client_assertion');
  if (client.kind === 'spa') {
    if (secret !== null || assertion !== null) {
      return { fail: entraError('invalid_client', 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.", 401) };
    }
    return client;
  }
  if (assertion !== null) {
    const ok = await verifyClientAssertion(client.client, assertion, form.get('client_assertion_type'), ctx);
    return ok === true ? client : ok;
  }
  if (secret === null) {
    return { fail: entraError('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", 401) };
  }
  if (!secretMatches(client.client.clientSecret, secret)) {
    return {
      fail: entraError(
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
        401,
      ),
    };
  }
  return client;
}

function clientInfo(userId: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: userId, utid: tenantId })).toString('base64url');
}

function userStillAllowed(ctx: TenantContext, userId: string): DirectoryUser | Fail {
  const user = ctx.directory.users.get(userId);
  if (!user) {
    return {
      fail: entraError('invalid_grant', 50034, `The user account {EUII Hidden} does not exist in the ${ctx.directory.tenantId} directory. To sign into this application, the account must be added to the directory.`),
    };
  }
  if (!user.accountEnabled) return { fail: entraError('invalid_grant', 50057, 'The user account is disabled.') };
  return user;
}

interface UserGrant {
  user: DirectoryUser;
  clientId: string;
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

async function userTokenResponse(ctx: TenantContext, g: UserGrant): Promise<Record<string, unknown> | Fail> {
  const scopes = resolveUserScopes(g.scope, ctx.directory);
  if (!scopes.ok) return { fail: scopes.error };
  const acrs = acrsOf(g.authContexts);
  const accessToken = await createUserAccessToken(ctx, {
    user: g.user,
    clientId: g.clientId,
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

/** `http://localhost:3000` and `http://localhost:3000/` are the same URI (clients normalise either way). */
function sameUri(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

function pkceMatches(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  return createHash('sha256').update(verifier).digest('base64url') === challenge;
}

const SPA_CROSS_ORIGIN_ONLY = entraError(
  'invalid_request',
  9002327,
  "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
);

async function authorizationCodeGrant(req: IncomingMessage, form: URLSearchParams, ctx: TenantContext, client: RegisteredClient) {
  const code = form.get('code');
  if (!code) return { fail: missing('code') };
  const redirectUri = form.get('redirect_uri');
  if (!redirectUri) return { fail: missing('redirect_uri') };
  const record = ctx.oidc.codes.get(code);
  if (!record) {
    return { fail: entraError('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.') };
  }
  if (record.clientId !== client.clientId) {
    return { fail: entraError('invalid_grant', 700005, 'Provided Authorization Code is intended to use against other tenant or application.') };
  }
  if (record.redeemed) {
    return { fail: entraError('invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.') };
  }
  // Consumed by the first attempt of the right client, successful or not.
  record.redeemed = true;
  if (record.expiresAt <= Date.now()) {
    return { fail: entraError('invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.') };
  }
  if (record.spa && !req.headers.origin) return { fail: SPA_CROSS_ORIGIN_ONLY };
  if (!sameUri(redirectUri, record.redirectUri)) {
    return {
      fail: entraError('invalid_grant', 500112, `The reply address '${redirectUri}' does not match the reply address '${record.redirectUri}' provided when requesting Authorization code.`),
    };
  }
  const verifier = form.get('code_verifier');
  if (!verifier || !pkceMatches(verifier, record.codeChallenge)) {
    return { fail: entraError('invalid_grant', 50148, 'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.') };
  }
  const user = userStillAllowed(ctx, record.userId);
  if ('fail' in user) return user;
  // A `claims` parameter here (MSAL repeats the authorize request's) changes nothing: the code
  // carries what the sign-in proved, no more.
  return userTokenResponse(ctx, {
    user,
    clientId: record.clientId,
    scope: form.get('scope') ?? record.scope,
    nonce: record.nonce,
    authTime: record.authTime,
    sessionId: record.sessionId,
    spa: record.spa,
    refreshExpiresAt: null,
    authContexts: freshProofs(ctx.directory, record.authContexts, Math.floor(Date.now() / 1000), 'authorization_code'),
  });
}

async function refreshTokenGrant(req: IncomingMessage, form: URLSearchParams, ctx: TenantContext, client: RegisteredClient) {
  const token = form.get('refresh_token');
  if (!token) return { fail: missing('refresh_token') };
  const record = ctx.oidc.refreshTokens.get(token);
  if (!record || record.clientId !== client.clientId) {
    return { fail: entraError('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.') };
  }
  if (record.expiresAt <= Date.now()) {
    ctx.oidc.refreshTokens.delete(token);
    return {
      fail: record.spa
        ? entraError('invalid_grant', 700084, 'The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page.')
        : entraError('invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.'),
    };
  }
  if (record.spa && !req.headers.origin) return { fail: SPA_CROSS_ORIGIN_ONLY };
  const user = userStillAllowed(ctx, record.userId);
  if ('fail' in user) return user;
  const claims = parseClaimsRequest(form.get('claims'), ctx.directory);
  if (!claims.ok) return { fail: claims.error };
  // A refresh token carries what its sign-in proved, while the context's sign-in frequency allows
  // (never a context asked for "every time"); a context it does not carry needs the user back at
  // the authorize endpoint.
  const proofs = freshProofs(ctx.directory, record.authContexts, Math.floor(Date.now() / 1000), 'refresh_token');
  if (claims.authContexts.some((id) => !proofs.some((p) => p.id === id))) {
    const scopes = resolveUserScopes(form.get('scope') ?? record.scope, ctx.directory);
    return { fail: mfaRequiredError(ctx.directory, scopes.ok ? scopes.resource : null) };
  }
  return userTokenResponse(ctx, {
    user,
    clientId: record.clientId,
    scope: form.get('scope') ?? record.scope,
    nonce: null,
    authTime: record.authTime,
    sessionId: record.sessionId,
    spa: record.spa,
    refreshExpiresAt: record.spa ? record.expiresAt : null,
    authContexts: proofs,
  });
}

async function clientCredentialsGrant(form: URLSearchParams, ctx: TenantContext, client: RegisteredClient) {
  if (client.kind !== 'confidential') {
    return { fail: entraError('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", 401) };
  }
  const scope = resolveAppScope(form.get('scope'), ctx.directory, ctx.baseUrl);
  if (!scope.ok) return { fail: scope.error };
  const credential = form.has('client_assertion') ? 'certificate' : 'secret';
  const accessToken =
    scope.resource === 'graph'
      ? await createAppGraphToken(ctx, client.client, credential)
      : await createAppApiToken(ctx, client.client, credential);
  return {
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    ext_expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    access_token: accessToken,
  };
}

async function passwordGrant(form: URLSearchParams, ctx: TenantContext, client: RegisteredClient) {
  const username = form.get('username');
  if (!username) return { fail: missing('username') };
  const password = form.get('password');
  if (password === null) return { fail: missing('password') };
  const user = findUserBySignInName(ctx.directory, username);
  const err = credentialError(user, password, ctx.directory, ctx.stats);
  if (err || !user) return { fail: err ?? entraError('invalid_grant', 50126, 'Error validating credentials due to invalid username or password.') };
  // ROPC has no page to ask for a second factor on, so it can never satisfy a context (as in
  // Entra, which answers AADSTS50076 once the password is known to be right).
  const claims = parseClaimsRequest(form.get('claims'), ctx.directory);
  if (!claims.ok) return { fail: claims.error };
  if (claims.authContexts.length > 0) {
    const scopes = resolveUserScopes(form.get('scope') ?? '', ctx.directory);
    return { fail: mfaRequiredError(ctx.directory, scopes.ok ? scopes.resource : null) };
  }
  return userTokenResponse(ctx, {
    user,
    clientId: client.clientId,
    scope: form.get('scope') ?? '',
    nonce: null,
    authTime: Math.floor(Date.now() / 1000),
    sessionId: randomBytes(16).toString('hex'),
    spa: false,
    refreshExpiresAt: null,
    authContexts: [],
  });
}

/** Handles POST on the token endpoint (CORS and OPTIONS are dealt with by the router). */
export async function handleToken(req: IncomingMessage, res: ServerResponse, ctx: TenantContext, url: URL): Promise<void> {
  if (req.method !== 'POST') {
    sendEntraError(req, res, entraError('invalid_request', 900561, `The endpoint only accepts POST, OPTIONS requests. Received a ${req.method ?? ''} request.`), ctx.baseUrl, url.searchParams);
    return;
  }
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (!contentType.startsWith('application/x-www-form-urlencoded')) {
    sendEntraError(req, res, entraError('invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'."), ctx.baseUrl, url.searchParams);
    return;
  }
  const form = await readForm(req);
  const grantType = form.get('grant_type');
  if (!grantType) {
    sendEntraError(req, res, missing('grant_type'), ctx.baseUrl, url.searchParams);
    return;
  }
  const supported = ['authorization_code', 'refresh_token', 'client_credentials', 'password'];
  if (!supported.includes(grantType)) {
    sendEntraError(req, res, entraError('unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`), ctx.baseUrl, url.searchParams);
    return;
  }
  const client = await authenticateClient(req, form, ctx);
  if ('fail' in client) {
    sendEntraError(req, res, client.fail, ctx.baseUrl, url.searchParams);
    return;
  }
  let result: Record<string, unknown> | Fail;
  switch (grantType) {
    case 'authorization_code':
      result = await authorizationCodeGrant(req, form, ctx, client);
      break;
    case 'refresh_token':
      result = await refreshTokenGrant(req, form, ctx, client);
      break;
    case 'client_credentials':
      result = await clientCredentialsGrant(form, ctx, client);
      break;
    default:
      result = await passwordGrant(form, ctx, client);
  }
  if ('fail' in result && result.fail !== undefined && typeof result.fail === 'object') {
    sendEntraError(req, res, result.fail as EntraError, ctx.baseUrl, url.searchParams);
    return;
  }
  sendJson(res, 200, result, { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' });
}
