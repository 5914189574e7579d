/**
 * Step-up with an authentication context, end to end over HTTPS: the authorize request's
 * `claims` (as MSAL sends it), the password and second-factor pages driven like a browser, the
 * code redeemed cross-origin like a SPA, refresh tokens, ROPC through msal-node.
 */
import { createHash, randomBytes } from 'node:crypto';
import { InteractionRequiredAuthError, PublicClientApplication, type AuthError } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import demoOrg from '../demo-org.json';
import { findUser } from '../directory';
import { currentTotpCode, matchTotpCode } from '../mfa';
import { createCaNetworkClient, startTestTenant, submitSignInForm, type FetchLike, type TestTenant } from '../testing';
import { SECOND_FACTOR_TEXT } from './pages';

const PASSWORD = 'TapBroker-Demo-2026!';
const SPA_ORIGIN = 'http://localhost:3000';
/** What msal-browser sends for a claims challenge when the app declares client capabilities. */
const MSAL_CLAIMS_C1 = JSON.stringify({ access_token: { xms_cc: { values: ['cp1'] }, acrs: { essential: true, value: 'c1' } } });
const claimsFor = (...ids: string[]) => JSON.stringify({ access_token: { acrs: { essential: true, values: ids } } });
const WRONG_CODE_HTML = SECOND_FACTOR_TEXT.wrongCode.replace("'", '&#39;');

/** The demo org: c1 needs a second factor every time it is asked for. */
let demo: TestTenant;
/**
 * A tenant whose API asks for v1 tokens and a user without an authenticator, with contexts of each
 * sign-in frequency: c1 a second factor for the whole session, c2 a second factor within a minute,
 * c3 a second factor every time, c4 the password every time.
 */
let own: TestTenant;

beforeAll(async () => {
  demo = await startTestTenant();
  const seed = structuredClone(demoOrg) as unknown as {
    portal: { accessTokenVersion?: number };
    authContexts: { id: string; requireMfa: boolean; signInFrequencyMinutes?: number; signInFrequency?: string }[];
    users: { userPrincipalName: string; mfa?: unknown }[];
  };
  seed.portal.accessTokenVersion = 1;
  const c1 = seed.authContexts.find((c) => c.id === 'c1');
  if (c1) delete c1.signInFrequency;
  seed.authContexts.push(
    { id: 'c2', requireMfa: true, signInFrequencyMinutes: 1 },
    { id: 'c3', requireMfa: true, signInFrequency: 'everyTime' },
    { id: 'c4', requireMfa: false, signInFrequency: 'everyTime' },
  );
  const joni = seed.users.find((u) => u.userPrincipalName === 'joni.sherman@contoso.test');
  if (joni) delete joni.mfa;
  own = await startTestTenant({ seed });
});

afterAll(async () => {
  await demo.close();
  await own.close();
});

afterEach(() => {
  vi.useRealTimers();
});

function secretOf(t: TestTenant, upn: string): string {
  const secret = findUser(t.ctx.directory, upn)?.totpSecret;
  if (!secret) throw new Error(`${upn} has no secret`);
  return secret;
}

/** A code of the user's authenticator that is not yet used: this step's, or the next one's (also accepted). */
function freshCode(t: TestTenant, upn: string): string {
  const user = findUser(t.ctx.directory, upn);
  const last = user ? t.ctx.oidc.lastTotpCounters.get(user.id) : undefined;
  const secret = secretOf(t, upn);
  const now = currentTotpCode(secret);
  const counter = matchTotpCode(secret, now) ?? 0;
  return last !== undefined && last >= counter ? currentTotpCode(secret, Date.now() + 30_000) : now;
}

/** A 6-digit code that matches none of the steps the tenant accepts now. */
function wrongCode(secret: string): string {
  const accepted = new Set([-30_000, 0, 30_000].map((d) => currentTotpCode(secret, Date.now() + d)));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!accepted.has(code)) return code;
  }
}

