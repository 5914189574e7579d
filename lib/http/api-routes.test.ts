/**
 * The real route modules under app/api, called the way Next calls them, with every kind of
 * caller: the deny-by-default matrix for the foundation routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as catchAll from '@/app/api/[...path]/route';
import * as config from '@/app/api/config/route';
import * as health from '@/app/api/health/route';
import * as me from '@/app/api/me/route';
import * as reportees from '@/app/api/reportees/route';
import { closeDb } from '@/lib/db/client';
import { resetEnvForTests } from '@/lib/env';
import {
  buildTestSeed,
  startLocalTenant,
  TEST_API_CLIENT_ID,
  TEST_PORTAL_CLIENT_ID,
  TEST_TENANT_ID,
  type LocalTenant,
} from '@/lib/testing/local-tenant';

let local: LocalTenant;
const tokens: Record<string, string | undefined> = {};
const CALLERS = ['none', 'wrong-audience', 'outsider', 'manager', 'approver', 'auditor', 'admin'] as const;
type Caller = (typeof CALLERS)[number];

beforeAll(async () => {
  local = await startLocalTenant(
    buildTestSeed([
      { upn: 'admin', displayName: 'Ann Admin', appRoles: ['TapBroker.Admin'] },
      { upn: 'manager', displayName: 'Max Manager', manager: 'admin' },
      { upn: 'report', displayName: 'Rita Report', manager: 'manager', jobTitle: 'Engineer' },
      { upn: 'approver', displayName: 'Al Approver', appRoles: ['TapBroker.Approver'] },
      { upn: 'auditor', displayName: 'Aud Auditor', appRoles: ['TapBroker.Auditor'] },
      { upn: 'outsider', displayName: 'Otto Outsider' },
    ]),
  );
  tokens.none = undefined;
  tokens['wrong-audience'] = await local.getUserToken('manager', { scope: 'https://graph.microsoft.com/User.Read' });
  for (const name of ['outsider', 'manager', 'approver', 'auditor', 'admin']) tokens[name] = await local.getUserToken(name);
});

afterAll(async () => {
  await local?.close();
});

type Handler = (request: Request, context: { params: Promise<Record<string, string | string[] | undefined>> }) => Promise<Response>;

async function call(handler: Handler, path: string, caller: Caller, params: Record<string, string | string[]> = {}) {
  const token = tokens[caller];
  const request = new Request(`http://localhost:3000${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  const response = await handler(request, { params: Promise.resolve(params) });
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-request-id')).toBeTruthy();
  if (response.status >= 400) expect(response.headers.get('content-type')).toBe('application/problem+json');
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('foundation API routes', () => {
  it('GET /api/config answers anyone with the MSAL settings', async () => {
    for (const caller of CALLERS) {
      const { status, body } = await call(config.GET, '/api/config', caller);
      expect(status, caller).toBe(200);
      expect(body).toEqual({
        authority: `${local.url}/${TEST_TENANT_ID}/`,
        clientId: TEST_PORTAL_CLIENT_ID,
        scopes: [`api://${TEST_API_CLIENT_ID}/access_as_user`],
        knownAuthorities: [new URL(local.url).host],
      });
    }
  });

  it('GET /api/me: 401 without a valid token, the caller otherwise', async () => {
    for (const caller of CALLERS) {
      const { status, body } = await call(me.GET, '/api/me', caller);
      if (caller === 'none' || caller === 'wrong-audience') {
        expect(status, caller).toBe(401);
        expect(body.code).toBe('unauthenticated');
        continue;
      }
      expect(status, caller).toBe(200);
      expect(body).toEqual({
        id: local.userId(caller),
        displayName: expect.any(String),
        userPrincipalName: `${caller}@test.contoso.test`,
        roles: { approver: ['TapBroker.Approver'], auditor: ['TapBroker.Auditor'], admin: ['TapBroker.Admin'] }[caller as string] ?? [],
      });
    }
  });

  it('GET /api/reportees: 401 without a valid token, each caller’s own reportees otherwise', async () => {
    const expected: Record<string, string[]> = {
      outsider: [],
      manager: ['report'],
      approver: [],
      auditor: [],
      admin: ['manager', 'report'],
    };
    for (const caller of CALLERS) {
      const { status, body } = await call(reportees.GET, '/api/reportees', caller);
      if (caller === 'none' || caller === 'wrong-audience') {
        expect(status, caller).toBe(401);
        continue;
      }
      expect(status, caller).toBe(200);
      const list = body.reportees as { userPrincipalName: string; depth: number }[];
      expect(list.map((r) => r.userPrincipalName.split('@')[0]), caller).toEqual(expected[caller]);
    }
    const { body } = await call(reportees.GET, '/api/reportees', 'admin');
    expect(body.reportees).toEqual([
      expect.objectContaining({ userPrincipalName: 'manager@test.contoso.test', depth: 1, eligible: true, ineligibleReasons: [] }),
      expect.objectContaining({ userPrincipalName: 'report@test.contoso.test', depth: 2, jobTitle: 'Engineer', eligible: true }),
    ]);
  });

  it('unknown API paths are problem+json 404 for everyone', async () => {
    for (const caller of CALLERS) {
      const { status, body } = await call(catchAll.GET, '/api/nope', caller, { path: ['nope'] });
      expect(status, caller).toBe(404);
      expect(body).toMatchObject({ code: 'not-found', type: '/problems/not-found' });
    }
    const post = await catchAll.POST(new Request('http://localhost:3000/api/x', { method: 'POST' }), { params: Promise.resolve({ path: ['x'] }) });
    expect(post.status).toBe(404);
  });

  it('GET /api/health is 503 upstream-unavailable when the database cannot be reached', async () => {
    const saved = process.env.DATABASE_URL;
    // Nothing listens on the discard port: the connection is refused at once.
    process.env.DATABASE_URL = 'postgres://nobody:nothing@127.0.0.1:9/none';
    resetEnvForTests();
    try {
      await closeDb();
      const { status, body } = await call(health.GET, '/api/health', 'none');
      expect(status).toBe(503);
      expect(body).toMatchObject({ code: 'upstream-unavailable' });
    } finally {
      await closeDb();
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
      resetEnvForTests();
    }
  });
});
