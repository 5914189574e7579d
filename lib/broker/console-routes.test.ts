/**
 * The issue-4 console routes, called the way Next calls them, by every kind of caller (deny by
 * default): GET /api/policy/versions, POST /api/policy/preview, GET /api/tap-requests/pass-status.
 * Refusals write nothing: policy versions, requests and the audit trail stay as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/lib/db/client';
import { buildTestSeed, startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';
import { loadRouteHandler, useFreshRouteDatabase, type RouteHandler } from '@/lib/testing/route-harness';

const CALLERS = ['none', 'wrong-audience', 'outsider', 'manager', 'approver', 'auditor', 'admin'] as const;
type Caller = (typeof CALLERS)[number];
type Handler = RouteHandler;

let local: LocalTenant;
const tokens: Partial<Record<Caller, string>> = {};
let cleanup: (() => Promise<void>) | undefined;

beforeAll(async () => {
  local = await startLocalTenant(
    buildTestSeed([
      { upn: 'admin', displayName: 'Ann Admin', appRoles: ['TapBroker.Admin'] },
      { upn: 'manager', displayName: 'Max Manager', manager: 'admin' },
      { upn: 'report', displayName: 'Rita Report', manager: 'manager' },
      { upn: 'approver', displayName: 'Al Approver', appRoles: ['TapBroker.Approver'] },
      { upn: 'auditor', displayName: 'Aud Auditor', appRoles: ['TapBroker.Auditor'] },
      { upn: 'outsider', displayName: 'Otto Outsider' },
    ]),
  );
  cleanup = await useFreshRouteDatabase();
  tokens['wrong-audience'] = await local.getUserToken('manager', { scope: 'https://graph.microsoft.com/User.Read' });
  for (const name of ['outsider', 'manager', 'approver', 'auditor', 'admin'] as const) tokens[name] = await local.getUserToken(name);
});

afterAll(async () => {
  await cleanup?.();
  await local?.close();
});

async function route(modulePath: string, method: 'GET' | 'POST' | 'PUT'): Promise<Handler> {
  return loadRouteHandler(modulePath, method);
}

async function call(handler: Handler, url: string, caller: Caller, body?: unknown, params: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  const token = tokens[caller];
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await handler(
    new Request(`http://localhost:3000${url}`, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) }),
    { params: Promise.resolve(params) },
  );
  expect(response.headers.get('cache-control')).toBe('no-store');
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function snapshot() {
  const db = await getDb();
  return { versions: await db.policyVersion.count(), requests: await db.tapRequest.count(), events: await db.auditEvent.count() };
}

async function matrix(
  expected: Record<Caller, number | string>,
  invoke: (caller: Caller) => Promise<{ status: number; body: Record<string, unknown> }>,
  onSuccess?: (caller: Caller, body: Record<string, unknown>) => void,
) {
  for (const caller of CALLERS) {
    const before = await snapshot();
    const result = await invoke(caller);
    const want = expected[caller];
    if (typeof want === 'number') {
      expect(result.status, `${caller}: ${JSON.stringify(result.body)}`).toBe(want);
      onSuccess?.(caller, result.body);
    } else {
      expect(result.body.code, caller).toBe(want);
      expect(await snapshot(), caller).toEqual(before);
    }
  }
}

const U = 'unauthenticated';
const F = 'forbidden';

describe('console routes', () => {
  it('GET /api/policy/versions: approvers, auditors and admins', async () => {
    const get = await route('policy/versions', 'GET');
    await matrix({ none: U, 'wrong-audience': U, outsider: F, manager: F, approver: 200, auditor: 200, admin: 200 }, (c) => call(get, '/api/policy/versions', c), (_c, body) => {
      expect(body.versions).toEqual([expect.objectContaining({ version: 1, createdBy: 'system', auditSeq: null })]);
    });
  });

  it('POST /api/policy/preview: admins only; writes nothing; a malformed draft is 400', async () => {
    const post = await route('policy/preview', 'POST');
    const draft = { maxDepth: 1, requireApproval: 'always', defaultLifetimeInMinutes: 60, maxLifetimeInMinutes: 480, isUsableOnce: true, approvalValidityMinutes: 60, maxIssuancesPerManagerPerDay: 5 };
    await matrix({ none: U, 'wrong-audience': U, outsider: F, manager: F, approver: F, auditor: F, admin: 200 }, async (c) => {
      const before = await snapshot();
      const result = await call(post, '/api/policy/preview', c, draft);
      expect(await snapshot()).toEqual(before);
      return result;
    }, (_c, body) => {
      // The whole org (six people) with pairs admin → manager → report: maxDepth 1 refuses
      // (admin, report); `always` holds both direct pairs for an approver.
      expect(body).toMatchObject({
        people: 6,
        pairs: 3,
        current: { eligible: 3, allowedPairs: 3, approvalPairs: 1 },
        draft: { eligible: 3, allowedPairs: 2, approvalPairs: 2 },
        pairsRefused: { total: 1, items: [{ manager: { displayName: 'Ann Admin' }, person: { displayName: 'Rita Report' }, depth: 2, cause: 'depth' }] },
        pairsNowNeedApproval: { total: 2 },
        loseEligibility: { total: 0 },
      });
    });
    const bad = await call(post, '/api/policy/preview', 'admin', { ...draft, maxDepth: 0 });
    expect(bad).toMatchObject({ status: 400, body: { code: 'validation-failed' } });
  });

  it('POST /api/policy/versions/{version}/restore: admins only, with a reason; a new version each time', async () => {
    const post = await route('policy/versions/[version]/restore', 'POST');
    const url = '/api/policy/versions/1/restore';
    await matrix(
      { none: U, 'wrong-audience': U, outsider: F, manager: F, approver: F, auditor: F, admin: 200 },
      (c) => call(post, url, c, { changeReason: 'Back to the defaults' }, { version: '1' }),
      (_c, body) => expect(body).toMatchObject({ maxDepth: null, requireApproval: 'indirect-only' }),
    );
    const db = await getDb();
    expect(await db.policyVersion.findFirstOrThrow({ orderBy: { version: 'desc' } })).toMatchObject({ restoredFromVersion: 1, changeReason: 'Back to the defaults' });
    const before = await snapshot();
    expect(await call(post, url, 'admin', { changeReason: '' }, { version: '1' })).toMatchObject({ status: 400, body: { code: 'validation-failed' } });
    expect(await call(post, url, 'admin', { changeReason: 'x' }, { version: '0' })).toMatchObject({ status: 404, body: { code: 'not-found' } });
    expect(await snapshot()).toEqual(before);
  });

  it('GET /api/tap-requests/pass-status: mine for anyone signed in, all for admins, a bad scope is 400', async () => {
    const get = await route('tap-requests/pass-status', 'GET');
    await matrix({ none: U, 'wrong-audience': U, outsider: 200, manager: 200, approver: 200, auditor: 200, admin: 200 }, (c) => call(get, '/api/tap-requests/pass-status?scope=mine', c), (_c, body) => {
      expect(body.statuses).toEqual([]);
    });
    await matrix({ none: U, 'wrong-audience': U, outsider: F, manager: F, approver: F, auditor: F, admin: 200 }, (c) => call(get, '/api/tap-requests/pass-status?scope=all', c));
    expect(await call(get, '/api/tap-requests/pass-status?scope=everyone', 'admin')).toMatchObject({ status: 400, body: { code: 'validation-failed' } });
  });
});
