/**
 * The device code flow (RFC 8628) as Entra serves it, for public clients (the Graph command-line
 * tools that `setup:entra` signs in with, or any registration with public client flows):
 *
 *   POST /{tid}/oauth2/v2.0/devicecode      client_id, scope → device_code, user_code, verification_uri, …
 *   GET|POST /{tid}/devicelogin             the verification page: code → confirm → username + password
 *   POST /{tid}/oauth2/v2.0/token           grant_type=urn:ietf:params:oauth:grant-type:device_code
 *
 * Polling answers `authorization_pending` until the user signs in, `slow_down` to a client that
 * polls before its interval has passed, `authorization_declined` once the user cancelled, and
 * `expired_token` after `expires_in`; an approved code is redeemed once. The sign-in reuses the
 * authorize endpoint's credential check (passwords and Temporary Access Passes alike).
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { findUserBySignInName } from '../directory';
import { readForm, sendHtml, sendJson } from '../http-util';
import type { TenantContext } from '../types';
import { credentialError } from './authorize';
import { clientNotFound, findClient, type RegisteredClient } from './clients';
import { entraError, sendEntraError } from './errors';
import { deviceCodeConfirmPage, deviceCodeDonePage, deviceCodeEntryPage, DEVICE_CODE_TEXT, signInPage } from './pages';
import { resolveUserScopes } from './scopes';
import { sweepExpired, type DeviceAuthorization } from './state';
import { missing, userStillAllowed, userTokenResponse, type AuthenticatedClient, type Fail } from './user-grant';
import { nowSeconds } from './tokens';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Entra's device codes live 15 minutes, polled every 5 seconds. */
export const DEVICE_CODE_LIFETIME_SECONDS = 900;
export const DEVICE_CODE_INTERVAL_SECONDS = 5;

/** Letters and digits that cannot be mistaken for one another when read off a screen. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ23456789';
const USER_CODE_LENGTH = 9;

function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

function normalizeUserCode(typed: string): string {
  return typed.replace(/[\s-]/g, '').toUpperCase();
}

/** The verification page's URL (`verification_uri`). */
export function deviceLoginUrl(ctx: TenantContext): string {
  return `${ctx.baseUrl}/${ctx.directory.tenantId}/devicelogin`;
}

/** Whether `client` may use the device code flow: public client flows, without a credential. */
function allowsDeviceCode(client: RegisteredClient): boolean {
  return client.application === null || client.application.isFallbackPublicClient;
}

