/**
 * Step-up over HTTP: the real route modules under app/api, called the way Next calls them, with
 * the tenant's own access tokens (password grant: no `acrs`) and the same tokens proving the
 * authentication context (`withAuthContexts`). What a client sees is checked to the byte: 401,
 * problem+json `step-up-required` with `authContextId`, and Entra's claims challenge in
 * `WWW-Authenticate`, parsed and its `claims` decoded. The database is fresh (PGlite, or
 * PostgreSQL with TEST_DATABASE_URL) and re-read after every refusal.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/lib/db/client';
import { buildTestSeed, startLocalTenant, TEST_PASSWORD, TEST_PORTAL_CLIENT_ID, TEST_TENANT_ID, withAuthContexts, type LocalTenant } from '@/lib/testing/local-tenant';
import { loadRouteHandler, useFreshRouteDatabase, type RouteHandler } from '@/lib/testing/route-harness';
import { currentTotpCode } from '@/tenant/mfa';
import { submitSignInForm, type FetchLike } from '@/tenant/testing';

const JUSTIFICATION = 'Lost the phone with the authenticator app on it.';
const CLAIMS_C1 = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
/** The manager's authenticator app (base32), for the one test that signs in through the real pages. */
const MANAGER_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const SPA_ORIGIN = 'http://localhost:3000';

let local: LocalTenant;
const tokens: Record<string, string> = {};
let dropDatabase: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const seed = buildTestSeed([
    { upn: 'admin', displayName: 'Ann Admin', appRoles: ['TapBroker.Admin'] },
    { upn: 'manager', displayName: 'Max Manager', manager: 'admin' },
    { upn: 'report', displayName: 'Rita Report', manager: 'manager' },
    { upn: 'report2', displayName: 'Ron Report', manager: 'manager' },
    { upn: 'deep', displayName: 'Dee Deep', manager: 'report' },
    { upn: 'approver', displayName: 'Al Approver', appRoles: ['TapBroker.Approver'] },
  ]) as { users: { userPrincipalName: string; mfa?: { totpSecret: string } }[] } & Record<string, unknown>;
  // The local tenant's stand-in for a Conditional Access policy: context c1 needs a second factor.
  seed.authContexts = [{ id: 'c1', displayName: 'Step-up before a pass', requireMfa: true }];
  const manager = seed.users.find((user) => user.userPrincipalName.startsWith('manager@'));
  if (manager) manager.mfa = { totpSecret: MANAGER_TOTP_SECRET };
  local = await startLocalTenant(seed);
  dropDatabase = await useFreshRouteDatabase();
  for (const name of ['admin', 'manager', 'approver']) {
    tokens[name] = await local.getUserToken(name);
    tokens[`${name}+c1`] = await withAuthContexts(tokens[name], ['c1']);
  }
});

afterAll(async () => {
  await dropDatabase?.();
  await local?.close();
});

type Handler = RouteHandler;

async function route(modulePath: string, method: 'GET' | 'POST' | 'PUT'): Promise<Handler> {
  return loadRouteHandler(modulePath, method);
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(handler: Handler, url: string, token: string, options: { method?: string; params?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'user-agent': 'step-up-routes' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await handler(
    new Request(`http://localhost:3000${url}`, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) }),
    { params: Promise.resolve(options.params ?? {}) },
  );
  expect(response.headers.get('cache-control')).toBe('no-store');
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

/** The auth-params of a `Bearer` challenge, as a client library would parse them. */
function parseBearerChallenge(header: string): Record<string, string> {
  expect(header.startsWith('Bearer ')).toBe(true);
  const params: Record<string, string> = {};
  const rest = header.slice('Bearer '.length);
  const pattern = /\s*([a-z_]+)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/gy;
  let consumed = 0;
  for (let match = pattern.exec(rest); match !== null; match = pattern.exec(rest)) {
    params[match[1] ?? ''] = match[2] ?? '';
    consumed = pattern.lastIndex;
  }
  expect(consumed, `unparsed rest: ${rest.slice(consumed)}`).toBe(rest.length);
  return params;
}

/** A 401 step-up answer, checked to the byte; the decoded claims request. */
function expectStepUpChallenge(answer: Answer): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(401);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  expect(answer.body).toEqual({
    type: '/problems/step-up-required',
    title: 'Step-up required',
    status: 401,
    detail: expect.stringContaining('second factor'),
    code: 'step-up-required',
    authContextId: 'c1',
  });
  const header = answer.headers.get('www-authenticate') ?? '';
  expect(header).toBe(
    `Bearer realm="", error="insufficient_claims", error_description="A claims challenge is required for this action", claims="${Buffer.from(CLAIMS_C1).toString('base64url')}"`,
  );
  const params = parseBearerChallenge(header);
  expect(Object.keys(params)).toEqual(['realm', 'error', 'error_description', 'claims']);
  expect(params).toMatchObject({ realm: '', error: 'insufficient_claims' });
  // base64url without padding, decoding to exactly the claims request MSAL passes on.
  expect(params.claims).toMatch(/^[A-Za-z0-9_-]+$/);
  const decoded = Buffer.from(params.claims ?? '', 'base64url').toString('utf8');
  expect(decoded).toBe(CLAIMS_C1);
  expect(JSON.parse(decoded)).toEqual({ access_token: { acrs: { essential: true, value: 'c1' } } });
}

