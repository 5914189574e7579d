/**
 * `GET /users/delta` on the local Graph: a full round over several pages, later rounds that carry
 * exactly the users that changed (removed ones as `@removed`), empty rounds, stale tokens (a seed
 * replacement, the forced-resync fault) answered 410 with where to start over, page sizes through
 * `Prefer: odata.maxpagesize`, and the query options Graph refuses on delta.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { userIdFromUpn } from '../seed';
import { startTestTenant, type TestTenant } from '../testing';
import { tokenWithPermissions } from './test-graph';

const TENANT_ID = '7a0c1b7e-2a41-4c3e-9d0b-6a1f2e3d4c5b';
const BROKER = { clientId: '7b2c3d4e-0000-4000-8000-00000000b001', secret: 'broker-secret-for-tests' };
const SELECT = 'displayName,userPrincipalName,accountEnabled,userType,manager';
const REPORTS = 12;
const upn = (name: string): string => `${name}@contoso.test`;
const dev = (i: number): string => upn(`dev${String(i).padStart(2, '0')}`);
const id = (u: string): string => userIdFromUpn(u);

function seed(): Record<string, unknown> {
  return {
    tenantId: TENANT_ID,
    portal: { clientId: '7b2c3d4e-0000-4000-8000-00000000c001', apiClientId: '7b2c3d4e-0000-4000-8000-00000000c002', scope: 'access_as_user', redirectUris: ['http://localhost:3000'] },
    broker: { clientId: BROKER.clientId, clientSecret: BROKER.secret, graphPermissions: ['User.Read.All'] },
    automation: { clientId: '7b2c3d4e-0000-4000-8000-00000000a001', clientSecret: 'other-secret-for-tests', graphPermissions: [] },
    tapPolicy: { state: 'enabled' },
    users: [
      { userPrincipalName: upn('megan'), displayName: 'Megan' },
      { userPrincipalName: upn('alex'), displayName: 'Alex', manager: upn('megan') },
      { userPrincipalName: upn('bianca'), displayName: 'Bianca', manager: upn('megan') },
      ...Array.from({ length: REPORTS }, (_, i) => ({ userPrincipalName: dev(i + 1), displayName: `Dev ${i + 1}`, manager: upn('alex') })),
    ],
  };
}

let tenant: TestTenant;
let reader: string;
let writer: string;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function tokenFor(clientId: string, secret: string): Promise<string> {
  const res = await tenant.fetch(`${tenant.url}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope: 'https://graph.microsoft.com/.default' }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** `pathOrUrl`: relative to `/graph/v1.0`, or an absolute nextLink / deltaLink. */
