/**
 * `/{tenant}/oauth2/v2.0/token`: grants `authorization_code` (PKCE S256), `refresh_token`,
 * `client_credentials` (client secret or certificate), `password` (ROPC) and
 * `urn:ietf:params:oauth:grant-type:device_code`, answered and refused the way Entra does
 * (docs/graph-behaviours.md#sign-in-endpoints). Clients and their credentials come from the app
 * registry (see `./clients.ts`).
 *
 * Security notes:
 * - codes are single-use: the first redemption attempt by the right client consumes the code,
 *   so a leaked code cannot be brute-forced against PKCE;
 * - codes issued to the SPA redirect URI must be redeemed cross-origin (with `Origin`), like
 *   Entra's SPA client type, and their refresh tokens are capped at 24 h;
 * - refresh tokens are opaque and rotate (each use returns a new one). As in Entra, the old one
 *   stays valid until it expires;
 * - secrets are compared in constant time (as SHA-256, all the registry keeps) and never echoed;
 *   certificate assertions are verified against the client's key credentials, and a certificate
 *   past its `endDateTime` is refused as Entra refuses an expired key.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { findUserBySignInName } from '../directory';
import { readForm, sendJson } from '../http-util';
import { checkClientSecret } from '../app-registry';
import type { AppRegistration, TenantContext } from '../types';
import { credentialError } from './authorize';
import { clientNotFound, findClient, type RegisteredClient } from './clients';
import { DEVICE_CODE_GRANT, deviceCodeGrant } from './device-code';
import { entraError, sendEntraError, type EntraError } from './errors';
import { resolveAppScope, resolveUserScopes } from './scopes';
import { freshProofs, mfaRequiredError, parseClaimsRequest } from './step-up';
import { ACCESS_TOKEN_LIFETIME_SECONDS, createAppAccessToken } from './tokens';
import { missing, userStillAllowed, userTokenResponse, type AuthenticatedClient, type Fail } from './user-grant';

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

/** Entra shows key dates as `MM/DD/YYYY HH:MM:SS` (UTC). */
function entraDate(iso: string): string {
  const d = new Date(iso);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/**
 * Verifies a `private_key_jwt` client assertion as msal-node builds it for a certificate
 * credential: RS256 + `x5t` (SHA-1 thumbprint) or PS256 + `x5t#S256`, `iss` = `sub` = client id,
 * `aud` = the token endpoint, short-lived. The key must be one of the application's key
 * credentials, within its `startDateTime`–`endDateTime`.
 */
async function verifyClientAssertion(app: AppRegistration, assertion: string, assertionType: string | null, ctx: TenantContext): Promise<true | Fail> {
  if (assertionType !== JWT_BEARER) {
    return { fail: entraError('invalid_request', 700021, `Client assertion type is invalid. Expected '${JWT_BEARER}'.`) };
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    return invalidAssertion('The client assertion is not a well-formed JWT.');
  }
  const keys = app.keyCredentials.map((k) => ({ key: k, cert: new X509Certificate(k.certificatePem) }));
  const found = keys.find(
    ({ cert }) =>
      (typeof header.x5t === 'string' && createHash('sha1').update(cert.raw).digest('base64url') === header.x5t) ||
      (typeof header['x5t#S256'] === 'string' && createHash('sha256').update(cert.raw).digest('base64url') === header['x5t#S256']),
  );
  const presented = String(header.x5t ?? header['x5t#S256'] ?? '');
  if (!found) return invalidAssertion(`The key was not found. Thumbprint of key used by client: '${presented}'.`);
  const now = Date.now();
  if (Date.parse(found.key.endDateTime) <= now || Date.parse(found.key.startDateTime) > now) {
    const thumbprint = createHash('sha1').update(found.cert.raw).digest('hex').toUpperCase();
    return invalidAssertion(
      `The key used is expired., Thumbprint of key used by client: '${thumbprint}', Found key 'Start=${entraDate(found.key.startDateTime)}, End=${entraDate(found.key.endDateTime)}'`,
    );
  }
  const tokenEndpoint = `${ctx.baseUrl}/${ctx.directory.tenantId}/oauth2/v2.0/token`;
  try {
    await jwtVerify(assertion, found.cert.publicKey, {
      algorithms: ['RS256', 'PS256'],
      issuer: app.appId,
      subject: app.appId,
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
async function authenticateClient(req: IncomingMessage, form: URLSearchParams, ctx: TenantContext): Promise<AuthenticatedClient | Fail> {
  const basic = basicCredentials(req);
  const clientId = form.get('client_id') ?? basic?.id ?? null;
  if (!clientId) return { fail: missing('client_id') };
  const client = findClient(ctx.directory, clientId);
  if (!client) {
    return {
      fail: clientNotFound(clientId, ctx.directory.tenantId),
    };
  }
  const secret = form.get('client_secret') ?? basic?.secret ?? null;
  const assertion = form.get('client_assertion');
  if (secret === null && assertion === null) {
    if (client.publicClient) return { client, credential: 'none' };
    return { fail: entraError('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", 401) };
  }
  if (!client.confidential || client.application === null) {
    return { fail: entraError('invalid_client', 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.", 401) };
  }
  if (assertion !== null) {
    const ok = await verifyClientAssertion(client.application, assertion, form.get('client_assertion_type'), ctx);
    return ok === true ? { client, credential: 'certificate' } : ok;
  }
  const checked = checkClientSecret(client.application, secret ?? '', Date.now());
  if (checked === 'expired') {
    return {
      fail: entraError(
        'invalid_client',
        7000222,
        `The provided client secret keys for app '${client.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
        401,
      ),
    };
  }
  if (checked === 'no-match') {
    return {
      fail: entraError(
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
        401,
      ),
    };
  }
  return { client, credential: 'secret' };
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
    clientName: client.displayName,
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
    const scopes = resolveUserScopes(form.get('scope') ?? record.scope, ctx.directory, { clientId: client.clientId, clientName: client.displayName, userId: user.id });
    return { fail: mfaRequiredError(scopes.ok ? scopes.resource.appId : null) };
  }
  return userTokenResponse(ctx, {
    user,
    clientId: record.clientId,
    clientName: client.displayName,
    scope: form.get('scope') ?? record.scope,
    nonce: null,
    authTime: record.authTime,
    sessionId: record.sessionId,
    spa: record.spa,
    refreshExpiresAt: record.spa ? record.expiresAt : null,
    authContexts: proofs,
  });
}

async function clientCredentialsGrant(form: URLSearchParams, ctx: TenantContext, auth: AuthenticatedClient) {
  const { client } = auth;
  if (auth.credential === 'none') {
    return { fail: entraError('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", 401) };
  }
  if (client.servicePrincipalId === null) {
    return {
      fail: entraError(
        'invalid_client',
        7000229,
        `The client application ${client.clientId} is missing service principal in the tenant ${ctx.directory.tenantId}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`,
        401,
      ),
    };
  }
  const scope = resolveAppScope(form.get('scope'), ctx.directory, ctx.baseUrl);
  if (!scope.ok) return { fail: scope.error };
  const accessToken = await createAppAccessToken(
    ctx,
    { clientId: client.clientId, displayName: client.displayName, servicePrincipalId: client.servicePrincipalId },
    scope.resource,
    auth.credential,
  );
  return {
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    ext_expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    access_token: accessToken,
  };
}

async function passwordGrant(form: URLSearchParams, ctx: TenantContext, auth: AuthenticatedClient) {
  const { client } = auth;
  // ROPC without a credential needs public client flows on the registration (first-party public clients have them).
  if (auth.credential === 'none' && client.application !== null && !client.application.isFallbackPublicClient) {
    return { fail: entraError('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", 401) };
  }
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
    const scopes = resolveUserScopes(form.get('scope') ?? '', ctx.directory, { clientId: client.clientId, clientName: client.displayName, userId: user.id });
    return { fail: mfaRequiredError(scopes.ok ? scopes.resource.appId : null) };
  }
  return userTokenResponse(ctx, {
    user,
    clientId: client.clientId,
    clientName: client.displayName,
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
  const supported = ['authorization_code', 'refresh_token', 'client_credentials', 'password', DEVICE_CODE_GRANT];
  if (!supported.includes(grantType)) {
    sendEntraError(req, res, entraError('unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`), ctx.baseUrl, url.searchParams);
    return;
  }
  const auth = await authenticateClient(req, form, ctx);
  if ('fail' in auth) {
    sendEntraError(req, res, auth.fail, ctx.baseUrl, url.searchParams);
    return;
  }
  let result: Record<string, unknown> | Fail;
  switch (grantType) {
    case 'authorization_code':
      result = await authorizationCodeGrant(req, form, ctx, auth.client);
      break;
    case 'refresh_token':
      result = await refreshTokenGrant(req, form, ctx, auth.client);
      break;
    case 'client_credentials':
      result = await clientCredentialsGrant(form, ctx, auth);
      break;
    case DEVICE_CODE_GRANT:
      result = await deviceCodeGrant(form, ctx, auth);
      break;
    default:
      result = await passwordGrant(form, ctx, auth);
  }
  if ('fail' in result && result.fail !== undefined && typeof result.fail === 'object') {
    sendEntraError(req, res, result.fail as EntraError, ctx.baseUrl, url.searchParams);
    return;
  }
  sendJson(res, 200, result, { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' });
}