interface Flow {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

function authorizeUrl(t: TestTenant, extra: Record<string, string> = {}): Flow {
  const dir = t.ctx.directory;
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const url = new URL(`${t.url}/${dir.tenantId}/oauth2/v2.0/authorize`);
  const params: Record<string, string> = {
    client_id: dir.portal.clientId,
    redirect_uri: SPA_ORIGIN,
    response_type: 'code',
    response_mode: 'query',
    scope: `openid profile offline_access api://${dir.portal.apiClientId}/access_as_user`,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    nonce,
    client_info: '1',
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { url, verifier, state, nonce };
}

interface Page {
  status: number;
  location: string | null;
  html: string;
  cookie: string | null;
}

async function toPage(res: Response): Promise<Page> {
  return { status: res.status, location: res.headers.get('location'), html: await res.text(), cookie: res.headers.get('set-cookie') };
}

function cookieOf(setCookie: string | null): string {
  const c = (setCookie ?? '').split(';')[0] ?? '';
  if (!/^tb_tenant_session_\d+=/.test(c)) throw new Error('no session cookie');
  return c;
}

async function open(f: FetchLike, url: URL, cookie?: string): Promise<Page> {
  return toPage(await f(url, { headers: cookie ? { cookie } : {} }));
}

/** Submits the page's form like a browser: its hidden fields plus `fields`. */
async function submit(f: FetchLike, page: Page, fields: Record<string, string>, cookie?: string): Promise<Page> {
  const action = /<form method="post" action="([^"]*)"/.exec(page.html)?.[1]?.replace(/&amp;/g, '&');
  if (!action) throw new Error(`no form on the page: ${page.html.slice(0, 200)}`);
  const form = new URLSearchParams();
  const unescape = (s: string): string => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  for (const m of page.html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) form.append(unescape(m[1] ?? ''), unescape(m[2] ?? ''));
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return toPage(
    await f(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      body: form.toString(),
    }),
  );
}

function isCodePage(page: Page): boolean {
  return page.status === 200 && page.html.includes('name="otc"') && !page.html.includes('name="passwd"');
}

function callback(page: Page): URLSearchParams {
  expect(page.status).toBe(302);
  const loc = new URL(page.location ?? '');
  expect(loc.origin).toBe(SPA_ORIGIN);
  return loc.searchParams;
}

interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token: string;
}