async function setStepUp(stepUpActions: string[]): Promise<void> {
  const db = await getDb();
  const current = await db.policyVersion.findFirstOrThrow({ orderBy: { version: 'desc' } });
  const { version: _version, createdAt: _createdAt, ...fields } = current;
  await db.policyVersion.create({ data: { ...fields, stepUpAuthContextId: 'c1', stepUpActions, createdBy: 'test' } });
}

async function snapshot() {
  const db = await getDb();
  return {
    requests: await db.tapRequest.findMany({ orderBy: { id: 'asc' } }),
    policies: await db.policyVersion.findMany({ orderBy: { version: 'asc' } }),
    head: (await db.auditEvent.findFirst({ orderBy: { seq: 'desc' } }))?.seq ?? 0n,
  };
}

async function eventsSince(seq: bigint) {
  return (await getDb()).auditEvent.findMany({ where: { seq: { gt: seq } }, orderBy: { seq: 'asc' } });
}

const graphRequests = () => Object.values(local.tenant.ctx.stats.graph).reduce((sum, n) => sum + n, 0);

async function createRequest(target: string): Promise<string> {
  const res = await call(await route('tap-requests', 'POST'), '/api/tap-requests', tokens.manager ?? '', {
    method: 'POST',
    body: { targetUserId: local.userId(target), justification: JUSTIFICATION },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return String(res.body.id);
}

/**
 * A sign-in through the tenant's real pages, as MSAL's redirect flow does it after a claims
 * challenge: authorize with `claims`, the password, then the authenticator code; the code
 * redeemed with PKCE from the SPA's origin. Returns the access token.
 */
async function signInWithSecondFactor(upn: string, totpSecret: string): Promise<string> {
  const noRedirects: FetchLike = (input, init) => fetch(input, { ...init, redirect: 'manual' } as RequestInit);
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${local.url}/${TEST_TENANT_ID}/oauth2/v2.0/authorize`);
  for (const [name, value] of Object.entries({
    client_id: TEST_PORTAL_CLIENT_ID,
    redirect_uri: SPA_ORIGIN,
    response_type: 'code',
    response_mode: 'query',
    scope: `openid profile offline_access ${local.apiScope}`,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 'step-up-state',
    nonce: 'step-up-nonce',
    claims: CLAIMS_C1,
  })) {
    authorize.searchParams.set(name, value);
  }
  const codePage = await submitSignInForm(noRedirects, authorize, upn, TEST_PASSWORD);
  expect(codePage.status).toBe(200);
  expect(codePage.html).toContain('name="otc"');
  const cookie = (codePage.cookie ?? '').split(';')[0] ?? '';
  const action = /<form method="post" action="([^"]*)"/.exec(codePage.html)?.[1]?.replace(/&amp;/g, '&') ?? '';
  const form = new URLSearchParams();
  for (const match of codePage.html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form.append(match[1] ?? '', (match[2] ?? '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  }
  form.set('otc', currentTotpCode(totpSecret));
  const done = await noRedirects(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: form.toString() });
  expect(done.status).toBe(302);
  const callback = new URL(done.headers.get('location') ?? '');
  expect(callback.origin).toBe(SPA_ORIGIN);
  const code = callback.searchParams.get('code');
  expect(code, callback.searchParams.get('error_description') ?? '').toBeTruthy();
  const tokenResponse = await fetch(`${local.url}/${TEST_TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: SPA_ORIGIN },
    body: new URLSearchParams({ client_id: TEST_PORTAL_CLIENT_ID, grant_type: 'authorization_code', code: code ?? '', redirect_uri: SPA_ORIGIN, code_verifier: verifier }),
  });
  expect(tokenResponse.status).toBe(200);
  return ((await tokenResponse.json()) as { access_token: string }).access_token;
}

