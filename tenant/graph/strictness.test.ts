/**
 * The local Graph is as strict as Microsoft Graph about advanced queries, expansion limits, page
 * sizes, cast spellings and per-endpoint permissions. Each rule is shown twice: the request a
 * careless client would send is refused the way Graph refuses it, and the request the portal
 * sends (its exact shape) passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdFromUpn } from '../seed';
import { startTestTenant, type TestTenant } from '../testing';

const TENANT_ID = '7a0c1b7e-2a41-4c3e-9d0b-6a1f2e3d4c5b';
const BROKER = { clientId: '7b2c3d4e-0000-4000-8000-00000000b001', secret: 'broker-secret-for-tests' };
const OTHER = { clientId: '7b2c3d4e-0000-4000-8000-00000000a001', secret: 'other-secret-for-tests' };
const EVENTUAL = { ConsistencyLevel: 'eventual' };
const DIRECTORY_READERS = '88d8e3e3-8f55-4a1e-953a-9b9898b8876b';
const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';
const REPORTS = 30;
/** More holders of one role than Graph expands (20). */
const READERS = 25;
const TAP_POLICY = '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass';
const TARGET_SELECT = 'id,displayName,userPrincipalName,jobTitle,department,accountEnabled,userType,employeeHireDate';
const CHAIN_EXPAND = 'manager($levels=max;$select=id,displayName,accountEnabled,userType)';

const dev = (i: number): string => `dev${String(i).padStart(2, '0')}@contoso.test`;
const id = (upn: string): string => userIdFromUpn(upn);

function seed(): Record<string, unknown> {
  return {
    tenantId: TENANT_ID,
    portal: { clientId: '7b2c3d4e-0000-4000-8000-00000000c001', apiClientId: '7b2c3d4e-0000-4000-8000-00000000c002', scope: 'access_as_user', redirectUris: ['http://localhost:3000'] },
    broker: {
      clientId: BROKER.clientId,
      clientSecret: BROKER.secret,
      graphPermissions: ['User.Read.All', 'UserAuthenticationMethod.ReadWrite.All', 'Policy.Read.AuthenticationMethod', 'RoleManagement.Read.Directory', 'GroupMember.Read.All'],
    },
    // Its grant is changed per test, to try each permission table.
    automation: { clientId: OTHER.clientId, clientSecret: OTHER.secret, graphPermissions: [] },
    tapPolicy: { state: 'enabled' },
    users: [
      { userPrincipalName: 'megan@contoso.test', displayName: 'Megan' },
      { userPrincipalName: 'alex@contoso.test', displayName: 'Alex', manager: 'megan@contoso.test' },
      { userPrincipalName: 'bianca@contoso.test', displayName: 'Bianca', manager: 'alex@contoso.test' },
      { userPrincipalName: 'ada@contoso.test', displayName: 'Ada', manager: 'bianca@contoso.test', directoryRoles: ['Global Administrator'] },
      ...Array.from({ length: REPORTS }, (_, i) => ({
        userPrincipalName: dev(i + 1),
        displayName: `Dev ${i + 1}`,
        manager: 'bianca@contoso.test',
        directoryRoles: i < READERS ? ['Directory Readers'] : [],
      })),
    ],
    groups: [
      { displayName: 'Ops', isAssignableToRole: true, members: ['ada@contoso.test'] },
      { displayName: 'Everyone', members: ['ada@contoso.test', dev(1)] },
      { displayName: 'Big', members: Array.from({ length: READERS }, (_, i) => dev(i + 1)), owners: ['bianca@contoso.test'] },
    ],
  };
}

let tenant: TestTenant;
let brokerToken: string;

interface GraphAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