async function redeem(t: TestTenant, flow: Flow, params: URLSearchParams, extra: Record<string, string> = {}): Promise<Tokens> {
  const code = params.get('code');
  expect(code, params.get('error_description') ?? '').toBeTruthy();
  const res = await t.fetch(`${t.url}/${t.ctx.directory.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: SPA_ORIGIN },
    body: new URLSearchParams({
      client_id: t.ctx.directory.portal.clientId,
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: SPA_ORIGIN,
      code_verifier: flow.verifier,
      ...extra,
    }).toString(),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Tokens;
}

async function refresh(t: TestTenant, refreshToken: string, claims?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const dir = t.ctx.directory;
  const res = await t.fetch(`${t.url}/${dir.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: SPA_ORIGIN },
    body: new URLSearchParams({
      client_id: dir.portal.clientId,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      scope: `openid offline_access api://${dir.portal.apiClientId}/access_as_user`,
      ...(claims ? { claims } : {}),
    }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A password-only sign-in (no claims): the tenant session cookie and tokens without acrs. */
async function signInWithPassword(t: TestTenant, upn: string): Promise<{ cookie: string; tokens: Tokens }> {
  const flow = authorizeUrl(t);
  const page = await submitSignInForm(t.fetch, flow.url, upn, PASSWORD);
  return { cookie: cookieOf(page.cookie), tokens: await redeem(t, flow, callback(page)) };
}

describe('authorize with a claims request naming an authentication context', () => {
  it('asks a fresh sign-in for the password, then the code, and puts acrs in the access and id tokens', async () => {
    const upn = 'bianca.pisani@contoso.test';
    const flow = authorizeUrl(demo, { claims: MSAL_CLAIMS_C1 });
    const form = await open(demo.fetch, flow.url);
    expect(form.html).toContain('name="passwd"');

    const codePage = await submit(demo.fetch, form, { loginfmt: upn, passwd: PASSWORD });
    expect(isCodePage(codePage)).toBe(true);
    expect(codePage.html).toContain(`<label for="idTxtBx_SAOTCC_OTC">${SECOND_FACTOR_TEXT.label}</label>`);
    expect(codePage.html).toContain(`value="${SECOND_FACTOR_TEXT.submit}"`);
    expect(codePage.html).toContain(SECOND_FACTOR_TEXT.prompt);
    expect(codePage.html).toContain(upn);
    expect(codePage.html).not.toContain(secretOf(demo, upn));
    const cookie = cookieOf(codePage.cookie);

    const done = await submit(demo.fetch, codePage, { otc: freshCode(demo, upn) }, cookie);
    const params = callback(done);
    expect(params.get('state')).toBe(flow.state);
    // MSAL repeats the claims on the redemption; it changes nothing.
    const tokens = await redeem(demo, flow, params, { claims: MSAL_CLAIMS_C1 });
    const access = decodeJwt(tokens.access_token);
    expect(access).toMatchObject({ ver: '2.0', aud: demo.ctx.directory.portal.apiClientId, acrs: ['c1'] });
    expect(decodeJwt(tokens.id_token)).toMatchObject({ nonce: flow.nonce, acrs: ['c1'] });
  });

  it('remembers the second factor for the session when the context has no sign-in frequency', async () => {
    const upn = 'lynne.robbins@contoso.test';
    const flow = authorizeUrl(own, { claims: claimsFor('c1') });
    const codePage = await submit(own.fetch, await open(own.fetch, flow.url), { loginfmt: upn, passwd: PASSWORD });
    const cookie = cookieOf(codePage.cookie);
    await redeem(own, flow, callback(await submit(own.fetch, codePage, { otc: freshCode(own, upn) }, cookie)));

    // A silent request for c1 needs no page, and its code carries the proof.
    const silentFlow = authorizeUrl(own, { claims: claimsFor('c1'), prompt: 'none' });
    const tokens = await redeem(own, silentFlow, callback(await open(own.fetch, silentFlow.url, cookie)));
    expect(decodeJwt(tokens.access_token).acrs).toEqual(['c1']);
  });

  it('asks a user who already has a session for the code only; prompt=none cannot ask and says interaction_required', async () => {
    const upn = 'adele.vance@contoso.test';
    const { cookie, tokens: before } = await signInWithPassword(demo, upn);
    expect(decodeJwt(before.access_token)).not.toHaveProperty('acrs');
    expect(decodeJwt(before.id_token)).not.toHaveProperty('acrs');

    const silentFlow = authorizeUrl(demo, { claims: claimsFor('c1'), prompt: 'none', response_mode: 'fragment' });
    const silent = await open(demo.fetch, silentFlow.url, cookie);
    expect(silent.status).toBe(302);
    const err = new URLSearchParams(new URL(silent.location ?? '').hash.slice(1));
    expect(err.get('error')).toBe('interaction_required');
    expect(err.get('error_description')).toMatch(/^AADSTS50076: /);
    expect(err.get('state')).toBe(silentFlow.state);

    const flow = authorizeUrl(demo, { claims: claimsFor('c1') });
    const codePage = await open(demo.fetch, flow.url, cookie);
    expect(isCodePage(codePage)).toBe(true);
    expect(codePage.cookie).toBeNull();
    const tokens = await redeem(demo, flow, callback(await submit(demo.fetch, codePage, { otc: freshCode(demo, upn) }, cookie)));
    expect(decodeJwt(tokens.access_token)).toMatchObject({ oid: findUser(demo.ctx.directory, upn)?.id, acrs: ['c1'] });
  });

  it('re-shows the page after a wrong code, accepts the right one after it, and ends with access_denied after 5 wrong codes', async () => {
    const upn = 'kim.akers@contoso.test';
    const secret = secretOf(demo, upn);
    const flow = authorizeUrl(demo, { claims: claimsFor('c1') });
    const codePage = await submit(demo.fetch, await open(demo.fetch, flow.url), { loginfmt: upn, passwd: PASSWORD });
    const cookie = cookieOf(codePage.cookie);
    const again = await submit(demo.fetch, codePage, { otc: wrongCode(secret) }, cookie);
    expect(isCodePage(again)).toBe(true);
    expect(again.html).toContain(`role="alert">${WRONG_CODE_HTML}</div>`);
    const tokens = await redeem(demo, flow, callback(await submit(demo.fetch, again, { otc: freshCode(demo, upn) }, cookie)));
    expect(decodeJwt(tokens.access_token).acrs).toEqual(['c1']);

    const second = authorizeUrl(demo, { claims: claimsFor('c1'), prompt: 'login' });
    let page = await submit(demo.fetch, await open(demo.fetch, second.url, cookie), { loginfmt: upn, passwd: PASSWORD }, cookie);
    const newCookie = cookieOf(page.cookie);
    for (let i = 1; i < 5; i++) {
      page = await submit(demo.fetch, page, { otc: wrongCode(secret) }, newCookie);
      expect(isCodePage(page), `try ${i}`).toBe(true);
      expect(page.html).toContain(WRONG_CODE_HTML);
    }
    const denied = callback(await submit(demo.fetch, page, { otc: wrongCode(secret) }, newCookie));
    expect(denied.get('error')).toBe('access_denied');
    expect(denied.get('error_description')).toMatch(/^AADSTS500121: /);
    expect(denied.get('state')).toBe(second.state);
    expect(denied.get('code')).toBeNull();
  });

  it('refuses a code already used by that user, and a code page posted without its session', async () => {
    const upn = 'isaiah.langer@contoso.test';
    const code = freshCode(demo, upn);
    const first = authorizeUrl(demo, { claims: claimsFor('c1') });
    const page1 = await submit(demo.fetch, await open(demo.fetch, first.url), { loginfmt: upn, passwd: PASSWORD });
    await redeem(demo, first, callback(await submit(demo.fetch, page1, { otc: code }, cookieOf(page1.cookie))));

    // Another browser (no cookie): the same code is refused, a later one is not.
    const second = authorizeUrl(demo, { claims: claimsFor('c1') });
    const page2 = await submit(demo.fetch, await open(demo.fetch, second.url), { loginfmt: upn, passwd: PASSWORD });
    const cookie2 = cookieOf(page2.cookie);
    const replayed = await submit(demo.fetch, page2, { otc: code }, cookie2);
    expect(isCodePage(replayed)).toBe(true);
    expect(replayed.html).toContain(WRONG_CODE_HTML);

    // The code page's token only works with the session it was shown to.
    const stolen = await submit(demo.fetch, replayed, { otc: freshCode(demo, upn) });
    expect(stolen.status).toBe(200);
    expect(stolen.html).toContain('name="passwd"');
    expect(stolen.html).toContain('Your sign-in session has expired');
  });

  it('tells a user without an authenticator app, and sends them back with interaction_required', async () => {
    const flow = authorizeUrl(own, { claims: claimsFor('c1') });
    const page = await submit(own.fetch, await open(own.fetch, flow.url), { loginfmt: 'joni.sherman@contoso.test', passwd: PASSWORD });
    expect(page.status).toBe(200);
    expect(page.html).not.toContain('name="otc"');
    expect(page.html).toContain(SECOND_FACTOR_TEXT.noMethod);
    const back = callback(await submit(own.fetch, page, {}, cookieOf(page.cookie)));
    expect(back.get('error')).toBe('interaction_required');
    expect(back.get('error_description')).toMatch(/^AADSTS50076: /);
    expect(back.get('code')).toBeNull();
  });

  it('sends malformed claims and unknown contexts back as invalid_request', async () => {
    for (const claims of [claimsFor('c7'), '{"access_token":{"acrs":{"value":1}}}', 'not json']) {
      const flow = authorizeUrl(demo, { claims });
      const res = callback(await open(demo.fetch, flow.url));
      expect(res.get('error'), claims).toBe('invalid_request');
      expect(res.get('error_description')).toMatch(/^AADSTS90100: /);
      expect(res.get('state')).toBe(flow.state);
    }
    // Claims without acrs (client capabilities only) ask for nothing.
    const capsOnly = await open(demo.fetch, authorizeUrl(demo, { claims: '{"access_token":{"xms_cc":{"values":["cp1"]}}}' }).url);
    expect(capsOnly.html).toContain('name="passwd"');
  });
});

describe('refresh tokens remember what was proved', () => {
  it('keeps acrs on refresh, and answers interaction_required when claims ask for a context never proved', async () => {
    const upn = 'cameron.white@contoso.test';
    const { cookie, tokens: plain } = await signInWithPassword(own, upn);
    const refused = await refresh(own, plain.refresh_token, MSAL_CLAIMS_C1);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'interaction_required', error_codes: [50076], suberror: 'basic_action' });
    expect(String(refused.body.error_description)).toMatch(/^AADSTS50076: .*\r\nTrace ID: /);
    const noClaims = await refresh(own, plain.refresh_token);
    expect(noClaims.status).toBe(200);
    expect(decodeJwt(String(noClaims.body.access_token))).not.toHaveProperty('acrs');

    const flow = authorizeUrl(own, { claims: MSAL_CLAIMS_C1 });
    const codePage = await open(own.fetch, flow.url, cookie);
    const stepped = await redeem(own, flow, callback(await submit(own.fetch, codePage, { otc: freshCode(own, upn) }, cookie)));
    const withClaims = await refresh(own, stepped.refresh_token, MSAL_CLAIMS_C1);
    expect(withClaims.status).toBe(200);
    expect(decodeJwt(String(withClaims.body.access_token)).acrs).toEqual(['c1']);
    expect(decodeJwt(String(withClaims.body.id_token)).acrs).toEqual(['c1']);
    // The rotated token carries the proof on, with or without claims.
    const next = await refresh(own, String(withClaims.body.refresh_token));
    expect(decodeJwt(String(next.body.access_token)).acrs).toEqual(['c1']);
  });

  it('drops a proof older than the context\'s sign-in frequency (v1 access tokens)', async () => {
    const upn = 'patti.fernandez@contoso.test';
    const flow = authorizeUrl(own, { claims: claimsFor('c2', 'c1') });
    const page = await submit(own.fetch, await open(own.fetch, flow.url), { loginfmt: upn, passwd: PASSWORD });
    const cookie = cookieOf(page.cookie);
    const tokens = await redeem(own, flow, callback(await submit(own.fetch, page, { otc: freshCode(own, upn) }, cookie)));
    expect(decodeJwt(tokens.access_token)).toMatchObject({ ver: '1.0', aud: `api://${own.ctx.directory.portal.apiClientId}`, acrs: ['c1', 'c2'] });
    expect((await refresh(own, tokens.refresh_token, claimsFor('c2'))).status).toBe(200);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 2 * 60_000);
    const stale = await refresh(own, tokens.refresh_token, claimsFor('c2'));
    expect(stale.status).toBe(400);
    expect(stale.body).toMatchObject({ error: 'interaction_required', error_codes: [50076] });
    // c1 has no sign-in frequency: its proof still holds, c2's is gone.
    const plain = await refresh(own, tokens.refresh_token);
    expect(decodeJwt(String(plain.body.access_token)).acrs).toEqual(['c1']);
    // The session's second factor is too old for c2 as well: the code page again.
    expect(isCodePage(await open(own.fetch, authorizeUrl(own, { claims: claimsFor('c2') }).url, cookie))).toBe(true);
  });
});