describe('step-up over HTTP', () => {
  it('GET /api/policy/limits says what needs step-up', async () => {
    const get = await route('policy/limits', 'GET');
    expect((await call(get, '/api/policy/limits', tokens.manager ?? '')).body).toMatchObject({ stepUpAuthContextId: null, stepUpRequiredFor: [] });
    await setStepUp(['approve', 'policy']);
    expect((await call(get, '/api/policy/limits', tokens.manager ?? '')).body).toMatchObject({
      stepUpAuthContextId: 'c1',
      stepUpRequiredFor: ['issue', 'approve', 'deny', 'policy'],
    });
  });

  it('issue: the challenge without acrs (nothing changed, no Graph call), the pass with acrs c1', async () => {
    await setStepUp([]);
    const id = await createRequest('report');
    const issue = await route('tap-requests/[id]/issue', 'POST');

    const before = await snapshot();
    const graphBefore = graphRequests();
    expectStepUpChallenge(await call(issue, `/api/tap-requests/${id}/issue`, tokens.manager ?? '', { method: 'POST', params: { id } }));
    expect(graphRequests()).toBe(graphBefore);
    const after = await snapshot();
    expect(after.requests).toEqual(before.requests);
    expect(after.policies).toEqual(before.policies);
    const refused = await eventsSince(before.head);
    expect(refused.map((e) => [e.type, e.requestId, e.actorId])).toEqual([['tap_request.refused', id, local.userId('manager')]]);
    expect(refused[0]?.data).toMatchObject({ stage: 'issue', code: 'step-up-required', authContextId: 'c1', presentedAuthContexts: [] });

    const issued = await call(issue, `/api/tap-requests/${id}/issue`, tokens['manager+c1'] ?? '', { method: 'POST', params: { id } });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.headers.get('www-authenticate')).toBeNull();
    expect(issued.body).toMatchObject({ temporaryAccessPass: expect.stringMatching(/^\S{8,}$/), isUsableOnce: true });
    expect(graphRequests() - graphBefore).toBe(2);
    expect((await eventsSince(before.head)).map((e) => e.type)).toEqual(['tap_request.refused', 'tap.issue_started', 'tap.issued']);
    const text = JSON.stringify(await (await getDb()).auditEvent.findMany({ select: { type: true, data: true } }));
    expect(text).not.toContain(String(issued.body.temporaryAccessPass));
    expect(text).not.toContain(tokens.manager ?? '');
  });

  it('the challenge answered through the tenant\'s real sign-in (password, then the authenticator code) gets the pass', async () => {
    await setStepUp([]);
    const id = await createRequest('report2');
    const issue = await route('tap-requests/[id]/issue', 'POST');
    expectStepUpChallenge(await call(issue, `/api/tap-requests/${id}/issue`, tokens.manager ?? '', { method: 'POST', params: { id } }));
    // What MSAL does with the challenge: a sign-in asking for exactly those claims.
    const stepped = await signInWithSecondFactor('manager@test.contoso.test', MANAGER_TOTP_SECRET);
    const issued = await call(issue, `/api/tap-requests/${id}/issue`, stepped, { method: 'POST', params: { id } });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.body).toMatchObject({ temporaryAccessPass: expect.stringMatching(/^\S{8,}$/) });
  });

  it('approve and deny: the challenge when the policy lists approve; the decision with acrs c1', async () => {
    await setStepUp(['approve']);
    const id = await createRequest('deep');
    const approve = await route('tap-requests/[id]/approve', 'POST');
    const deny = await route('tap-requests/[id]/deny', 'POST');
    const before = await snapshot();
    expectStepUpChallenge(await call(approve, `/api/tap-requests/${id}/approve`, tokens.approver ?? '', { method: 'POST', params: { id }, body: {} }));
    expectStepUpChallenge(await call(deny, `/api/tap-requests/${id}/deny`, tokens.approver ?? '', { method: 'POST', params: { id }, body: { reason: 'No' } }));
    expect((await snapshot()).requests).toEqual(before.requests);
    const approved = await call(approve, `/api/tap-requests/${id}/approve`, tokens['approver+c1'] ?? '', { method: 'POST', params: { id }, body: { comment: 'ok' } });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved' });
    expect((await eventsSince(before.head)).map((e) => [e.type, (e.data as { stage?: string }).stage ?? null])).toEqual([
      ['tap_request.refused', 'approve'],
      ['tap_request.refused', 'deny'],
      ['tap_request.approved', null],
    ]);
  });

  it('PUT /api/policy: the challenge when the policy lists policy; the new version with acrs c1', async () => {
    await setStepUp(['policy']);
    const get = await route('policy', 'GET');
    const put = await route('policy', 'PUT');
    const current = (await call(get, '/api/policy', tokens.admin ?? '')).body;
    const before = await snapshot();
    expectStepUpChallenge(await call(put, '/api/policy', tokens.admin ?? '', { method: 'PUT', body: { ...current, stepUpAuthContextId: null } }));
    expect((await snapshot()).policies).toEqual(before.policies);
    expect((await eventsSince(before.head)).map((e) => e.type)).toEqual(['policy.update_refused']);
    const saved = await call(put, '/api/policy', tokens['admin+c1'] ?? '', { method: 'PUT', body: { ...current, stepUpAuthContextId: null } });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ stepUpAuthContextId: null, stepUpActions: ['policy'] });
  });
});