async function tokenFor(clientId: string, secret: string): Promise<string> {
  const res = await tenant.fetch(`${tenant.url}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope: 'https://graph.microsoft.com/.default' }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (typeof body.access_token !== 'string') throw new Error(`no token (${res.status})`);
  return body.access_token;
}

/** A token for the second app holding exactly `permissions`. */
async function tokenWith(permissions: string[]): Promise<string> {
  const automation = tenant.ctx.directory.automation;
  if (automation === null) throw new Error('seed without automation app');
  automation.graphPermissions = permissions;
  return tokenFor(OTHER.clientId, OTHER.secret);
}

/** `pathOrUrl`: relative to `/graph/v1.0`, or an absolute nextLink. */
async function graph(pathOrUrl: string, opts: { headers?: Record<string, string>; token?: string; method?: string; body?: unknown } = {}): Promise<GraphAnswer> {
  const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${tenant.url}/graph/v1.0${pathOrUrl}`;
  const res = await tenant.fetch(url, {
    method: opts.method ?? 'GET',
    headers: { authorization: `Bearer ${opts.token ?? brokerToken}`, ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text) as Record<string, unknown>;
  return { status: res.status, headers: res.headers, body, text };
}

/** Graph's error envelope, with the code and (when given) the message. */
function expectGraphError(answer: GraphAnswer, status: number, code: string, message?: string): void {
  expect(answer.status).toBe(status);
  const error = answer.body['error'] as { code: string; message: string; innerError: Record<string, string> };
  expect(error.code).toBe(code);
  if (message !== undefined) expect(error.message).toBe(message);
  expect(error.innerError['request-id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(error.innerError['date']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
}

const values = (a: GraphAnswer): Record<string, unknown>[] => a.body['value'] as Record<string, unknown>[];

beforeAll(async () => {
  tenant = await startTestTenant({ seed: seed() });
  brokerToken = await tokenFor(BROKER.clientId, BROKER.secret);
});

afterAll(async () => {
  await tenant?.close();
});

describe('$levels needs ConsistencyLevel: eventual', () => {
  const url = `/users/${id(dev(1))}?$select=${TARGET_SELECT}&$expand=${CHAIN_EXPAND}`;

  it('refuses the manager chain without the header, Request_UnsupportedQuery', async () => {
    const answer = await graph(url);
    expectGraphError(answer, 400, 'Request_UnsupportedQuery');
    expect((answer.body['error'] as { message: string }).message).toContain('ConsistencyLevel:eventual');
  });

  it("answers the portal's request, every nested manager typed as a user", async () => {
    const answer = await graph(url, { headers: EVENTUAL });
    expect(answer.status).toBe(200);
    const chain: string[] = [];
    let node = answer.body['manager'] as Record<string, unknown> | undefined;
    while (node !== undefined) {
      expect(node['@odata.type']).toBe('#microsoft.graph.user');
      expect(Object.keys(node).filter((k) => k !== 'manager').sort()).toEqual(['@odata.type', 'accountEnabled', 'displayName', 'id', 'userType']);
      chain.push(node['id'] as string);
      node = node['manager'] as Record<string, unknown> | undefined;
    }
    expect(chain).toEqual([id('bianca@contoso.test'), id('alex@contoso.test'), id('megan@contoso.test')]);
  });

  it('answers $levels on the /users list with Graph\'s Request_Unsupported, header or not', async () => {
    const message = "Transitive manager's list is only supported on a single user, send the $expand request on /users/{id} endpoint";
    expectGraphError(await graph('/users?$expand=manager($levels=max;$select=id)', { headers: EVENTUAL }), 400, 'Request_Unsupported', message);
    expectGraphError(await graph('/users?$expand=manager($levels=2)'), 400, 'Request_Unsupported', message);
  });
});

describe('OData casts and $count are advanced queries', () => {
  const roles = `/users/${id('ada@contoso.test')}/transitiveMemberOf/microsoft.graph.directoryRole?$count=true&$select=id,roleTemplateId&$top=999`;
  const groups = `/users/${id('ada@contoso.test')}/transitiveMemberOf/microsoft.graph.group?$count=true&$select=id,isAssignableToRole&$top=999`;

  it('refuses a cast without the header, or without $count=true', async () => {
    for (const url of [roles, groups]) {
      expectGraphError(await graph(url), 400, 'Request_UnsupportedQuery');
      expectGraphError(await graph(url.replace('$count=true&', ''), { headers: EVENTUAL }), 400, 'Request_UnsupportedQuery');
    }
    expectGraphError(await graph(`/users/${id('bianca@contoso.test')}/directReports/microsoft.graph.user?$select=id`), 400, 'Request_UnsupportedQuery');
  });

  it("answers the portal's cast requests", async () => {
    const r = await graph(roles, { headers: EVENTUAL });
    expect(r.status).toBe(200);
    expect(r.body['@odata.count']).toBe(1);
    expect(values(r)).toEqual([{ '@odata.type': '#microsoft.graph.directoryRole', id: expect.any(String), roleTemplateId: GLOBAL_ADMIN }]);
    const g = await graph(groups, { headers: EVENTUAL });
    expect(g.status).toBe(200);
    expect(values(g).map((x) => x['isAssignableToRole']).sort()).toEqual([false, true]);
    const reports = await graph(`/users/${id('bianca@contoso.test')}/directReports/microsoft.graph.user?$count=true&$select=id`, { headers: EVENTUAL });
    expect(reports.body['@odata.count']).toBe(REPORTS + 1);
  });

  it('refuses $count=true and /$count without the header; answers them with it', async () => {
    expectGraphError(await graph('/users?$count=true&$select=id'), 400, 'Request_UnsupportedQuery');
    expectGraphError(await graph(`/users/${id('bianca@contoso.test')}/directReports?$count=true`), 400, 'Request_UnsupportedQuery');
    expectGraphError(await graph('/users/$count'), 400, 'Request_BadRequest', '$count is not currently supported.');
    const listed = await graph('/users?$count=true&$select=id', { headers: EVENTUAL });
    expect(listed.body['@odata.count']).toBe(REPORTS + 4);
    const counted = await graph('/users/$count', { headers: EVENTUAL });
    expect(counted.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(counted.text).toBe(String(REPORTS + 4));
  });

  it('applies the same rules to $batch items, whose headers travel in the item', async () => {
    const batch = await graph('/$batch', {
      method: 'POST',
      body: {
        requests: [
          { id: 'with', method: 'GET', url: roles, headers: EVENTUAL },
          { id: 'without', method: 'GET', url: roles },
          { id: 'chain', method: 'GET', url: `/users/${id(dev(1))}?$select=id&$expand=${CHAIN_EXPAND}`, headers: EVENTUAL },
        ],
      },
    });
    const byId = new Map((batch.body['responses'] as { id: string; status: number; body: { error?: { code: string } } }[]).map((r) => [r.id, r]));
    expect(byId.get('with')?.status).toBe(200);
    expect(byId.get('without')?.status).toBe(400);
    expect(byId.get('without')?.body.error?.code).toBe('Request_UnsupportedQuery');
    expect(byId.get('chain')?.status).toBe(200);
  });
});

describe('nextLinks of advanced queries need the header again', () => {
  it('refuses the next page of a cast without the header and serves it with', async () => {
    const first = await graph(`/users/${id('bianca@contoso.test')}/directReports/microsoft.graph.user?$count=true&$select=id&$top=10`, { headers: EVENTUAL });
    const next = first.body['@odata.nextLink'] as string;
    expect(next).toMatch(/\$skiptoken=/);
    expectGraphError(await graph(next), 400, 'Request_UnsupportedQuery');
    const seen = values(first).map((u) => u['id'] as string);
    let url: string | undefined = next;
    while (url !== undefined) {
      const page = await graph(url, { headers: EVENTUAL });
      expect(page.status).toBe(200);
      // `@odata.count` belongs to the first page only.
      expect(page.body).not.toHaveProperty('@odata.count');
      seen.push(...values(page).map((u) => u['id'] as string));
      url = page.body['@odata.nextLink'] as string | undefined;
    }
    expect(new Set(seen).size).toBe(REPORTS + 1);
  });

  it('marks $count=true queries too, and leaves ordinary nextLinks free of the header', async () => {
    const counted = await graph('/users?$count=true&$select=id&$top=5', { headers: EVENTUAL });
    expectGraphError(await graph(counted.body['@odata.nextLink'] as string), 400, 'Request_UnsupportedQuery');
    const plain = await graph(`/users/${id('bianca@contoso.test')}/directReports?$select=id&$top=10`);
    const page2 = await graph(plain.body['@odata.nextLink'] as string);
    expect(page2.status).toBe(200);
    expect(values(page2)).toHaveLength(10);
  });
});

describe('$expand limits', () => {
  it('expands at most 20 members of a collection, with no nextLink for the rest', async () => {
    const answer = await graph('/directoryRoles?$expand=members($select=id)');
    expect(answer.status).toBe(200);
    const readers = values(answer).find((r) => r['roleTemplateId'] === DIRECTORY_READERS) as Record<string, unknown>;
    expect(readers['members']).toHaveLength(20);
    expect(Object.keys(readers).filter((k) => k.startsWith('members@'))).toEqual([]);
    expect(answer.body).not.toHaveProperty('@odata.nextLink');
    // The role's own members collection is complete.
    const all = await graph(`/directoryRoles/${readers['id'] as string}/members?$select=id&$top=999`);
    expect(values(all)).toHaveLength(READERS);
  });

  it('caps a group’s expanded members at 20 too, and expands its owners', async () => {
    const big = [...tenant.ctx.directory.groups.values()].find((g) => g.displayName === 'Big');
    const answer = await graph(`/groups/${big?.id ?? ''}?$select=id,displayName&$expand=members($select=id),owners($select=id)`);
    expect(answer.status).toBe(200);
    expect(answer.body['members']).toHaveLength(20);
    expect(answer.body['owners']).toEqual([{ '@odata.type': '#microsoft.graph.user', id: id('bianca@contoso.test') }]);
    expect(Object.keys(answer.body).filter((k) => k.includes('@odata.nextLink'))).toEqual([]);
    const members = await graph(`/groups/${big?.id ?? ''}/members?$select=id&$top=999`);
    expect(values(members)).toHaveLength(READERS);
    expectGraphError(await graph(`/groups/${big?.id ?? ''}?$expand=nothing`), 400, 'BadRequest');
  });

  it("refuses $top over 100 with $expand on /users; the portal's scan (100) passes", async () => {
    expectGraphError(
      await graph('/users?$select=id&$expand=manager($select=id)&$top=999'),
      400,
      'Request_BadRequest',
      "Invalid page size specified: '999'. Must be between 1 and 100 inclusive.",
    );
    const scan = await graph('/users?$select=id,displayName,userPrincipalName,jobTitle,accountEnabled,userType&$expand=manager($select=id)&$top=100');
    expect(scan.status).toBe(200);
    expect(values(scan)).toHaveLength(REPORTS + 4);
    // The single-valued manager is expanded in full, typed.
    expect(values(scan).find((u) => u['id'] === id(dev(3)))?.['manager']).toEqual({ '@odata.type': '#microsoft.graph.user', id: id('bianca@contoso.test') });
    const withoutExpand = await graph('/users?$select=id&$top=999');
    expect(withoutExpand.status).toBe(200);
  });
});

describe('cast segments in both spellings', () => {
  it('accepts the schema alias graph.X in any case, as Kiota SDKs send it', async () => {
    const path = (cast: string): string => `/users/${id('ada@contoso.test')}/transitiveMemberOf/${cast}?$count=true&$select=roleTemplateId`;
    for (const cast of ['microsoft.graph.directoryRole', 'graph.directoryRole', 'GRAPH.DIRECTORYROLE', 'Microsoft.Graph.DirectoryRole']) {
      const answer = await graph(path(cast), { headers: EVENTUAL });
      expect(answer.status, cast).toBe(200);
      expect(values(answer).map((r) => r['roleTemplateId'])).toEqual([GLOBAL_ADMIN]);
    }
    const reports = await graph(`/users/${id('bianca@contoso.test')}/directReports/graph.user/$count`, { headers: EVENTUAL });
    expect(reports.text).toBe(String(REPORTS + 1));
    expectGraphError(await graph(path('graph.nothing'), { headers: EVENTUAL }), 400, 'BadRequest');
  });
});

describe('permission tables', () => {
  it('reads the TAP policy with Policy.Read.AuthenticationMethod (or the write permission), never Policy.Read.All', async () => {
    expect((await graph(TAP_POLICY)).status).toBe(200);
    const readAll = await graph(TAP_POLICY, { token: await tokenWith(['Policy.Read.All']) });
    expectGraphError(readAll, 403, 'Authorization_RequestDenied');
    expect((await graph(TAP_POLICY, { token: await tokenWith(['Policy.Read.AuthenticationMethod']) })).status).toBe(200);
    expect((await graph(TAP_POLICY, { token: await tokenWith(['Policy.ReadWrite.AuthenticationMethod']) })).status).toBe(200);
  });

  it('lists directory roles only with a directory-role permission; RoleManagement.Read.All reads assignments only', async () => {
    const token = await tokenWith(['RoleManagement.Read.All']);
    expectGraphError(await graph('/directoryRoles', { token }), 403, 'Authorization_RequestDenied');
    const assignments = await graph(`/roleManagement/directory/roleAssignments?$filter=principalId eq '${id('ada@contoso.test')}'`, { token });
    expect(assignments.status).toBe(200);
    expect((await graph('/directoryRoles', { token: await tokenWith(['RoleManagement.Read.Directory']) })).status).toBe(200);
  });

  it('lists transitiveMemberOf with user or group read permissions, not with role permissions alone', async () => {
    const url = `/users/${id('ada@contoso.test')}/transitiveMemberOf/microsoft.graph.group?$count=true&$select=id`;
    expectGraphError(await graph(url, { headers: EVENTUAL, token: await tokenWith(['RoleManagement.Read.Directory']) }), 403, 'Authorization_RequestDenied');
    const groupReader = await graph(url, { headers: EVENTUAL, token: await tokenWith(['GroupMember.Read.All']) });
    expect(groupReader.status).toBe(200);
    expect(values(groupReader)).toHaveLength(2);
  });
});