describe('a context whose sign-in frequency is "every time"', () => {
  it('asks the same session for the code again on the next request naming it, and each code grant carries acrs', async () => {
    const upn = 'megan.bowen@contoso.test';
    expect(demo.ctx.directory.authContexts.get('c1')).toMatchObject({ requireMfa: true, everyTime: true });
    const first = authorizeUrl(demo, { claims: MSAL_CLAIMS_C1 });
    const codePage = await submit(demo.fetch, await open(demo.fetch, first.url), { loginfmt: upn, passwd: PASSWORD });
    const cookie = cookieOf(codePage.cookie);
    const tokens = await redeem(demo, first, callback(await submit(demo.fetch, codePage, { otc: freshCode(demo, upn) }, cookie)));
    expect(decodeJwt(tokens.access_token).acrs).toEqual(['c1']);

    // The session passed the second factor a moment ago; that does not count for the next request.
    const silentFlow = authorizeUrl(demo, { claims: MSAL_CLAIMS_C1, prompt: 'none' });
    const silent = callback(await open(demo.fetch, silentFlow.url, cookie));
    expect(silent.get('error')).toBe('interaction_required');
    expect(silent.get('error_description')).toMatch(/^AADSTS50076: /);
    expect(silent.get('code')).toBeNull();

    const second = authorizeUrl(demo, { claims: MSAL_CLAIMS_C1 });
    const again = await open(demo.fetch, second.url, cookie);
    expect(isCodePage(again)).toBe(true);
    const secondTokens = await redeem(demo, second, callback(await submit(demo.fetch, again, { otc: freshCode(demo, upn) }, cookie)));
    expect(decodeJwt(secondTokens.access_token)).toMatchObject({ oid: findUser(demo.ctx.directory, upn)?.id, acrs: ['c1'] });
    expect(decodeJwt(secondTokens.id_token).acrs).toEqual(['c1']);

    // Without claims the session still signs in silently: only the context is asked for again.
    const plainFlow = authorizeUrl(demo, { prompt: 'none' });
    const plain = await redeem(demo, plainFlow, callback(await open(demo.fetch, plainFlow.url, cookie)));
    expect(decodeJwt(plain.access_token)).not.toHaveProperty('acrs');
  });

  it('is never carried by a refresh token, while a session-long context proved in the same sign-in is', async () => {
    const upn = 'alex.wilber@contoso.test';
    const flow = authorizeUrl(own, { claims: claimsFor('c3', 'c1') });
    const page = await submit(own.fetch, await open(own.fetch, flow.url), { loginfmt: upn, passwd: PASSWORD });
    const tokens = await redeem(own, flow, callback(await submit(own.fetch, page, { otc: freshCode(own, upn) }, cookieOf(page.cookie))));
    expect(decodeJwt(tokens.access_token).acrs).toEqual(['c1', 'c3']);

    const refused = await refresh(own, tokens.refresh_token, claimsFor('c3'));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'interaction_required', error_codes: [50076], suberror: 'basic_action' });
    expect(String(refused.body.error_description)).toMatch(/^AADSTS50076: /);

    const plain = await refresh(own, tokens.refresh_token);
    expect(plain.status).toBe(200);
    expect(decodeJwt(String(plain.body.access_token)).acrs).toEqual(['c1']);
    expect(decodeJwt(String(plain.body.id_token)).acrs).toEqual(['c1']);
    // Nor down the rotated chain.
    expect((await refresh(own, String(plain.body.refresh_token), claimsFor('c3'))).status).toBe(400);
    const withC1 = await refresh(own, String(plain.body.refresh_token), claimsFor('c1'));
    expect(withC1.status).toBe(200);
    expect(decodeJwt(String(withC1.body.access_token)).acrs).toEqual(['c1']);
  });

  it('asks a live session for the password again when the context has no second factor, then the code, without looping', async () => {
    const upn = 'nestor.wilke@contoso.test';
    const secret = secretOf(own, upn);
    const { cookie } = await signInWithPassword(own, upn);

    // c4 wants the password every time: the session's sign-in a moment ago does not count.
    const flow = authorizeUrl(own, { claims: claimsFor('c4', 'c1') });
    const form = await open(own.fetch, flow.url, cookie);
    expect(form.status).toBe(200);
    expect(form.html).toContain('name="passwd"');

    // The password just typed proves c4; c1 still wants the code. A wrong code re-shows the code
    // page, and the password typed in this flow still counts after the right one.
    const codePage = await submit(own.fetch, form, { loginfmt: upn, passwd: PASSWORD }, cookie);
    expect(isCodePage(codePage)).toBe(true);
    const newCookie = cookieOf(codePage.cookie);
    const retry = await submit(own.fetch, codePage, { otc: wrongCode(secret) }, newCookie);
    expect(isCodePage(retry)).toBe(true);
    const tokens = await redeem(own, flow, callback(await submit(own.fetch, retry, { otc: freshCode(own, upn) }, newCookie)));
    expect(decodeJwt(tokens.access_token).acrs).toEqual(['c1', 'c4']);

    // The next request naming c4 asks for the password again, though c1 is remembered.
    const next = await open(own.fetch, authorizeUrl(own, { claims: claimsFor('c4') }).url, newCookie);
    expect(next.html).toContain('name="passwd"');
    const c1Only = authorizeUrl(own, { claims: claimsFor('c1'), prompt: 'none' });
    const c1Tokens = await redeem(own, c1Only, callback(await open(own.fetch, c1Only.url, newCookie)));
    expect(decodeJwt(c1Tokens.access_token).acrs).toEqual(['c1']);
  });
});

