/**
 * `/{tenant}/oauth2/v2.0/authorize`: the authorization endpoint with a username + password form.
 *
 * Validation order follows OAuth 2.0 (RFC 6749, section 4.1.2.1): a bad or unregistered client or
 * redirect URI is shown on an error page (never redirected to), anything else is sent back to
 * the client's redirect URI as `error=…` in the requested response mode. The form's hidden
 * fields are re-validated on POST; nothing in them is trusted.
 *
 * Sessions: a successful sign-in sets a session cookie (the stand-in for ESTSAUTH). Without
 * `prompt`, a live session whose user matches `login_hint` (if any) signs in without the form;
 * `prompt=login|select_account|consent` always shows it; `prompt=none` never does
 * (`login_required` when there is no usable session).
 *
 * Step-up: a `claims` request naming an authentication context (see `./step-up.ts`) that needs a
 * second factor shows the code page after the password, or on its own when the session's user
 * has not passed a second factor yet. The code page's single-use token binds it to the user and
 * the session; wrong codes are bounded, then the flow ends with `access_denied`. `prompt=none`
 * cannot show it (`interaction_required`), and a user without an authenticator app is told so
 * and sent back with `interaction_required`. A context asked for "every time" is shown the code
 * page (or, without `requireMfa`, the password form) on every request that names it, whatever
 * the session already proved.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { findUserBySignInName } from '../directory';
import { parseCookies, readForm, redirect, sendHtml } from '../http-util';
import { signInWithTap } from '../tap-passes';
import type { Directory, DirectoryUser, RequestStats, TenantContext } from '../types';
import { clientNotFound, findClient, redirectUriMatches } from './clients';
import { correlationIdOf, entraError, entraErrorBody, type EntraError } from './errors';
import { errorPage, formPostPage, noSecondFactorPage, SECOND_FACTOR_TEXT, secondFactorPage, signInPage } from './pages';
import { resolveUserScopes } from './scopes';
import { sweepExpired, type ProvenAuthContext } from './state';
import { acceptSecondFactor, MAX_SECOND_FACTOR_FAILURES, mfaRequiredError, parseClaimsRequest, proveWithSession, type JustProved } from './step-up';
import { nowSeconds } from './tokens';

/** Codes live 10 minutes (Entra: "about 10 minutes"). */
const CODE_LIFETIME_MS = 10 * 60 * 1000;
const SESSION_LIFETIME_MS = 24 * 60 * 60 * 1000;
const FLOW_TOKEN_LIFETIME_MS = 30 * 60 * 1000;
/** Form fields that are ours, not authorize parameters. */
const FORM_FIELDS = new Set(['loginfmt', 'passwd', 'flowToken', 'otc', 'stepUpToken', 'stepUpCancel']);
/** A live session signing in without a form: it may prove only what it proved before. */
const NOTHING_JUST_PROVED: JustProved = { password: false, secondFactor: false };
const EXPIRED_FORM = 'Your sign-in session has expired or the page was reloaded. Please sign in again.';

type ResponseMode = 'query' | 'fragment' | 'form_post';

interface ValidatedRequest {
  clientId: string;
  redirectUri: string;
  responseMode: ResponseMode;
  state: string | null;
  scope: string;
  nonce: string | null;
  codeChallenge: string;
  prompt: string | null;
  loginHint: string | null;
  maxAge: number | null;
  /** Authentication contexts the `claims` parameter names (all defined in the directory). */
  authContexts: string[];
  /** The appId of the resource the scopes name (for Entra's AADSTS50076 message). */
  resourceAppId: string;
  /** The redirect URI is a SPA one: the code must be redeemed cross-origin. */
  spa: boolean;
  params: URLSearchParams;
}

/** Cookie names are per port: browsers share cookies across ports of one host. */
export function sessionCookieName(ctx: TenantContext): string {
  const port = new URL(ctx.baseUrl).port || '443';
  return `tb_tenant_session_${port}`;
}

/** Flow tokens bind a form POST to a form this tenant rendered (login CSRF protection). */
const flowTokens = new WeakMap<TenantContext, Map<string, number>>();
function newFlowToken(ctx: TenantContext): string {
  let m = flowTokens.get(ctx);
  if (!m) {
    m = new Map();
    flowTokens.set(ctx, m);
  }
  const now = Date.now();
  for (const [k, exp] of m) if (exp <= now) m.delete(k);
  const t = randomBytes(24).toString('base64url');
  m.set(t, now + FLOW_TOKEN_LIFETIME_MS);
  return t;
}
function consumeFlowToken(ctx: TenantContext, token: string | null): boolean {
  const m = flowTokens.get(ctx);
  if (!m || token === null) return false;
  const exp = m.get(token);
  m.delete(token);
  return exp !== undefined && exp > Date.now();
}