/** `POST /{tid}/oauth2/v2.0/devicecode`: starts a device authorization. */
export async function handleDeviceCode(req: IncomingMessage, res: ServerResponse, ctx: TenantContext, url: URL): Promise<void> {
  if (req.method !== 'POST') {
    sendEntraError(req, res, entraError('invalid_request', 900561, `The endpoint only accepts POST, OPTIONS requests. Received a ${req.method ?? ''} request.`), ctx.baseUrl, url.searchParams);
    return;
  }
  const form = await readForm(req);
  const clientId = form.get('client_id');
  if (!clientId) return sendEntraError(req, res, missing('client_id'), ctx.baseUrl, url.searchParams);
  const client = findClient(ctx.directory, clientId);
  if (!client) {
    return sendEntraError(
      req,
      res,
      clientNotFound(clientId, ctx.directory.tenantId),
      ctx.baseUrl,
      url.searchParams,
    );
  }
  if (!allowsDeviceCode(client)) {
    return sendEntraError(
      req,
      res,
      entraError('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", 401),
      ctx.baseUrl,
      url.searchParams,
    );
  }
  const scope = form.get('scope') ?? '';
  const scopes = resolveUserScopes(scope, ctx.directory, { clientId: client.clientId, clientName: client.displayName, userId: null });
  if (!scopes.ok) return sendEntraError(req, res, scopes.error, ctx.baseUrl, url.searchParams);
  sweepExpired(ctx.oidc);
  const deviceCode = randomBytes(48).toString('base64url');
  const userCode = newUserCode();
  ctx.oidc.deviceAuthorizations.set(deviceCode, {
    clientId: client.clientId,
    scope,
    userCode,
    expiresAt: Date.now() + DEVICE_CODE_LIFETIME_SECONDS * 1000,
    interval: DEVICE_CODE_INTERVAL_SECONDS,
    lastPollAt: null,
    status: 'pending',
    userId: null,
    authTime: null,
    sessionId: null,
  });
  const verificationUri = deviceLoginUrl(ctx);
  sendJson(
    res,
    200,
    {
      user_code: userCode,
      device_code: deviceCode,
      verification_uri: verificationUri,
      expires_in: DEVICE_CODE_LIFETIME_SECONDS,
      interval: DEVICE_CODE_INTERVAL_SECONDS,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
    },
    { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' },
  );
}

/** The token grant that redeems a device code (the device polls it). */
export async function deviceCodeGrant(form: URLSearchParams, ctx: TenantContext, auth: AuthenticatedClient): Promise<Record<string, unknown> | Fail> {
  const deviceCode = form.get('device_code');
  if (!deviceCode) return { fail: missing('device_code') };
  const record = ctx.oidc.deviceAuthorizations.get(deviceCode);
  if (!record || record.clientId !== auth.client.clientId) {
    return { fail: entraError('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.') };
  }
  const now = Date.now();
  if (record.expiresAt <= now) {
    ctx.oidc.deviceAuthorizations.delete(deviceCode);
    return { fail: entraError('expired_token', 70020, 'The provided value for the input parameter \'device_code\' is not valid. This device code has expired.') };
  }
  if (record.status === 'declined') {
    ctx.oidc.deviceAuthorizations.delete(deviceCode);
    return { fail: entraError('authorization_declined', 70000, 'The user has declined the authorization request.') };
  }
  if (record.status === 'pending') {
    const tooSoon = record.lastPollAt !== null && now - record.lastPollAt < record.interval * 1000;
    record.lastPollAt = now;
    if (tooSoon) return { fail: entraError('slow_down', 70016, 'OAuth 2.0 device flow error. Polling too frequently: wait the interval between requests.') };
    return { fail: entraError('authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.') };
  }
  // Approved: redeemed once.
  ctx.oidc.deviceAuthorizations.delete(deviceCode);
  const user = userStillAllowed(ctx, record.userId ?? '');
  if ('fail' in user) return user;
  return userTokenResponse(ctx, {
    user,
    clientId: record.clientId,
    clientName: auth.client.displayName,
    scope: record.scope,
    nonce: null,
    authTime: record.authTime ?? nowSeconds(),
    sessionId: record.sessionId ?? randomUUID(),
    spa: false,
    refreshExpiresAt: null,
    authContexts: [],
  });
}

function findPending(ctx: TenantContext, userCode: string): [string, DeviceAuthorization] | null {
  const code = normalizeUserCode(userCode);
  if (code === '') return null;
  for (const entry of ctx.oidc.deviceAuthorizations) {
    const [, r] = entry;
    if (r.userCode === code && r.status === 'pending' && r.expiresAt > Date.now()) return entry;
  }
  return null;
}

/** Flow tokens bind the confirm and sign-in forms to the code the user entered (no login CSRF). */
const flowTokens = new WeakMap<DeviceAuthorization, string>();

function appLabelOf(ctx: TenantContext, r: DeviceAuthorization): string {
  return findClient(ctx.directory, r.clientId)?.displayName ?? r.clientId;
}

/** `GET|POST /{tid}/devicelogin`: where the user enters the code, confirms, and signs in. */
export async function handleDeviceLogin(req: IncomingMessage, res: ServerResponse, ctx: TenantContext, url: URL): Promise<void> {
  const action = `${ctx.baseUrl}${url.pathname}`;
  const headers = { 'X-Frame-Options': 'DENY' };
  const entry = (error: string | null): void => sendHtml(res, 200, deviceCodeEntryPage({ action, error, tenantLabel: ctx.directory.tenantId }), headers);
  if (req.method !== 'POST') return entry(null);
  const form = await readForm(req);
  const found = findPending(ctx, form.get('otc') ?? form.get('user_code') ?? '');
  if (found === null) return entry(DEVICE_CODE_TEXT.badCode);
  const [, record] = found;
  const appLabel = appLabelOf(ctx, record);
  const token = flowTokens.get(record);
  const hidden = (t: string): [string, string][] => [
    ['user_code', record.userCode],
    ['flowToken', t],
  ];
  if (!form.has('loginfmt') && !form.has('continue') && !form.has('decline')) {
    // The code is right: ask whether the user means to sign in on that device.
    const t = randomBytes(24).toString('base64url');
    flowTokens.set(record, t);
    return sendHtml(res, 200, deviceCodeConfirmPage({ action, hidden: hidden(t), appLabel }), headers);
  }
  if (token === undefined || form.get('flowToken') !== token) return entry(DEVICE_CODE_TEXT.badCode);
  if (form.has('decline')) {
    record.status = 'declined';
    return sendHtml(res, 200, deviceCodeDonePage({ appLabel, declined: true }), headers);
  }
  const signIn = (username: string, error: string | null): void =>
    sendHtml(res, 200, signInPage({ action, hidden: hidden(token), username, error, tenantLabel: ctx.directory.tenantId, appLabel }), headers);
  if (form.has('continue')) return signIn('', null);
  const username = (form.get('loginfmt') ?? '').trim();
  if (username === '') return signIn(username, 'Enter a valid email address, phone number, or Skype name.');
  const user = findUserBySignInName(ctx.directory, username);
  const err = credentialError(user, form.get('passwd') ?? '', ctx.directory, ctx.stats);
  if (err || !user) return signIn(username, `AADSTS${err?.code ?? 50126}: ${err?.message ?? ''}`);
  record.status = 'approved';
  record.userId = user.id;
  record.authTime = nowSeconds();
  record.sessionId = randomUUID();
  flowTokens.delete(record);
  sendHtml(res, 200, deviceCodeDonePage({ appLabel, declined: false }), headers);
}