describe('ROPC (msal-node acquireTokenByUsernamePassword)', () => {
  function pca() {
    const dir = demo.ctx.directory;
    return new PublicClientApplication({
      auth: { clientId: dir.portal.clientId, authority: `${demo.url}/${dir.tenantId}/`, knownAuthorities: [`localhost:${demo.port}`] },
      system: { networkClient: createCaNetworkClient(demo.certPem) },
    });
  }
  const scopes = () => [`api://${demo.ctx.directory.portal.apiClientId}/access_as_user`];

  it('cannot satisfy a context: interaction_required (AADSTS50076) once the password is right', async () => {
    const err = await pca()
      .acquireTokenByUsernamePassword({ scopes: scopes(), username: 'lee.gu@contoso.test', password: PASSWORD, claims: claimsFor('c1') })
      .then(
        () => null,
        (e: unknown) => e as AuthError,
      );
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect(err?.errorCode).toBe('interaction_required');
    expect(err?.errorMessage).toContain('AADSTS50076');

    const wrong = await pca()
      .acquireTokenByUsernamePassword({ scopes: scopes(), username: 'lee.gu@contoso.test', password: 'wrong', claims: claimsFor('c1') })
      .then(
        () => null,
        (e: unknown) => e as AuthError,
      );
    expect(wrong?.errorMessage).toContain('AADSTS50126');
  });

  it('issues tokens without any acrs claim when no context is asked for', async () => {
    const result = await pca().acquireTokenByUsernamePassword({ scopes: scopes(), username: 'lee.gu@contoso.test', password: PASSWORD });
    expect(decodeJwt(result?.accessToken ?? '')).toMatchObject({ scp: 'access_as_user' });
    expect(decodeJwt(result?.accessToken ?? '')).not.toHaveProperty('acrs');
    expect(decodeJwt(result?.idToken ?? '')).not.toHaveProperty('acrs');
  });
});
