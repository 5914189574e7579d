/**
 * The per-user API budget as the route wrapper applies it (lib/limits/check-api-budget.ts): real
 * routes, real tokens from the local tenant, a fresh database. Each test has users of its own,
 * because the budget is per user and the database is shared by the file.
 */
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { problemSchema } from '@/lib/contract/problem';
import { getOperationResponses, operations, type Operation } from '@/lib/contract/routes';
import { closeDb, getDb } from '@/lib/db/client';
import { resetEnvForTests } from '@/lib/env';
import { defineRoute } from '@/lib/http/route';
import { buildTestSeed, startLocalTenant, type LocalTenant, type TestSeedUser } from '@/lib/testing/local-tenant';
import { listDeclaredApiRoutes } from '@/lib/testing/api-route-files';
import { loadRouteHandler, useFreshRouteDatabase } from '@/lib/testing/route-harness';

const USERS = ['first', 'second', 'flood', 'crowd', 'anon', 'malformed', 'sweep', 'reset', 'offline'] as const;
type User = (typeof USERS)[number];
const LIMIT = 3;

let local: LocalTenant;
let dropDatabase: (() => Promise<void>) | undefined;
const tokens = {} as Record<User, string>;

function setBudget(perUser: number, windowSeconds: number): void {
  process.env.API_BUDGET_PER_USER = String(perUser);
  process.env.API_BUDGET_WINDOW_SECONDS = String(windowSeconds);
  resetEnvForTests();
}

beforeAll(async () => {
  // `malformed` calls an approvers' route, so that its refusals are about the body, not the role;
  // `sweep` calls every route, so that none refuses it for its role first.
  const roles: Partial<Record<User, TestSeedUser['appRoles']>> = { malformed: ['TapBroker.Approver'], sweep: ['TapBroker.Admin'] };
  local = await startLocalTenant(buildTestSeed(USERS.map((upn) => ({ upn, displayName: `User ${upn}`, ...(roles[upn] ? { appRoles: roles[upn] } : {}) }))));
  dropDatabase = await useFreshRouteDatabase();
  for (const user of USERS) tokens[user] = await local.getUserToken(user);
  // An hour: the calls of a test cannot straddle two windows (the reset test sets its own).
  setBudget(LIMIT, 3600);
});

afterAll(async () => {
  await dropDatabase?.();
  await local?.close();
});

const noParams = { params: Promise.resolve({}) };
const signedIn = defineRoute({ allow: 'signed-in' }, async ({ actor }) => ({ id: actor.id }));
const open = defineRoute({ allow: 'anyone' }, async () => ({ ok: true }));
const withBody = defineRoute('denyTapRequest', async ({ body }) => ({ reason: body.reason }));

function call(route: ReturnType<typeof defineRoute>, user?: User): Promise<Response> {
  const headers: Record<string, string> = user === undefined ? {} : { authorization: `Bearer ${tokens[user]}` };
  return route(new Request('http://localhost:3000/api/test', { headers }), noParams);
}

async function exceededEvents(user: User) {
  const db = await getDb();
  return db.auditEvent.findMany({ where: { type: 'rate_limit.exceeded', actorId: local.userId(user) }, orderBy: { seq: 'asc' } });
}

async function expectRateLimited(response: Response): Promise<number> {
  expect(response.status).toBe(429);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const body = problemSchema.parse(await response.json());
  expect(body).toMatchObject({ code: 'rate-limited', status: 429, type: '/problems/rate-limited' });
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(3600);
  return retryAfter;
}