async function graph(pathOrUrl: string, opts: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${tenant.url}/graph/v1.0${pathOrUrl}`;
  const res = await tenant.fetch(url, {
    method: opts.method ?? 'GET',
    headers: { authorization: `Bearer ${opts.token ?? reader}`, ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

interface Round {
  items: Record<string, unknown>[];
  pages: number;
  deltaLink: string;
}

/** Follows nextLinks from `start` to the deltaLink, as a client does. */
async function runRound(start: string, headers: Record<string, string> = {}): Promise<Round> {
  const items: Record<string, unknown>[] = [];
  let url = start;
  for (let pages = 1; ; pages++) {
    const answer = await graph(url, { headers });
    expect(answer.status).toBe(200);
    items.push(...(answer.body['value'] as Record<string, unknown>[]));
    const next = answer.body['@odata.nextLink'];
    const delta = answer.body['@odata.deltaLink'];
    // A page carries one link or the other, never both.
    expect(typeof next === 'string' ? delta : next).toBeUndefined();
    if (typeof delta === 'string') return { items, pages, deltaLink: delta };
    url = next as string;
  }
}

function expectError(answer: Answer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  const error = answer.body['error'] as { code: string; message: string; innerError: Record<string, string> };
  expect(error.code).toBe(code);
  expect(error.message.length).toBeGreaterThan(0);
  expect(error.innerError['request-id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(error.innerError['date']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
}

async function resetTenant(): Promise<void> {
  const res = await tenant.fetch(`${tenant.url}/_tenant/seed`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(seed()) });
  expect(res.status).toBe(200);
  writer = await tokenWithPermissions(tenant, ['User.ReadWrite.All']);
}

beforeAll(async () => {
  tenant = await startTestTenant({ seed: seed() });
  reader = await tokenFor(BROKER.clientId, BROKER.secret);
});

afterAll(async () => {
  await tenant?.close();
});

beforeEach(async () => {
  await resetTenant();
  await tenant.fetch(`${tenant.url}/_tenant/faults/reset`, { method: 'POST' });
});

const everyone = (): string[] => [upn('megan'), upn('alex'), upn('bianca'), ...Array.from({ length: REPORTS }, (_, i) => dev(i + 1))];

describe('users/delta: the initial round', () => {
  it('returns every user exactly once over several pages, with the selected properties and manager ids', async () => {
    const round = await runRound(`/users/delta?$select=${SELECT}`, { prefer: 'odata.maxpagesize=4' });
    expect(round.pages).toBe(Math.ceil(everyone().length / 4));
    const ids = round.items.map((u) => u['id']);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(everyone().map(id).sort());
    const alex = round.items.find((u) => u['id'] === id(upn('alex')));
    expect(alex).toEqual({
      id: id(upn('alex')),
      displayName: 'Alex',
      userPrincipalName: upn('alex'),
      accountEnabled: true,
      userType: 'Member',
      'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: id(upn('megan')) }],
    });
    // No manager: no annotation.
    expect(round.items.find((u) => u['id'] === id(upn('megan')))).not.toHaveProperty('manager@delta');
    for (const i of [1, REPORTS]) {
      expect(round.items.find((u) => u['id'] === id(dev(i)))?.['manager@delta']).toEqual([{ '@odata.type': '#microsoft.graph.user', id: id(upn('alex')) }]);
    }
    expect(round.deltaLink).toMatch(new RegExp(`^${tenant.url}/graph/v1\\.0/users/delta\\?\\$deltatoken=[A-Za-z0-9_-]+$`));
  });

  it('carries the query options in the tokens: nextLinks and the deltaLink hold only a state token', async () => {
    const first = await graph(`/users/delta?$select=displayName`, { headers: { prefer: 'odata.maxpagesize=5' } });
    const next = first.body['@odata.nextLink'] as string;
    expect(next).toMatch(/\/users\/delta\?\$skiptoken=[A-Za-z0-9_-]+$/);
    const second = await graph(next);
    expect(Object.keys((second.body['value'] as Record<string, unknown>[])[0] ?? {}).sort()).toEqual(['displayName', 'id']);
    // Without Prefer, a page holds up to 200 users: this tenant fits in one.
    const whole = await graph('/users/microsoft.graph.delta()?$select=displayName');
    expect(whole.body['value']).toHaveLength(everyone().length);
    expect(whole.body).toHaveProperty('@odata.deltaLink');
  });

  it('returns the default properties without $select', async () => {
    const answer = await graph('/users/delta');
    const megan = (answer.body['value'] as Record<string, unknown>[]).find((u) => u['id'] === id(upn('megan')));
    expect(Object.keys(megan ?? {}).sort()).toEqual(
      ['businessPhones', 'displayName', 'givenName', 'id', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName'].sort(),
    );
  });
});

describe('users/delta: later rounds', () => {
  it('returns exactly the users moved, disabled, renamed or deleted since the deltaLink, and nothing else', async () => {
    const initial = await runRound(`/users/delta?$select=${SELECT}`, { prefer: 'odata.maxpagesize=4' });
    const moved = id(dev(3));
    const disabled = id(dev(5));
    const renamed = id(dev(7));
    const deleted = id(dev(9));
    expect((await graph(`/users/${moved}/manager/$ref`, { method: 'PUT', token: writer, body: { '@odata.id': `https://graph.microsoft.com/v1.0/users/${id(upn('bianca'))}` } })).status).toBe(204);
    expect((await graph(`/users/${disabled}`, { method: 'PATCH', token: writer, body: { accountEnabled: false } })).status).toBe(204);
    expect((await graph(`/users/${renamed}`, { method: 'PATCH', token: writer, body: { displayName: 'Dev Seven Renamed' } })).status).toBe(204);
    expect((await graph(`/users/${deleted}`, { method: 'DELETE', token: writer })).status).toBe(204);
    // Not tracked ($select has no jobTitle), so not reported.
    expect((await graph(`/users/${id(dev(11))}`, { method: 'PATCH', token: writer, body: { jobTitle: 'Lead' } })).status).toBe(204);

    const round = await runRound(initial.deltaLink, { prefer: 'odata.maxpagesize=2' });
    expect(round.pages).toBe(2);
    const byId = new Map(round.items.map((u) => [u['id'], u]));
    expect([...byId.keys()].sort()).toEqual([moved, disabled, renamed, deleted].sort());
    expect(round.items).toHaveLength(4);
    expect(byId.get(moved)).toMatchObject({ displayName: 'Dev 3', 'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: id(upn('bianca')) }] });
    expect(byId.get(disabled)).toMatchObject({ accountEnabled: false, userPrincipalName: dev(5) });
    expect(byId.get(disabled)).not.toHaveProperty('manager@delta');
    expect(byId.get(renamed)).toMatchObject({ displayName: 'Dev Seven Renamed' });
    expect(byId.get(deleted)).toEqual({ id: deleted, '@removed': { reason: 'changed' } });

    const quiet = await graph(round.deltaLink);
    expect(quiet.body['value']).toEqual([]);
    expect(quiet.body['@odata.deltaLink']).toEqual(expect.stringContaining('$deltatoken='));
  });

  it('reports a removed manager as a manager@delta entry marked @removed, and reports reports left without one', async () => {
    const initial = await runRound(`/users/delta?$select=${SELECT}`);
    expect((await graph(`/users/${id(upn('bianca'))}/manager/$ref`, { method: 'DELETE', token: writer })).status).toBe(204);
    const round = await runRound(initial.deltaLink);
    expect(round.items).toEqual([
      {
        id: id(upn('bianca')),
        displayName: 'Bianca',
        userPrincipalName: upn('bianca'),
        accountEnabled: true,
        userType: 'Member',
        'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: id(upn('megan')), '@removed': { reason: 'deleted' } }],
      },
    ]);

    // Deleting a manager leaves their reports without one: each of them changed too.
    expect((await graph(`/users/${id(upn('alex'))}`, { method: 'DELETE', token: writer })).status).toBe(204);
    const after = await runRound(round.deltaLink);
    expect(after.items).toHaveLength(REPORTS + 1);
    expect(after.items.find((u) => u['id'] === id(upn('alex')))).toEqual({ id: id(upn('alex')), '@removed': { reason: 'changed' } });
    expect(after.items.find((u) => u['id'] === id(dev(1)))?.['manager@delta']).toEqual([{ '@odata.type': '#microsoft.graph.user', id: id(upn('alex')), '@removed': { reason: 'deleted' } }]);
  });

  it('returns only the changed properties with Prefer: return=minimal', async () => {
    const initial = await runRound(`/users/delta?$select=${SELECT}`);
    await graph(`/users/${id(dev(2))}`, { method: 'PATCH', token: writer, body: { accountEnabled: false } });
    const round = await runRound(initial.deltaLink, { prefer: 'return=minimal' });
    expect(round.items).toEqual([{ id: id(dev(2)), accountEnabled: false }]);
  });

  it('answers an unchanged tenant with an empty page and a new deltaLink', async () => {
    const initial = await runRound(`/users/delta?$select=${SELECT}`);
    const again = await graph(initial.deltaLink);
    expect(again.status).toBe(200);
    expect(again.body['value']).toEqual([]);
    expect(again.body).not.toHaveProperty('@odata.nextLink');
    expect(typeof again.body['@odata.deltaLink']).toBe('string');
  });

  it('tracks only the ids of a $filter on id', async () => {
    const initial = await runRound(`/users/delta?$select=displayName&$filter=${encodeURIComponent(`id eq '${id(dev(1))}' or id eq '${id(dev(2))}'`)}`);
    expect(initial.items.map((u) => u['id']).sort()).toEqual([id(dev(1)), id(dev(2))].sort());
    await graph(`/users/${id(dev(1))}`, { method: 'PATCH', token: writer, body: { displayName: 'One' } });
    await graph(`/users/${id(dev(3))}`, { method: 'PATCH', token: writer, body: { displayName: 'Three' } });
    expect((await runRound(initial.deltaLink)).items).toEqual([{ id: id(dev(1)), displayName: 'One' }]);
  });

  it('gives a deltaLink at the current state and no users for $deltatoken=latest', async () => {
    const latest = await graph('/users/delta?$deltatoken=latest');
    expect(latest.body['value']).toEqual([]);
    await graph(`/users/${id(dev(4))}`, { method: 'PATCH', token: writer, body: { displayName: 'Four' } });
    const round = await runRound(latest.body['@odata.deltaLink'] as string);
    expect(round.items.map((u) => u['id'])).toEqual([id(dev(4))]);
  });
});