function showError(res: ServerResponse, status: number, e: EntraError): void {
  sendHtml(res, status, errorPage('Sign in', `AADSTS${e.code}: ${e.message}`), { 'X-Frame-Options': 'DENY' });
}

function sendAuthorizationResponse(
  res: ServerResponse,
  redirectUri: string,
  mode: ResponseMode,
  fields: [string, string][],
  headers: Record<string, string> = {},
): void {
  if (mode === 'form_post') {
    const nonce = randomBytes(16).toString('base64');
    sendHtml(res, 200, formPostPage(redirectUri, fields, nonce), {
      ...headers,
      'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; base-uri 'none'`,
    });
    return;
  }
  const encoded = new URLSearchParams(fields).toString();
  const location =
    mode === 'fragment' ? `${redirectUri}#${encoded}` : `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${encoded}`;
  redirect(res, location, headers);
}

function sendErrorResponse(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: TenantContext,
  target: { redirectUri: string; responseMode: ResponseMode; state: string | null; params: URLSearchParams },
  e: EntraError,
): void {
  const body = entraErrorBody(e, ctx.baseUrl, correlationIdOf(req, target.params));
  const fields: [string, string][] = [
    ['error', e.error],
    ['error_description', body.error_description],
    ['error_uri', body.error_uri],
  ];
  if (target.state !== null) fields.push(['state', target.state]);
  sendAuthorizationResponse(res, target.redirectUri, target.responseMode, fields);
}

type Validation = { ok: true; request: ValidatedRequest } | { ok: false; handled: true };