describe('the per-user API budget', () => {
  it('lets a user make LIMIT calls per window and refuses the next with 429, Retry-After and a problem', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await call(signedIn, 'first')).status).toBe(200);
    await expectRateLimited(await call(signedIn, 'first'));
    // The first refusal of the window is audited, as the caller, with the budget that refused it.
    const [event, ...more] = await exceededEvents('first');
    expect(more).toEqual([]);
    expect(event?.data).toMatchObject({ budget: 'api', limit: LIMIT, windowSeconds: 3600, retryAfterSeconds: expect.any(Number) });
    expect(new Date(String((event?.data as { windowStart: string }).windowStart)).getTime() % 3_600_000).toBe(0);
  });

  it('leaves every other user alone', async () => {
    for (let i = 0; i < LIMIT + 2; i++) await call(signedIn, 'flood');
    expect((await call(signedIn, 'flood')).status).toBe(429);
    const second = await call(signedIn, 'second');
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ id: local.userId('second') });
    expect(await exceededEvents('second')).toEqual([]);
  });

  it('audits one refusal per window however many come, concurrent or not, from the call that was first', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => call(signedIn, 'crowd')));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(LIMIT);
    const refused = responses.filter((r) => r.status === 429);
    expect(refused).toHaveLength(20 - LIMIT);
    for (const response of refused) await expectRateLimited(response);
    await expectRateLimited(await call(signedIn, 'crowd'));

    const events = await exceededEvents('crowd');
    expect(events).toHaveLength(1);
    const context = (events[0]?.data as { context: { requestId: string } }).context;
    expect(refused.map((r) => r.headers.get('x-request-id'))).toContain(context.requestId);
    expect((await verifyAuditChain(await getDb())).ok).toBe(true);
  });

  it('does not count routes open to anyone, even with a token on them', async () => {
    const db = await getDb();
    const windows = await db.rateWindow.count();
    for (let i = 0; i < LIMIT + 2; i++) {
      expect((await call(open)).status).toBe(200);
      expect((await call(open, 'anon')).status).toBe(200);
    }
    expect(await db.rateWindow.count()).toBe(windows);
    for (let i = 0; i < LIMIT; i++) expect((await call(signedIn, 'anon')).status).toBe(200);
    await expectRateLimited(await call(signedIn, 'anon'));
    // Over budget, the open routes still answer.
    expect((await call(open, 'anon')).status).toBe(200);
  });

  it('counts malformed calls: the budget is checked before the input is read', async () => {
    const id = '6f1d2c3b-4a5e-4f60-8718-293a4b5c6d7e';
    const deny = (body: string) =>
      withBody(
        new Request(`http://localhost:3000/api/tap-requests/${id}/deny`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.malformed}`, 'content-type': 'application/json' },
          body,
        }),
        { params: Promise.resolve({ id }) },
      );
    for (let i = 0; i < LIMIT; i++) expect((await deny('{oops')).status).toBe(400);
    // Well-formed now, and still refused: the malformed calls used the budget up.
    await expectRateLimited(await deny('{"reason":"no"}'));
  });

  it('is checked by every route module under app/api that reads a token, as its contract declares', async () => {
    const table = operations as readonly Operation[];
    for (let i = 0; i < LIMIT; i++) expect((await call(signedIn, 'sweep')).status).toBe(200);
    const authenticated = listDeclaredApiRoutes().filter((route) => table.find((op) => op.id === route.operation)?.allow !== 'anyone');
    expect(authenticated.length).toBeGreaterThanOrEqual(20);
    for (const declared of authenticated) {
      const label = `${declared.method} ${declared.path}`;
      const handler = await loadRouteHandler(path.posix.dirname(declared.file).replace(/^app\/api\//, ''), declared.method);
      // Refused before the path, query or body is read: none is given.
      const request = new Request(`http://localhost:3000${declared.path}`, { method: declared.method, headers: { authorization: `Bearer ${tokens.sweep}` } });
      const response = await handler(request, { params: Promise.resolve(Object.fromEntries(declared.params.map((name) => [name, 'x']))) });
      expect(response.status, label).toBe(429);
      const operation = table.find((op) => op.id === declared.operation);
      const spec = operation === undefined ? undefined : getOperationResponses(operation)[429];
      expect(spec !== undefined && 'kind' in spec && spec.kind === 'problem' && spec.codes.includes('rate-limited'), `${label} declares 429`).toBe(true);
    }
    expect(await exceededEvents('sweep')).toHaveLength(1);
  });
});

describe('the window', () => {
  beforeAll(() => setBudget(1, 1));
  afterAll(() => setBudget(LIMIT, 3600));

  it('starts afresh when it ends: a client that waits Retry-After gets in again', async () => {
    // Calls until one is refused: a window may end between the first calls, but not between a
    // refusal and the wait it advises.
    let response = await call(signedIn, 'reset');
    while (response.status === 200) response = await call(signedIn, 'reset');
    const retryAfter = await expectRateLimited(response);
    expect(retryAfter).toBe(1);
    await delay(retryAfter * 1000);
    expect((await call(signedIn, 'reset')).status).toBe(200);
    const windows = (await exceededEvents('reset')).map((event) => (event.data as { windowStart: string }).windowStart);
    expect(new Set(windows).size).toBe(windows.length);
  });
});

describe('without a database', () => {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.DATABASE_URL;
  });
  afterAll(async () => {
    await closeDb();
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
    resetEnvForTests();
  });

  it('refuses an authenticated call with 503 upstream-unavailable, not a 500', async () => {
    await closeDb();
    // Nothing listens on port 1: every connection is refused.
    process.env.DATABASE_URL = 'postgres://nobody@127.0.0.1:1/nothing';
    resetEnvForTests();
    const response = await call(signedIn, 'offline');
    expect(response.status).toBe(503);
    expect(z.object({ code: z.literal('upstream-unavailable') }).safeParse(await response.json()).success).toBe(true);
    // The routes open to anyone do not need it.
    expect((await call(open)).status).toBe(200);
  });
});