describe('users/delta: stale state', () => {
  it('answers a token from before a seed replacement with 410 syncStateNotFound and the initial query as Location', async () => {
    const initial = await runRound(`/users/delta?$select=${SELECT}`);
    const paged = await graph(`/users/delta?$select=${SELECT}`, { headers: { prefer: 'odata.maxpagesize=3' } });
    await resetTenant();
    for (const link of [initial.deltaLink, paged.body['@odata.nextLink'] as string]) {
      const gone = await graph(link);
      expectError(gone, 410, 'syncStateNotFound');
      expect(gone.headers.get('location')).toBe(`${tenant.url}/graph/v1.0/users/delta?$select=${SELECT}`);
    }
    const garbled = await graph('/users/delta?$deltatoken=not-a-token');
    expectError(garbled, 410, 'syncStateNotFound');
  });

  it('answers the next token-bearing delta call 410 when the resync fault is set, once', async () => {
    const initial = await runRound(`/users/delta?$select=${SELECT}`);
    const set = await tenant.fetch(`${tenant.url}/_tenant/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deltaResyncNext: 1 }) });
    expect(((await set.json()) as { deltaResyncNext: number }).deltaResyncNext).toBe(1);
    // An initial request has no state to lose: it is served, and the fault waits.
    expect((await graph('/users/delta?$select=displayName')).status).toBe(200);
    expectError(await graph(initial.deltaLink), 410, 'syncStateNotFound');
    expect((await graph(initial.deltaLink)).status).toBe(200);
  });
});

describe('users/delta: query options and counting', () => {
  it.each([
    ['$orderby=displayName', 'Request_UnsupportedQuery'],
    ['$top=5', 'Request_UnsupportedQuery'],
    ['$expand=manager', 'Request_UnsupportedQuery'],
    ['$count=true', 'Request_UnsupportedQuery'],
    [`$filter=${encodeURIComponent("displayName eq 'Alex'")}`, 'Request_UnsupportedQuery'],
    ['$select=nosuchproperty', 'BadRequest'],
  ])('refuses %s with 400 in Graph\'s error shape', async (query, code) => {
    expectError(await graph(`/users/delta?${query}`), 400, code);
  });

  it('refuses query options added to a deltaLink', async () => {
    const initial = await runRound('/users/delta?$select=displayName');
    expectError(await graph(`${initial.deltaLink}&$select=jobTitle`), 400, 'Request_UnsupportedQuery');
  });

  it('refuses a token without a user read permission', async () => {
    const none = await tokenWithPermissions(tenant, []);
    expectError(await graph('/users/delta', { token: none }), 403, 'Authorization_RequestDenied');
  });

  it('counts delta requests in the stats under one template, however the function is spelt', async () => {
    await tenant.fetch(`${tenant.url}/_tenant/stats/reset`, { method: 'POST' });
    await graph('/users/delta?$select=displayName');
    await graph('/users/microsoft.graph.delta()?$select=displayName');
    const stats = (await (await tenant.fetch(`${tenant.url}/_tenant/stats`)).json()) as { graph: Record<string, number> };
    expect(stats.graph['GET /v1.0/users/delta']).toBe(2);
  });
});
