/**
 * The local tenant's server: landing page, admin routes, Graph fault injection and request
 * counting, seed replacement — over real HTTPS.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import demoOrg from './demo-org.json';
import { graphRequestTemplate } from './faults';
import { startTestTenant, type TestTenant } from './testing';

let tenant: TestTenant;

beforeAll(async () => {
  tenant = await startTestTenant();
});

afterAll(async () => {
  await tenant.close();
});

beforeEach(async () => {
  await tenant.fetch(`${tenant.url}/_tenant/faults/reset`, { method: 'POST' });
  await tenant.fetch(`${tenant.url}/_tenant/stats/reset`, { method: 'POST' });
});

async function putJson(path: string, body: unknown): Promise<Response> {
  return tenant.fetch(`${tenant.url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function stats(): Promise<{ graph: Record<string, number>; entra: Record<string, number> }> {
  return (await (await tenant.fetch(`${tenant.url}/_tenant/stats`)).json()) as { graph: Record<string, number>; entra: Record<string, number> };
}

describe('landing page and certificate', () => {
  it('explains itself and links back only to loopback URLs', async () => {
    const ok = await tenant.fetch(`${tenant.url}/?return=${encodeURIComponent('http://localhost:3000/reportees')}`);
    const html = await ok.text();
    expect(html).toContain('TAP Broker local tenant');
    expect(html).toContain('stand-in for Microsoft Entra ID');
    expect(html).toContain('href="http://localhost:3000/reportees"');

    const evil = await (await tenant.fetch(`${tenant.url}/?return=${encodeURIComponent('https://evil.example/')}`)).text();
    expect(evil).not.toContain('evil.example');
  });

  it('serves its certificate', async () => {
    const res = await tenant.fetch(`${tenant.url}/_tenant/cert.pem`);
    expect(await res.text()).toBe(tenant.certPem);
  });
});

describe('Graph request counting and faults', () => {
  it('templates ids, UPNs and query strings away', () => {
    expect(graphRequestTemplate('get', '/v1.0/users/6f1967b7-15e8-4935-ac26-d50770ed07a7/directReports?$select=id')).toBe(
      'GET /v1.0/users/{id}/directReports',
    );
    expect(graphRequestTemplate('PUT', '/v1.0/users/megan%40contoso.test/manager/$ref')).toBe('PUT /v1.0/users/{id}/manager/$ref');
    expect(graphRequestTemplate('POST', '/v1.0/$batch')).toBe('POST /v1.0/$batch');
  });

  it('counts every Graph round trip and Entra request by template', async () => {
    await tenant.fetch(`${tenant.url}/graph/v1.0/users/megan.bowen@contoso.test/directReports`);
    await tenant.fetch(`${tenant.url}/graph/v1.0/users/00000000-0000-4000-8000-00000000abcd/directReports?$top=5`);
    await tenant.fetch(`${tenant.url}/${tenant.ctx.directory.tenantId}/discovery/v2.0/keys`);
    const s = await stats();
    expect(s.graph).toEqual({ 'GET /v1.0/users/{id}/directReports': 2 });
    expect(s.entra).toEqual({ 'GET /{tenant}/discovery/v2.0/keys': 1 });
  });

  it('throttles the next N Graph requests with 429 and Retry-After in Graph\'s envelope', async () => {
    const put = await putJson('/_tenant/faults', { throttleNext: 2, retryAfterSeconds: 7 });
    expect(await put.json()).toMatchObject({ throttleNext: 2, retryAfterSeconds: 7, latencyMs: 0 });
    for (let i = 0; i < 2; i++) {
      const res = await tenant.fetch(`${tenant.url}/graph/v1.0/users`, { headers: { 'client-request-id': `crid-${i}` } });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      const body = (await res.json()) as { error: { code: string; innerError: Record<string, string> } };
      expect(body.error.code).toBe('TooManyRequests');
      expect(body.error.innerError['client-request-id']).toBe(`crid-${i}`);
      expect(body.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    }
    const third = await tenant.fetch(`${tenant.url}/graph/v1.0/users`);
    expect(third.status).not.toBe(429);
    expect((await stats()).graph['GET /v1.0/users']).toBe(3);
  });

  it('answers 503 serviceNotAvailable, then drops a connection, when asked', async () => {
    await putJson('/_tenant/faults', { unavailableNext: 1, dropNext: 1 });
    // Drop comes first in the fault order.
    await expect(tenant.fetch(`${tenant.url}/graph/v1.0/users`)).rejects.toThrow();
    const res = await tenant.fetch(`${tenant.url}/graph/v1.0/users`);
    expect(res.status).toBe(503);
    expect(res.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('serviceNotAvailable');
    expect((await (await tenant.fetch(`${tenant.url}/_tenant/faults`)).json()) as object).toMatchObject({ unavailableNext: 0, dropNext: 0 });
  });

  it('refuses malformed fault settings', async () => {
    const res = await putJson('/_tenant/faults', { throttleRate: 2, surprise: true });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string };
    expect(body.message).toContain('throttleRate');
  });

  it('never injects faults into the Entra endpoints', async () => {
    await putJson('/_tenant/faults', { throttleRate: 1 });
    const res = await tenant.fetch(`${tenant.url}/${tenant.ctx.directory.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
  });
});

describe('PUT /_tenant/seed', () => {
  it('replaces the directory, and refuses a bad seed with a message naming the entry', async () => {
    const seed = structuredClone(demoOrg) as typeof demoOrg;
    seed.users = seed.users.slice(0, 2);
    // The demo's groups and administrative units name users beyond the first two.
    seed.groups = [];
    seed.administrativeUnits = [];
    const ok = await putJson('/_tenant/seed', seed);
    expect(await ok.json()).toEqual({ tenantId: demoOrg.tenantId, users: 2 });
    expect(tenant.ctx.directory.users.size).toBe(2);

    const bad = structuredClone(seed);
    const second = bad.users[1];
    if (second) second.manager = 'nobody@contoso.test';
    const refused = await putJson('/_tenant/seed', bad);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toContain(
      `users[1] (${second?.userPrincipalName}): manager "nobody@contoso.test" is not a user in the seed`,
    );
    expect(tenant.ctx.directory.users.size).toBe(2);

    const restored = await putJson('/_tenant/seed', demoOrg);
    expect(restored.status).toBe(200);
  });

  it('requires a JSON content type (so a web page cannot post it cross-site without a preflight)', async () => {
    const res = await tenant.fetch(`${tenant.url}/_tenant/seed`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(res.status).toBe(415);
  });
});