function validate(req: IncomingMessage, res: ServerResponse, ctx: TenantContext, params: URLSearchParams): Validation {
  const dir = ctx.directory;
  const clientId = params.get('client_id');
  if (!clientId) {
    showError(res, 400, entraError('invalid_request', 900144, "The request body must contain the following parameter: 'client_id'."));
    return { ok: false, handled: true };
  }
  const client = findClient(dir, clientId);
  if (!client) {
    showError(
      res,
      400,
      clientNotFound(clientId, dir.tenantId),
    );
    return { ok: false, handled: true };
  }
  const redirectUri = params.get('redirect_uri');
  const spa = redirectUri !== null && redirectUriMatches(client.spaRedirectUris, redirectUri);
  if (!redirectUri || !(spa || redirectUriMatches(client.otherRedirectUris, redirectUri))) {
    showError(
      res,
      400,
      entraError(
        'invalid_request',
        50011,
        `The redirect URI '${redirectUri ?? ''}' specified in the request does not match the redirect URIs configured for the application '${client.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
      ),
    );
    return { ok: false, handled: true };
  }
  const state = params.get('state');
  const modeRaw = params.get('response_mode');
  const responseMode: ResponseMode =
    modeRaw === 'fragment' || modeRaw === 'form_post' || modeRaw === 'query' ? modeRaw : 'query';
  const target = { redirectUri, responseMode, state, params };
  if (modeRaw !== null && modeRaw !== responseMode) {
    sendErrorResponse(req, res, ctx, target, entraError('invalid_request', 900144, `The provided value for the input parameter 'response_mode' is not valid. The value must be one of query, fragment, form_post.`));
    return { ok: false, handled: true };
  }
  const responseType = params.get('response_type');
  if (responseType !== 'code') {
    sendErrorResponse(
      req,
      res,
      ctx,
      target,
      entraError('unsupported_response_type', 700054, `response_type '${responseType ?? ''}' is not enabled for the application. The local tenant supports only the authorization code flow with PKCE.`),
    );
    return { ok: false, handled: true };
  }
  const scope = params.get('scope');
  const scopes = resolveUserScopes(scope, dir, { clientId: client.clientId, clientName: client.displayName, userId: null });
  if (!scopes.ok) {
    sendErrorResponse(req, res, ctx, target, scopes.error);
    return { ok: false, handled: true };
  }
  const codeChallenge = params.get('code_challenge');
  const method = params.get('code_challenge_method');
  if (!codeChallenge || !/^[A-Za-z0-9_-]{43}$/.test(codeChallenge) || method !== 'S256') {
    // Entra also accepts `plain`; the local tenant, like the SPA rules it emulates, insists on S256.
    sendErrorResponse(
      req,
      res,
      ctx,
      target,
      entraError('invalid_request', 9002325, 'Proof Key for Code Exchange is required for cross-origin authorization code redemption. Send code_challenge (43 base64url characters) with code_challenge_method=S256.'),
    );
    return { ok: false, handled: true };
  }
  const claims = parseClaimsRequest(params.get('claims'), dir);
  if (!claims.ok) {
    sendErrorResponse(req, res, ctx, target, claims.error);
    return { ok: false, handled: true };
  }
  const maxAgeRaw = params.get('max_age');
  const maxAge = maxAgeRaw !== null && /^\d+$/.test(maxAgeRaw) ? Number(maxAgeRaw) : null;
  return {
    ok: true,
    request: {
      clientId: client.clientId,
      redirectUri,
      responseMode,
      state,
      scope: scope ?? '',
      nonce: params.get('nonce'),
      codeChallenge,
      prompt: params.get('prompt'),
      loginHint: params.get('login_hint'),
      maxAge,
      authContexts: claims.authContexts,
      resourceAppId: scopes.resource.appId,
      spa,
      params,
    },
  };
}

function clientInfo(userId: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: userId, utid: tenantId })).toString('base64url');
}

function completeSignIn(
  res: ServerResponse,
  ctx: TenantContext,
  request: ValidatedRequest,
  user: DirectoryUser,
  session: { id: string; authTime: number },
  setCookie: string | null,
  authContexts: ProvenAuthContext[],
): void {
  sweepExpired(ctx.oidc);
  const code = randomBytes(48).toString('base64url');
  ctx.oidc.codes.set(code, {
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    userId: user.id,
    scope: request.scope,
    codeChallenge: request.codeChallenge,
    nonce: request.nonce,
    authTime: session.authTime,
    sessionId: session.id,
    authContexts,
    expiresAt: Date.now() + CODE_LIFETIME_MS,
    spa: request.spa,
    redeemed: false,
  });
  const fields: [string, string][] = [
    ['code', code],
    ['client_info', clientInfo(user.id, ctx.directory.tenantId)],
  ];
  if (request.state !== null) fields.push(['state', request.state]);
  fields.push(['session_state', session.id]);
  sendAuthorizationResponse(res, request.redirectUri, request.responseMode, fields, setCookie ? { 'Set-Cookie': setCookie } : {});
}

function hintMatches(user: DirectoryUser, hint: string | null): boolean {
  if (hint === null || hint.trim() === '') return true;
  const h = hint.trim().toLowerCase();
  return user.userPrincipalName.toLowerCase() === h || (user.mail !== null && user.mail.toLowerCase() === h);
}

interface LiveSession {
  id: string;
  user: DirectoryUser;
  authTime: number;
  mfaTime: number | null;
}

function liveSession(req: IncomingMessage, ctx: TenantContext): LiveSession | null {
  const id = parseCookies(req).get(sessionCookieName(ctx));
  if (!id) return null;
  const s = ctx.oidc.sessions.get(id);
  if (!s || s.expiresAt <= Date.now()) return null;
  const user = ctx.directory.users.get(s.userId);
  if (!user || !user.accountEnabled) return null;
  return { id, user, authTime: s.authTime, mfaTime: s.mfaTime };
}

function renderForm(
  res: ServerResponse,
  ctx: TenantContext,
  action: string,
  params: URLSearchParams,
  username: string,
  error: string | null,
  headers: Record<string, string> = {},
): void {
  const hidden: [string, string][] = [];
  for (const [k, v] of params) if (!FORM_FIELDS.has(k)) hidden.push([k, v]);
  hidden.push(['flowToken', newFlowToken(ctx)]);
  sendHtml(
    res,
    200,
    signInPage({ action, hidden, username, error, tenantLabel: ctx.directory.tenantId, appLabel: 'TAP Broker' }),
    // Entra's sign-in page refuses to be framed; so does this one (clickjacking of the password form).
    { ...headers, 'X-Frame-Options': 'DENY' },
  );
}

/**
 * Shows the second-factor page (or, for a user without an authenticator app, the page saying so)
 * under a fresh single-use token that names the user, the session and the failures so far.
 */
function renderSecondFactor(
  res: ServerResponse,
  ctx: TenantContext,
  action: string,
  request: ValidatedRequest,
  pending: { user: DirectoryUser; sessionId: string; failures: number; passwordJustEntered: boolean },
  error: string | null,
  setCookie: string | null,
): void {
  sweepExpired(ctx.oidc);
  const token = randomBytes(24).toString('base64url');
  ctx.oidc.pendingSecondFactors.set(token, {
    userId: pending.user.id,
    sessionId: pending.sessionId,
    failures: pending.failures,
    passwordJustEntered: pending.passwordJustEntered,
    expiresAt: Date.now() + FLOW_TOKEN_LIFETIME_MS,
  });
  const hidden: [string, string][] = [];
  for (const [k, v] of request.params) if (!FORM_FIELDS.has(k)) hidden.push([k, v]);
  hidden.push(['stepUpToken', token]);
  const page = { action, hidden, userPrincipalName: pending.user.userPrincipalName, tenantLabel: ctx.directory.tenantId };
  const html = pending.user.totpSecret === null ? noSecondFactorPage(page) : secondFactorPage({ ...page, error });
  sendHtml(res, 200, html, { ...(setCookie ? { 'Set-Cookie': setCookie } : {}), 'X-Frame-Options': 'DENY' });
}

/**
 * Ends a sign-in whose user is known (a session exists): issues the code when the session proves
 * every context the request names, otherwise asks for what is missing. `justProved` is what this
 * authorize flow itself did (after the password POST, after the code POST, or nothing on a GET
 * with a live session); only that proves a context asked for "every time".
 */
function finishSignIn(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: TenantContext,
  action: string,
  request: ValidatedRequest,
  session: LiveSession,
  setCookie: string | null,
  justProved: JustProved,
): void {
  const proofs = proveWithSession(ctx.directory, request.authContexts, session, nowSeconds(), justProved);
  if (proofs.needSecondFactor.length === 0 && proofs.needFreshSignIn.length === 0) {
    completeSignIn(res, ctx, request, session.user, session, setCookie, proofs.proven);
    return;
  }
  if (request.prompt === 'none') {
    sendErrorResponse(req, res, ctx, request, mfaRequiredError(request.resourceAppId));
    return;
  }
  if (proofs.needFreshSignIn.length > 0) {
    renderForm(res, ctx, action, request.params, session.user.userPrincipalName, null, setCookie ? { 'Set-Cookie': setCookie } : {});
    return;
  }
  renderSecondFactor(
    res,
    ctx,
    action,
    request,
    { user: session.user, sessionId: session.id, failures: 0, passwordJustEntered: justProved.password },
    null,
    setCookie,
  );
}

/** Handles a POST of the second-factor page (a code, or the way back for a user without one). */
function handleSecondFactorPost(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: TenantContext,
  action: string,
  request: ValidatedRequest,
  form: URLSearchParams,
): void {
  const token = form.get('stepUpToken');
  const pending = token === null ? undefined : ctx.oidc.pendingSecondFactors.get(token);
  if (token !== null) ctx.oidc.pendingSecondFactors.delete(token);
  const session = liveSession(req, ctx);
  // The page must come from this tenant, for this browser's session and user (no login CSRF,
  // no finishing someone else's step-up); otherwise start over.
  if (!pending || pending.expiresAt <= Date.now() || !session || session.id !== pending.sessionId || session.user.id !== pending.userId) {
    renderForm(res, ctx, action, request.params, session?.user.userPrincipalName ?? request.loginHint ?? '', EXPIRED_FORM);
    return;
  }
  if (form.has('stepUpCancel') || session.user.totpSecret === null) {
    sendErrorResponse(req, res, ctx, request, mfaRequiredError(request.resourceAppId));
    return;
  }
  if (!acceptSecondFactor(ctx.oidc, session.user, form.get('otc') ?? '')) {
    const failures = pending.failures + 1;
    if (failures >= MAX_SECOND_FACTOR_FAILURES) {
      sendErrorResponse(req, res, ctx, request, entraError('access_denied', 500121, 'Authentication failed during strong authentication request.'));
      return;
    }
    renderSecondFactor(
      res,
      ctx,
      action,
      request,
      { user: session.user, sessionId: session.id, failures, passwordJustEntered: pending.passwordJustEntered },
      SECOND_FACTOR_TEXT.wrongCode,
      null,
    );
    return;
  }
  const stored = ctx.oidc.sessions.get(session.id);
  const mfaTime = nowSeconds();
  if (stored) stored.mfaTime = mfaTime;
  finishSignIn(req, res, ctx, action, request, { ...session, mfaTime }, null, { password: pending.passwordJustEntered, secondFactor: true });
}

/**
 * Checks a sign-in's credentials: the user's password, or a usable Temporary Access Pass in its
 * place (as Entra's sign-in accepts a TAP). A one-time pass is used up by a successful sign-in.
 */
function credentialError(user: DirectoryUser | undefined, password: string, dir: Directory, stats?: RequestStats): EntraError | null {
  if (!user) {
    return entraError(
      'invalid_grant',
      50034,
      `The user account {EUII Hidden} does not exist in the ${dir.tenantId} directory. To sign into this application, the account must be added to the directory.`,
    );
  }
  // A seeded user without a password can never pass with one; same message as a wrong password.
  if (user.password === '' || password !== user.password) {
    const tap = signInWithTap(dir, user, password, { consume: user.accountEnabled });
    if (tap.kind === 'no-match') return entraError('invalid_grant', 50126, 'Error validating credentials due to invalid username or password.');
    if (tap.kind === 'refused') return entraError('invalid_grant', tap.code, tap.message);
    if (user.accountEnabled && stats !== undefined) stats.events['signIn.tap'] = (stats.events['signIn.tap'] ?? 0) + 1;
  }
  if (!user.accountEnabled) return entraError('invalid_grant', 50057, 'The user account is disabled.');
  return null;
}

export { credentialError };

/** Handles GET (show the form or sign in silently) and POST (credentials) on the authorize endpoint. */
export async function handleAuthorize(req: IncomingMessage, res: ServerResponse, ctx: TenantContext, url: URL): Promise<void> {
  const action = `${ctx.baseUrl}${url.pathname}`;
  if (req.method === 'POST') {
    const form = await readForm(req);
    const isCredentialPost = form.has('loginfmt') || form.has('passwd');
    const params = new URLSearchParams();
    for (const [k, v] of form) if (!FORM_FIELDS.has(k)) params.append(k, v);
    const v = validate(req, res, ctx, params);
    if (!v.ok) return;
    if (form.has('stepUpToken')) return handleSecondFactorPost(req, res, ctx, action, v.request, form);
    if (!isCredentialPost) return showFormOrSignIn(req, res, ctx, v.request, action);
    const username = (form.get('loginfmt') ?? '').trim();
    if (!consumeFlowToken(ctx, form.get('flowToken'))) {
      renderForm(res, ctx, action, params, username, EXPIRED_FORM);
      return;
    }
    if (username === '') {
      renderForm(res, ctx, action, params, username, 'Enter a valid email address, phone number, or Skype name.');
      return;
    }
    const user = findUserBySignInName(ctx.directory, username);
    const err = credentialError(user, form.get('passwd') ?? '', ctx.directory, ctx.stats);
    if (err || !user) {
      renderForm(res, ctx, action, params, username, `AADSTS${err?.code ?? 50126}: ${err?.message ?? ''}`);
      return;
    }
    // A new sign-in starts a new session: a second factor passed in an earlier one does not carry over.
    const sessionId = randomUUID();
    const authTime = nowSeconds();
    ctx.oidc.sessions.set(sessionId, { userId: user.id, authTime, mfaTime: null, expiresAt: Date.now() + SESSION_LIFETIME_MS });
    const cookie = `${sessionCookieName(ctx)}=${sessionId}; Path=/; HttpOnly; Secure; SameSite=None; Max-Age=${SESSION_LIFETIME_MS / 1000}`;
    finishSignIn(req, res, ctx, action, v.request, { id: sessionId, user, authTime, mfaTime: null }, cookie, { password: true, secondFactor: false });
    return;
  }
  if (req.method !== 'GET') {
    showError(res, 405, entraError('invalid_request', 900561, `The endpoint only accepts GET, POST requests. Received a ${req.method ?? ''} request.`));
    return;
  }
  const v = validate(req, res, ctx, url.searchParams);
  if (!v.ok) return;
  showFormOrSignIn(req, res, ctx, v.request, action);
}

function showFormOrSignIn(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: TenantContext,
  request: ValidatedRequest,
  action: string,
): void {
  const prompt = request.prompt;
  const session = liveSession(req, ctx);
  const fresh =
    session !== null && (request.maxAge === null || nowSeconds() - session.authTime <= request.maxAge);
  const usable = session !== null && fresh && hintMatches(session.user, request.loginHint);
  if (prompt === 'none') {
    if (session && usable) {
      finishSignIn(req, res, ctx, action, request, session, null, NOTHING_JUST_PROVED);
      return;
    }
    sendErrorResponse(
      req,
      res,
      ctx,
      request,
      entraError('login_required', 50058, 'A silent sign-in request was sent but no user is signed in. The cookies used to represent the user\'s session were not sent in the request to Azure AD.'),
    );
    return;
  }
  const forceForm = prompt === 'login' || prompt === 'select_account' || prompt === 'consent' || prompt === 'create';
  if (!forceForm && session && usable) {
    finishSignIn(req, res, ctx, action, request, session, null, NOTHING_JUST_PROVED);
    return;
  }
  renderForm(res, ctx, action, request.params, request.loginHint ?? '', null);
}
