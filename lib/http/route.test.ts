import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BrokerError } from '@/lib/core/errors';
import { defineRoute, json, readJsonBody, readQuery } from '@/lib/http/route';
import { buildTestSeed, startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';
import { useFreshRouteDatabase } from '@/lib/testing/route-harness';

let local: LocalTenant;
// Signed-in calls are counted against the caller's API budget, in the database.
let dropDatabase: (() => Promise<void>) | undefined;

beforeAll(async () => {
  local = await startLocalTenant(
    buildTestSeed([
      { upn: 'admin', displayName: 'Ann Admin', appRoles: ['TapBroker.Admin'] },
      { upn: 'approver', displayName: 'Al Approver', appRoles: ['TapBroker.Approver'] },
      { upn: 'auditor', displayName: 'Aud Auditor', appRoles: ['TapBroker.Auditor'] },
      { upn: 'member', displayName: 'Mem Ber' },
    ]),
  );
  dropDatabase = await useFreshRouteDatabase();
});

afterAll(async () => {
  await dropDatabase?.();
  await local?.close();
});

const noParams = { params: Promise.resolve({}) };

async function call(handler: ReturnType<typeof defineRoute>, init: { token?: string; headers?: Record<string, string>; method?: string; body?: string } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  return handler(new Request('http://localhost:3000/api/test', { method: init.method ?? 'GET', headers, ...(init.body === undefined ? {} : { body: init.body }) }), noParams);
}

describe('defineRoute', () => {
  it('serves anyone-routes without looking at a token, with no-store and a request id', async () => {
    const route = defineRoute({ allow: 'anyone' }, async ({ actor }) => ({ actor }));
    const response = await call(route, { token: 'garbage' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ actor: null });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('always answers with its own request id and keeps a sane client id apart', async () => {
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const route = defineRoute({ allow: 'anyone' }, async ({ requestId, context }) => ({ requestId, contextId: context.requestId, clientRequestId: context.clientRequestId }));
    const sane = await call(route, { headers: { 'x-request-id': 'gw-42.abc' } });
    const ours = sane.headers.get('x-request-id');
    expect(ours).toMatch(UUID);
    expect(await sane.json()).toEqual({ requestId: ours, contextId: ours, clientRequestId: 'gw-42.abc' });
    const hostile = await call(route, { headers: { 'x-request-id': '<img src=x>' } });
    const hostileId = hostile.headers.get('x-request-id');
    expect(hostileId).toMatch(UUID);
    expect(await hostile.json()).toEqual({ requestId: hostileId, contextId: hostileId, clientRequestId: null });
    // A client cannot pick the server's id, not even by sending one shaped like it.
    const lookalike = await call(route, { headers: { 'x-request-id': ours ?? '' } });
    expect(lookalike.headers.get('x-request-id')).not.toBe(ours);
  });

  it('refuses signed-in routes without a valid token with 401 problem+json', async () => {
    let ran = false;
    const route = defineRoute({ allow: 'signed-in' }, async () => {
      ran = true;
      return {};
    });
    for (const token of [undefined, 'not-a-token']) {
      const response = await call(route, token === undefined ? {} : { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.json()).toMatchObject({ code: 'unauthenticated', status: 401, type: '/problems/unauthenticated' });
    }
    expect(ran).toBe(false);
  });

  it('passes the verified actor to signed-in routes', async () => {
    const route = defineRoute({ allow: 'signed-in' }, async ({ actor }) => ({ id: actor.id, roles: actor.roles }));
    const response = await call(route, { token: await local.getUserToken('member') });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: local.userId('member'), roles: [] });
  });

  it.each([
    [['approver'] as const, { admin: 200, approver: 200, auditor: 403, member: 403 }],
    [['auditor'] as const, { admin: 200, approver: 403, auditor: 200, member: 403 }],
    [['approver', 'auditor'] as const, { admin: 200, approver: 200, auditor: 200, member: 403 }],
    [['admin'] as const, { admin: 200, approver: 403, auditor: 403, member: 403 }],
  ])('allow %j: admin implies approver and auditor', async (allow, expected) => {
    const route = defineRoute({ allow }, async () => ({ ok: true }));
    for (const [user, status] of Object.entries(expected)) {
      const response = await call(route, { token: await local.getUserToken(user) });
      expect(response.status, user).toBe(status);
      if (status === 403) expect(await response.json()).toMatchObject({ code: 'forbidden' });
    }
  });

  it('refuses to define a route with an empty role list', () => {
    expect(() => defineRoute({ allow: [] as unknown as ['admin'] }, async () => ({}))).toThrow(/allow/);
  });

  it('keeps a handler’s own Response status and headers, adding the standard ones', async () => {
    const route = defineRoute({ allow: 'anyone' }, async () => json({ created: true }, { status: 201, headers: { Location: '/api/x/1' } }));
    const response = await call(route);
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/api/x/1');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('maps BrokerErrors and hides unexpected errors', async () => {
    const conflict = defineRoute({ allow: 'anyone' }, async () => {
      throw new BrokerError('conflict', 'Already issued.');
    });
    const response = await call(conflict);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: 'conflict', detail: 'Already issued.' });

    const crash = defineRoute({ allow: 'anyone' }, async () => {
      throw new Error('connection string postgres://user:hunter2@db');
    });
    const crashed = await call(crash);
    expect(crashed.status).toBe(500);
    const text = await crashed.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'internal-error' });
    expect(text).not.toContain('hunter2');
    expect(crashed.headers.get('x-request-id')).toBeTruthy();
  });

  it('validates JSON bodies and queries into validation-failed', async () => {
    const route = defineRoute({ allow: 'anyone' }, async ({ request }) => {
      const query = readQuery(request, z.object({ scope: z.enum(['mine', 'all']).default('mine') }));
      const body = await readJsonBody(request, z.object({ n: z.number().int() }));
      return { query, body };
    });
    const handler = (query: string, init: { body?: string; type?: string }) =>
      route(
        new Request(`http://localhost:3000/api/test${query}`, {
          method: 'POST',
          headers: init.type === undefined ? {} : { 'content-type': init.type },
          ...(init.body === undefined ? {} : { body: init.body }),
        }),
        noParams,
      );
    const ok = await handler('?scope=all', { body: '{"n":3}', type: 'application/json' });
    expect(await ok.json()).toEqual({ query: { scope: 'all' }, body: { n: 3 } });
    for (const [query, init, path] of [
      ['?scope=bogus', { body: '{"n":3}', type: 'application/json' }, 'scope'],
      ['', { body: '{"n":"three"}', type: 'application/json' }, 'n'],
      ['', { body: '{oops', type: 'application/json' }, ''],
      ['', { body: '{"n":3}', type: 'text/plain' }, ''],
      ['', { body: JSON.stringify({ n: 1, pad: 'x'.repeat(70_000) }), type: 'application/json' }, ''],
    ] as const) {
      const response = await handler(query, init);
      expect(response.status, `${query} ${init.body.slice(0, 20)}`).toBe(400);
      const body = (await response.json()) as { code: string; errors: { path: string }[] };
      expect(body.code).toBe('validation-failed');
      expect(body.errors[0]?.path).toBe(path);
    }
  });

  it('takes allow, path parameters, query and body from the named operation, parsed before the handler runs', async () => {
    const seen: unknown[] = [];
    const deny = defineRoute('denyTapRequest', async ({ actor, params, body }) => {
      seen.push({ params, body });
      return { actor: actor.id, id: params.id, reason: body.reason };
    });
    const id = '6F1D2C3B-4A5E-4F60-8718-293A4B5C6D7E';
    const post = (token: string, routeId: string, body: string) =>
      deny(new Request(`http://localhost:3000/api/tap-requests/${routeId}/deny`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body }), {
        params: Promise.resolve({ id: routeId }),
      });
    const approver = await local.getUserToken('approver');

    const ok = await post(approver, id, '{"reason":"  not now  "}');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ actor: local.userId('approver'), id, reason: 'not now' });

    // `allow` is the table's (approvers): a member is refused before anything is parsed.
    const forbidden = await post(await local.getUserToken('member'), 'not-a-uuid', '{}');
    expect(forbidden.status).toBe(403);

    // A path id that is not a UUID names nothing: 404, as an unknown id, before the body is read.
    const unknown = await post(approver, 'not-a-uuid', '{"reason":"no"}');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('not-found');

    for (const [routeId, body, path] of [
      [id, '{"reason":"   "}', 'reason'],
      [id, '{"reason":"no","extra":1}', ''],
    ] as const) {
      const refused = await post(approver, routeId, body);
      expect(refused.status, `${routeId} ${body}`).toBe(400);
      const problem = (await refused.json()) as { code: string; errors: { path: string }[] };
      expect(problem.code).toBe('validation-failed');
      expect(problem.errors[0]?.path).toBe(path);
    }
    expect(seen).toHaveLength(1);
  });

  it('reads an optional body as {} and a declared query with its defaults', async () => {
    const approve = defineRoute('approveTapRequest', async ({ body }) => ({ body }));
    const list = defineRoute('listTapRequests', async ({ query }) => ({ query }));
    const token = await local.getUserToken('admin');
    const id = '6f1d2c3b-4a5e-4f60-8718-293a4b5c6d7e';
    const approved = await approve(new Request(`http://localhost:3000/api/tap-requests/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }), {
      params: Promise.resolve({ id }),
    });
    expect(await approved.json()).toEqual({ body: {} });
    const listed = await list(new Request('http://localhost:3000/api/tap-requests', { headers: { authorization: `Bearer ${token}` } }), noParams);
    expect(await listed.json()).toEqual({ query: { scope: 'mine' } });
    const bogus = await list(new Request('http://localhost:3000/api/tap-requests?scope=bogus', { headers: { authorization: `Bearer ${token}` } }), noParams);
    expect(bogus.status).toBe(400);
    // Every query is strict: a parameter the operation does not declare is a 400, not ignored.
    const unknown = await list(new Request('http://localhost:3000/api/tap-requests?scope=mine&status=issued', { headers: { authorization: `Bearer ${token}` } }), noParams);
    expect(unknown.status).toBe(400);
  });

  it('hands an unparsed body to the use case when the route says so, still as JSON', async () => {
    const update = defineRoute({ operation: 'updatePolicy', body: 'unparsed' }, async ({ body }) => ({ body }));
    const token = await local.getUserToken('admin');
    const put = (body: string, type = 'application/json') =>
      update(new Request('http://localhost:3000/api/policy', { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body }), noParams);
    expect(await (await put('{"colour":"blue"}')).json()).toEqual({ body: { colour: 'blue' } });
    expect((await put('{"colour":"blue"}', 'text/plain')).status).toBe(400);
  });

  it('refuses to define a route for an operation the contract does not have', () => {
    expect(() => defineRoute('listWidgets' as 'getMe', async () => ({}))).toThrow(/listWidgets/);
  });
});
