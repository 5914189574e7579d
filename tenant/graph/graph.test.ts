/**
 * The local Graph, driven as the broker drives the real one: app-only tokens from msal-node
 * (client credentials against the tenant's token endpoint) and `@microsoft/microsoft-graph-client`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTenant } from '../server';
import { userIdFromUpn } from '../seed';
import type { TenantContext } from '../types';
import { getAppToken, graphClient, httpsRequest, type TenantEndpoint } from './test-support';

const TENANT_ID = '5f0c1b7e-2a41-4c3e-9d0b-6a1f2e3d4c5b';
const BROKER = { clientId: '1b2c3d4e-0000-4000-8000-00000000b001', secret: 'broker-secret-for-tests' };
const AUTOMATION = { clientId: '1b2c3d4e-0000-4000-8000-00000000a001', secret: 'automation-secret-for-tests' };
const DEV_COUNT = 250;
const GUEST_UPN = 'gus_fabrikam.test#EXT#@contoso.test';

function devUpn(i: number): string {
  return `dev${String(i).padStart(3, '0')}@contoso.test`;
}

const users = [
  { userPrincipalName: 'megan@contoso.test', displayName: 'Megan Bowen', manager: null, jobTitle: 'CEO', department: 'Exec', employeeHireDate: '2020-01-06T08:00:00Z' },
  { userPrincipalName: 'alex@contoso.test', displayName: 'Alex Wilber', manager: 'megan@contoso.test', jobTitle: 'VP Engineering', department: 'Engineering' },
  { userPrincipalName: 'bianca@contoso.test', displayName: 'Bianca Pisani', manager: 'alex@contoso.test', jobTitle: 'Engineering Manager', department: 'Engineering' },
  ...Array.from({ length: DEV_COUNT }, (_, i) => ({
    userPrincipalName: devUpn(i + 1),
    displayName: `Developer ${i + 1}`,
    manager: 'bianca@contoso.test',
    jobTitle: 'Developer',
    department: 'Engineering',
  })),
  { userPrincipalName: 'ada@contoso.test', displayName: 'Ada Admin', manager: 'bianca@contoso.test', directoryRoles: ['Global Administrator', 'Directory Readers'] },
  { userPrincipalName: GUEST_UPN, displayName: 'Gus (Fabrikam)', manager: 'bianca@contoso.test', userType: 'Guest' },
  { userPrincipalName: 'c1@contoso.test', displayName: 'Cycle One', manager: 'c2@contoso.test' },
  { userPrincipalName: 'c2@contoso.test', displayName: 'Cycle Two', manager: 'c3@contoso.test' },
  { userPrincipalName: 'c3@contoso.test', displayName: 'Cycle Three', manager: 'c1@contoso.test' },
];

const seed = {
  tenantId: TENANT_ID,
  portal: {
    clientId: '1b2c3d4e-0000-4000-8000-00000000c001',
    apiClientId: '1b2c3d4e-0000-4000-8000-00000000c002',
    scope: 'access_as_user',
    redirectUris: ['http://localhost:3000'],
  },
  broker: {
    clientId: BROKER.clientId,
    clientSecret: BROKER.secret,
    graphPermissions: ['User.Read.All', 'UserAuthenticationMethod.ReadWrite.All', 'Policy.Read.AuthenticationMethod', 'RoleManagement.Read.Directory'],
  },
  automation: {
    clientId: AUTOMATION.clientId,
    clientSecret: AUTOMATION.secret,
    graphPermissions: ['User.ReadWrite.All', 'Policy.ReadWrite.AuthenticationMethod'],
  },
  tapPolicy: { state: 'enabled', defaultLifetimeInMinutes: 60, minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480, defaultLength: 8, isUsableOnce: false },
  users,
};

const id = (upn: string): string => userIdFromUpn(upn);

let dataDir: string;
let tenant: Awaited<ReturnType<typeof startTenant>>;
let endpoint: TenantEndpoint;
let ctx: TenantContext;
let broker: Client;
let automation: Client;
let brokerToken: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'graph-test-'));
  tenant = await startTenant({ port: 0, dataDir, seed });
  ctx = tenant.ctx;
  endpoint = { url: tenant.url, certPem: tenant.certPem, tenantId: TENANT_ID };
  brokerToken = await getAppToken(endpoint, BROKER.clientId, BROKER.secret);
  broker = graphClient(endpoint, brokerToken);
  automation = graphClient(endpoint, await getAppToken(endpoint, AUTOMATION.clientId, AUTOMATION.secret));
});

afterAll(async () => {
  await tenant?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Awaits a Graph call that must fail and returns the client's GraphError. */
async function graphError(p: Promise<unknown>): Promise<GraphError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GraphError) return e;
    throw e;
  }
  throw new Error('expected the Graph call to fail');
}

/** A request outside the Graph client, for what it cannot express (no token, no Content-Type). */
async function raw(method: string, pathAndQuery: string, opts: { token?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers['Authorization'] = `Bearer ${opts.token}`;
  return httpsRequest(new URL(`${tenant.url}/graph${pathAndQuery}`), method, headers, opts.body, tenant.certPem);
}

const DEFAULT_PROPS = ['businessPhones', 'displayName', 'givenName', 'id', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName'];

describe('users', () => {
  it('returns only the default property set without $select', async () => {
    const u = (await broker.api(`/users/${id('megan@contoso.test')}`).get()) as Record<string, unknown>;
    expect(Object.keys(u).filter((k) => k !== '@odata.context').sort()).toEqual([...DEFAULT_PROPS].sort());
    expect(u['@odata.context']).toBe(`${tenant.url}/graph/v1.0/$metadata#users/$entity`);
    expect(u['displayName']).toBe('Megan Bowen');
    expect(u).not.toHaveProperty('accountEnabled');
  });

  it('returns select-only properties on $select, by UPN too', async () => {
    const u = (await broker
      .api('/users/megan@contoso.test')
      .select(['id', 'accountEnabled', 'department', 'userType', 'employeeHireDate', 'onPremisesSyncEnabled'])
      .get()) as Record<string, unknown>;
    expect(u).toMatchObject({
      id: id('megan@contoso.test'),
      accountEnabled: true,
      department: 'Exec',
      userType: 'Member',
      employeeHireDate: '2020-01-06T08:00:00Z',
      onPremisesSyncEnabled: null,
    });
    expect(u).not.toHaveProperty('displayName');
  });

  it('refuses an unknown $select property and answers 404 for an unknown user', async () => {
    const bad = await graphError(broker.api(`/users/${id('megan@contoso.test')}`).select('nope').get());
    expect(bad.statusCode).toBe(400);
    const missing = '0d6f2f0e-1111-4222-8333-944455556666';
    const e = await graphError(broker.api(`/users/${missing}`).get());
    expect(e.statusCode).toBe(404);
    expect(e.code).toBe('Request_ResourceNotFound');
    expect(e.message).toBe(`Resource '${missing}' does not exist or one of its queried reference-property objects are not present.`);
    expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('lists users with $filter and $top paging', async () => {
    const one = (await broker.api('/users').filter("userPrincipalName eq 'ALEX@contoso.test'").select('id').get()) as { value: { id: string }[] };
    expect(one.value).toEqual([{ id: id('alex@contoso.test') }]);
    const page = (await broker.api('/users').top(5).select('id').get()) as { value: unknown[]; '@odata.nextLink'?: string };
    expect(page.value).toHaveLength(5);
    expect(page['@odata.nextLink']).toMatch(new RegExp(`^${tenant.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/graph/v1.0/users\\?.*\\$skiptoken=`));
  });
});

describe('manager', () => {
  it('answers 404 Request_ResourceNotFound when there is no manager', async () => {
    const e = await graphError(broker.api(`/users/${id('megan@contoso.test')}/manager`).get());
    expect(e.statusCode).toBe(404);
    expect(e.code).toBe('Request_ResourceNotFound');
    expect(e.message).toBe("Resource 'manager' does not exist or one of its queried reference-property objects are not present.");
  });

  it('returns the manager as a user directoryObject, honouring $select', async () => {
    const m = (await broker.api(`/users/${id('alex@contoso.test')}/manager`).select('id,displayName').get()) as Record<string, unknown>;
    expect(m['@odata.type']).toBe('#microsoft.graph.user');
    expect(m['id']).toBe(id('megan@contoso.test'));
    expect(m['displayName']).toBe('Megan Bowen');
    expect(m).not.toHaveProperty('jobTitle');
  });

  it('nests the whole chain with $levels=max, each level typed; the top manager has no manager key', async () => {
    const u = (await broker
      .api(`/users/${id(devUpn(1))}`)
      .header('ConsistencyLevel', 'eventual')
      .query({ $expand: 'manager($levels=max;$select=id,displayName)', $select: 'id,displayName', $count: 'true' })
      .get()) as Record<string, unknown>;
    expect(u).toMatchObject({
      id: id(devUpn(1)),
      displayName: 'Developer 1',
      manager: {
        '@odata.type': '#microsoft.graph.user',
        id: id('bianca@contoso.test'),
        displayName: 'Bianca Pisani',
        manager: {
          '@odata.type': '#microsoft.graph.user',
          id: id('alex@contoso.test'),
          displayName: 'Alex Wilber',
          manager: { '@odata.type': '#microsoft.graph.user', id: id('megan@contoso.test'), displayName: 'Megan Bowen' },
        },
      },
    });
    const top = ((u['manager'] as Record<string, unknown>)['manager'] as Record<string, unknown>)['manager'] as Record<string, unknown>;
    expect(Object.keys(top).sort()).toEqual(['@odata.type', 'displayName', 'id']);
  });

  it('stops after $levels levels, and refuses $levels without ConsistencyLevel', async () => {
    const path = `/users/${id(devUpn(1))}?$expand=manager($levels=2;$select=id)&$select=id`;
    const u = (await broker.api(path).header('ConsistencyLevel', 'eventual').get()) as Record<string, unknown>;
    const user = '#microsoft.graph.user';
    expect(u).toEqual({
      '@odata.context': expect.any(String),
      id: id(devUpn(1)),
      manager: { '@odata.type': user, id: id('bianca@contoso.test'), manager: { '@odata.type': user, id: id('alex@contoso.test') } },
    });
    const e = await graphError(broker.api(path).get());
    expect(e.statusCode).toBe(400);
    expect(e.code).toBe('Request_UnsupportedQuery');
  });

  it('ends the chain before a cycle repeats a user', async () => {
    const u = (await broker
      .api(`/users/${id('c1@contoso.test')}?$expand=manager($levels=max;$select=id)&$select=id`)
      .header('ConsistencyLevel', 'eventual')
      .get()) as Record<string, unknown>;
    const user = '#microsoft.graph.user';
    expect(u['manager']).toEqual({ '@odata.type': user, id: id('c2@contoso.test'), manager: { '@odata.type': user, id: id('c3@contoso.test') } });
  });

  it('expands one level with a plain $expand=manager', async () => {
    const u = (await broker.api(`/users/${id('bianca@contoso.test')}`).expand('manager').select('id').get()) as Record<string, unknown>;
    const m = u['manager'] as Record<string, unknown>;
    expect(m['@odata.type']).toBe('#microsoft.graph.user');
    expect(m['id']).toBe(id('alex@contoso.test'));
    expect(m).not.toHaveProperty('manager');
  });
});

describe('directReports', () => {
  const biancaReports = DEV_COUNT + 2;

  it('pages with absolute nextLinks (default 100) that work without ConsistencyLevel', async () => {
    const seen: string[] = [];
    let page = (await broker
      .api(`/users/${id('bianca@contoso.test')}/directReports`)
      .header('ConsistencyLevel', 'eventual')
      .select('id,displayName')
      .get()) as { value: Record<string, unknown>[]; '@odata.nextLink'?: string; '@odata.context': string };
    expect(page['@odata.context']).toBe(`${tenant.url}/graph/v1.0/$metadata#directoryObjects(id,displayName)`);
    let pages = 1;
    expect(page.value).toHaveLength(100);
    for (;;) {
      for (const item of page.value) {
        expect(Object.keys(item).sort()).toEqual(['@odata.type', 'displayName', 'id']);
        expect(item['@odata.type']).toBe('#microsoft.graph.user');
        seen.push(item['id'] as string);
      }
      const next = page['@odata.nextLink'];
      if (next === undefined) break;
      expect(next.startsWith(`${tenant.url}/graph/v1.0/users/`)).toBe(true);
      expect(next).toContain('$skiptoken=');
      page = (await broker.api(next).get()) as typeof page;
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(biancaReports);
    expect(seen).toContain(id('ada@contoso.test'));
  });

  it('returns everything in one page with $top=999 and refuses $top=1000', async () => {
    const page = (await broker.api(`/users/${id('bianca@contoso.test')}/directReports`).top(999).select('id').get()) as { value: unknown[]; '@odata.nextLink'?: string };
    expect(page.value).toHaveLength(biancaReports);
    expect(page['@odata.nextLink']).toBeUndefined();
    const e = await graphError(broker.api(`/users/${id('bianca@contoso.test')}/directReports`).top(1000).get());
    expect(e.statusCode).toBe(400);
  });

  it('counts with /$count as text/plain, only with ConsistencyLevel: eventual', async () => {
    const count = (await broker.api(`/users/${id('bianca@contoso.test')}/directReports/$count`).header('ConsistencyLevel', 'eventual').get()) as unknown;
    expect(String(count)).toBe(String(biancaReports));
    const e = await graphError(broker.api(`/users/${id('bianca@contoso.test')}/directReports/$count`).get());
    expect(e.statusCode).toBe(400);
  });

  it('counts transitive reports on beta', async () => {
    const count = (await broker.api(`/users/${id('alex@contoso.test')}/transitiveReports/$count`).version('beta').header('ConsistencyLevel', 'eventual').get()) as unknown;
    expect(String(count)).toBe(String(biancaReports + 1));
    const v1 = await graphError(broker.api(`/users/${id('alex@contoso.test')}/transitiveReports/$count`).header('ConsistencyLevel', 'eventual').get());
    expect(v1.statusCode).toBe(400);
  });
});

describe('directory roles', () => {
  it('lists directoryRole objects with template ids and tenant-specific ids', async () => {
    const r = (await broker
      .api(`/users/${id('ada@contoso.test')}/transitiveMemberOf/microsoft.graph.directoryRole`)
      .header('ConsistencyLevel', 'eventual')
      .query({ $count: 'true' })
      .get()) as { value: Record<string, unknown>[]; '@odata.count': number };
    expect(r['@odata.count']).toBe(2);
    const ga = r.value.find((x) => x['roleTemplateId'] === '62e90394-69f5-4237-9190-012177145e10');
    expect(ga).toMatchObject({ '@odata.type': '#microsoft.graph.directoryRole', displayName: 'Global Administrator', deletedDateTime: null });
    expect(typeof ga?.['description']).toBe('string');
    expect(ga?.['id']).not.toBe('62e90394-69f5-4237-9190-012177145e10');
    const none = (await broker
      .api(`/users/${id(devUpn(1))}/transitiveMemberOf/microsoft.graph.directoryRole`)
      .header('ConsistencyLevel', 'eventual')
      .query({ $count: 'true' })
      .get()) as { value: unknown[] };
    expect(none.value).toEqual([]);
  });

  it('gives an app without role-read permission only @odata.type and id', async () => {
    const r = (await automation
      .api(`/users/${id('ada@contoso.test')}/transitiveMemberOf/microsoft.graph.directoryRole`)
      .header('ConsistencyLevel', 'eventual')
      .query({ $count: 'true' })
      .get()) as { value: Record<string, unknown>[] };
    expect(r.value).toHaveLength(2);
    for (const item of r.value) expect(Object.keys(item).sort()).toEqual(['@odata.type', 'id']);
  });

  it('lists role assignments by principalId and requires the $filter', async () => {
    const r = (await broker.api('/roleManagement/directory/roleAssignments').filter(`principalId eq '${id('ada@contoso.test')}'`).get()) as { value: Record<string, unknown>[] };
    expect(r.value.map((a) => a['roleDefinitionId']).sort()).toEqual(['62e90394-69f5-4237-9190-012177145e10', '88d8e3e3-8f55-4a1e-953a-9b9898b8876b']);
    expect(r.value[0]).toMatchObject({ principalId: id('ada@contoso.test'), directoryScopeId: '/', resourceScope: '/' });
    expect((await graphError(broker.api('/roleManagement/directory/roleAssignments').get())).statusCode).toBe(400);
  });

  it('answers beta transitiveRoleAssignments 404 without ConsistencyLevel', async () => {
    const api = () => broker.api('/roleManagement/directory/transitiveRoleAssignments').version('beta').query({ $count: 'true', $filter: `principalId eq '${id('ada@contoso.test')}'` });
    expect((await graphError(api().get())).statusCode).toBe(404);
    const r = (await api().header('ConsistencyLevel', 'eventual').get()) as { value: unknown[]; '@odata.count': number };
    expect(r['@odata.count']).toBe(2);
  });
});

describe('authentication and permissions', () => {
  it('answers 401 InvalidAuthenticationToken without or with a bad token', async () => {
    const none = await raw('GET', '/v1.0/users');
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
    const forged = await raw('GET', '/v1.0/users', { token: `${brokerToken.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
  });

  it('refuses /me for an app-only token', async () => {
    const e = await graphError(broker.api('/me').get());
    expect(e.statusCode).toBe(400);
    expect(e.code).toBe('BadRequest');
    expect(e.message).toBe('/me request is only valid with delegated authentication flow.');
  });

  it('answers 403 Authorization_RequestDenied for directory writes without permission', async () => {
    const e = await graphError(broker.api(`/users/${id(devUpn(9))}/manager/$ref`).put({ '@odata.id': `https://graph.microsoft.com/v1.0/users/${id('alex@contoso.test')}` }));
    expect(e.statusCode).toBe(403);
    expect(e.code).toBe('Authorization_RequestDenied');
    expect(e.message).toBe('Insufficient privileges to complete the operation.');
    expect(ctx.directory.users.get(id(devUpn(9)))?.managerId).toBe(id('bianca@contoso.test'));
  });

  it('answers 403 accessDenied on auth methods without permission', async () => {
    const e = await graphError(automation.api(`/users/${id(devUpn(9))}/authentication/temporaryAccessPassMethods`).get());
    expect(e.statusCode).toBe(403);
    expect(e.code).toBe('accessDenied');
    expect(e.message).toBe('Request Authorization failed');
  });

  it('answers Graph-shaped 400 for an unknown segment and 405 for an unsupported method', async () => {
    const e = await graphError(broker.api('/groupz').get());
    expect(e.statusCode).toBe(400);
    expect(e.message).toBe("Resource not found for the segment 'groupz'.");
    expect((await graphError(broker.api('/users').delete())).statusCode).toBe(405);
  });
});

describe('temporaryAccessPassMethods', () => {
  const tapPath = (upn: string) => `/users/${id(upn)}/authentication/temporaryAccessPassMethods`;

  it('creates, replaces, lists (pass null), gets and deletes', async () => {
    const target = devUpn(10);
    const created = (await broker.api(tapPath(target)).post({ lifetimeInMinutes: 60 })) as Record<string, unknown>;
    expect(created).toMatchObject({
      '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethod',
      lifetimeInMinutes: 60,
      isUsableOnce: false,
      isUsable: true,
      methodUsabilityReason: 'EnabledByPolicy',
    });
    const pass = created['temporaryAccessPass'];
    expect(typeof pass).toBe('string');
    expect(pass as string).toHaveLength(8);
    // The pass is never stored: nothing in the directory holds it.
    expect(JSON.stringify([...ctx.directory.tapMethods.values()])).not.toContain(pass as string);

    const start = new Date(Date.now() + 24 * 3600_000);
    start.setUTCMilliseconds(0);
    const replaced = (await broker.api(tapPath(target)).post({ startDateTime: start.toISOString(), isUsableOnce: true })) as Record<string, unknown>;
    expect(replaced['id']).not.toBe(created['id']);
    expect(replaced).toMatchObject({ lifetimeInMinutes: 60, isUsableOnce: true, isUsable: false, methodUsabilityReason: 'NotYetValid', startDateTime: start.toISOString().replace('.000Z', 'Z') });

    const list = (await broker.api(tapPath(target)).get()) as { value: Record<string, unknown>[] };
    expect(list.value).toHaveLength(1);
    expect(list.value[0]).toMatchObject({ id: replaced['id'], temporaryAccessPass: null });

    const one = (await broker.api(`${tapPath(target)}/${String(replaced['id'])}`).get()) as Record<string, unknown>;
    expect(one['temporaryAccessPass']).toBeNull();

    expect(await broker.api(`${tapPath(target)}/${String(replaced['id'])}`).delete()).toBeUndefined();
    expect(((await broker.api(tapPath(target)).get()) as { value: unknown[] }).value).toEqual([]);
    expect((await graphError(broker.api(`${tapPath(target)}/${String(replaced['id'])}`).get())).statusCode).toBe(404);

    // The creation log keeps both methods and how each ended, and never the pass.
    expect(ctx.directory.tapMethodLog.get(String(created['id']))).toMatchObject({ userId: id(target), ended: { how: 'replaced' } });
    expect(ctx.directory.tapMethodLog.get(String(replaced['id']))).toMatchObject({ userId: id(target), ended: { how: 'deleted' } });
    expect(JSON.stringify([...ctx.directory.tapMethodLog.values()])).not.toContain(pass as string);
  });

  it('validates the lifetime against the tenant policy with Graph message', async () => {
    const e = await graphError(broker.api(tapPath(devUpn(11))).post({ lifetimeInMinutes: 30 }));
    expect(e.statusCode).toBe(400);
    expect(e.code).toBe('badRequest');
    expect(e.message).toBe('Invalid LifetimeInMinutes specified. The valid range between 60 and 480.');
    expect(ctx.directory.tapMethods.get(id(devUpn(11)))).toBeUndefined();
    expect([...ctx.directory.tapMethodLog.values()].some((m) => m.userId === id(devUpn(11)))).toBe(false);
  });

  it('refuses external guests but not admins (app-only)', async () => {
    const e = await graphError(broker.api(`/users/${encodeURIComponent(GUEST_UPN)}/authentication/temporaryAccessPassMethods`).post({}));
    expect(e.statusCode).toBe(400);
    expect(e.message).toBe('Temporary Access Pass cannot be added to an external guest user.');
    const admin = (await broker.api(tapPath('ada@contoso.test')).post({})) as Record<string, unknown>;
    expect(admin['lifetimeInMinutes']).toBe(60);
  });

  it('requires Content-Type: application/json on create', async () => {
    const r = await raw('POST', `/v1.0${tapPath(devUpn(12))}`, { token: brokerToken, body: '{}' });
    expect(r.status).toBe(415);
    expect(ctx.directory.tapMethods.get(id(devUpn(12)))).toBeUndefined();
  });

  it('follows the policy: disabled state and forced one-time passes', async () => {
    const policyPath = '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass';
    await automation.api(policyPath).patch({ '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration', state: 'disabled' });
    try {
      const e = await graphError(broker.api(tapPath(devUpn(13))).post({}));
      expect(e.statusCode).toBe(400);
      expect(e.message).toBe('Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass].');
    } finally {
      await automation.api(policyPath).patch({ state: 'enabled' });
    }
    await automation.api(policyPath).patch({ isUsableOnce: true });
    try {
      const e = await graphError(broker.api(tapPath(devUpn(13))).post({ isUsableOnce: false }));
      expect(e.statusCode).toBe(400);
      const ok = (await broker.api(tapPath(devUpn(13))).post({})) as Record<string, unknown>;
      expect(ok['isUsableOnce']).toBe(true);
    } finally {
      await automation.api(policyPath).patch({ isUsableOnce: false });
    }
  });
});

describe('TAP policy', () => {
  const policyPath = '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/temporaryAccessPass';

  it('reads the configuration (segment case-insensitive)', async () => {
    const p = (await broker.api(policyPath).get()) as Record<string, unknown>;
    expect(p).toMatchObject({
      '@odata.context': `${tenant.url}/graph/v1.0/$metadata#authenticationMethodConfigurations/$entity`,
      '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration',
      id: 'TemporaryAccessPass',
      state: 'enabled',
      defaultLifetimeInMinutes: 60,
      minimumLifetimeInMinutes: 60,
      maximumLifetimeInMinutes: 480,
      defaultLength: 8,
      isUsableOnce: false,
      includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }],
      excludeTargets: [],
    });
  });

  it('updates with PATCH (permission checked, ranges validated)', async () => {
    expect((await graphError(broker.api(policyPath).patch({ defaultLength: 12 }))).statusCode).toBe(403);
    expect((await graphError(automation.api(policyPath).patch({ defaultLength: 7 }))).statusCode).toBe(400);
    expect((await graphError(automation.api(policyPath).patch({ minimumLifetimeInMinutes: 600 }))).statusCode).toBe(400);
    expect(ctx.directory.tapPolicy.defaultLength).toBe(8);
    await automation.api(policyPath).patch({ defaultLength: 12 });
    try {
      expect(((await broker.api(policyPath).get()) as Record<string, unknown>)['defaultLength']).toBe(12);
      const created = (await broker.api(`/users/${id(devUpn(14))}/authentication/temporaryAccessPassMethods`).post({})) as Record<string, unknown>;
      expect(created['temporaryAccessPass']).toHaveLength(12);
    } finally {
      await automation.api(policyPath).patch({ defaultLength: 8 });
    }
  });
});

describe('directory writes', () => {
  it('moves a user with PUT manager/$ref and clears it with DELETE', async () => {
    const mover = id(devUpn(20));
    await automation.api(`/users/${mover}/manager/$ref`).put({ '@odata.id': `https://graph.microsoft.com/v1.0/users/${id('alex@contoso.test')}` });
    const m = (await broker.api(`/users/${mover}/manager`).select('id').get()) as Record<string, unknown>;
    expect(m['id']).toBe(id('alex@contoso.test'));
    const alexReports = (await broker.api(`/users/${id('alex@contoso.test')}/directReports`).select('id').get()) as { value: { id: string }[] };
    expect(alexReports.value.map((r) => r.id)).toContain(mover);
    const biancaReports = (await broker.api(`/users/${id('bianca@contoso.test')}/directReports`).top(999).select('id').get()) as { value: { id: string }[] };
    expect(biancaReports.value.map((r) => r.id)).not.toContain(mover);

    await automation.api(`/users/${mover}/manager/$ref`).delete();
    expect((await graphError(broker.api(`/users/${mover}/manager`).get())).statusCode).toBe(404);
    const unknown = await graphError(automation.api(`/users/${mover}/manager/$ref`).put({ '@odata.id': `${tenant.url}/graph/v1.0/users/0d6f2f0e-1111-4222-8333-944455556666` }));
    expect(unknown.statusCode).toBe(404);
    expect(ctx.directory.users.get(mover)?.managerId).toBeNull();

    // Put them back (by UPN reference this time) so later tests see the seeded org.
    await automation.api(`/users/${mover}/manager/$ref`).put({ '@odata.id': `https://graph.microsoft.com/v1.0/users/bianca@contoso.test` });
    expect(ctx.directory.users.get(mover)?.managerId).toBe(id('bianca@contoso.test'));
    expect(ctx.directory.directReports.get(id('alex@contoso.test'))).not.toContain(mover);
  });

  it('patches user properties', async () => {
    const u = id(devUpn(21));
    await automation.api(`/users/${u}`).patch({ accountEnabled: false, jobTitle: 'Staff Developer' });
    const got = (await broker.api(`/users/${u}`).select('accountEnabled,jobTitle').get()) as Record<string, unknown>;
    expect(got).toMatchObject({ accountEnabled: false, jobTitle: 'Staff Developer' });
    expect((await graphError(automation.api(`/users/${u}`).patch({ accountEnabled: 'no' }))).statusCode).toBe(400);
    expect((await graphError(automation.api(`/users/${u}`).patch({ favouriteColour: 'blue' }))).statusCode).toBe(400);
  });
});

describe('$batch', () => {
  it('answers each item with its own status, runs through the same routes and counts them', async () => {
    const before = { ...ctx.stats.batched };
    const res = (await broker.api('/$batch').post({
      requests: [
        { id: '1', method: 'GET', url: `/users/${id('megan@contoso.test')}/manager` },
        { id: '2', method: 'GET', url: `/users/${id('ada@contoso.test')}/transitiveMemberOf/microsoft.graph.directoryRole?$count=true`, headers: { ConsistencyLevel: 'eventual' } },
        { id: '3', method: 'POST', url: `/users/${id(devUpn(30))}/authentication/temporaryAccessPassMethods`, body: { lifetimeInMinutes: 60 }, headers: { 'Content-Type': 'application/json' } },
        { id: '4', method: 'GET', url: `/users/${id('bianca@contoso.test')}/directReports/$count`, headers: { ConsistencyLevel: 'eventual' } },
        { id: '5', method: 'GET', url: '/me' },
      ],
    })) as { responses: { id: string; status: number; headers: Record<string, string>; body?: unknown }[] };
    const byId = new Map(res.responses.map((r) => [r.id, r]));
    expect(byId.get('1')?.status).toBe(404);
    expect((byId.get('1')?.body as { error: { code: string } }).error.code).toBe('Request_ResourceNotFound');
    expect(byId.get('2')?.status).toBe(200);
    expect((byId.get('2')?.body as { value: unknown[] }).value).toHaveLength(2);
    expect(byId.get('3')?.status).toBe(201);
    expect(typeof (byId.get('3')?.body as { temporaryAccessPass: unknown }).temporaryAccessPass).toBe('string');
    expect(byId.get('4')?.status).toBe(200);
    expect(Buffer.from(String(byId.get('4')?.body), 'base64').toString('utf8')).toBe(String(DEV_COUNT + 2));
    expect(byId.get('5')?.status).toBe(400);
    const delta = (k: string) => (ctx.stats.batched[k] ?? 0) - (before[k] ?? 0);
    expect(delta('GET /v1.0/users/{id}/manager')).toBe(1);
    expect(delta('GET /v1.0/users/{id}/transitiveMemberOf/microsoft.graph.directoryRole')).toBe(1);
    expect(delta('POST /v1.0/users/{id}/authentication/temporaryAccessPassMethods')).toBe(1);
  });

  it('gives 424 to a request whose dependency failed', async () => {
    const res = (await broker.api('/$batch').post({
      requests: [
        { id: 'a', method: 'GET', url: '/users/0d6f2f0e-1111-4222-8333-944455556666' },
        { id: 'b', method: 'GET', url: `/users/${id('alex@contoso.test')}`, dependsOn: ['a'] },
        { id: 'c', method: 'GET', url: `/users/${id('alex@contoso.test')}`, dependsOn: ['b'] },
      ],
    })) as { responses: { id: string; status: number }[] };
    expect(Object.fromEntries(res.responses.map((r) => [r.id, r.status]))).toEqual({ a: 404, b: 424, c: 424 });
  });

  it('refuses more than 20 requests, duplicate ids and unknown dependencies', async () => {
    const reqs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i + 1), method: 'GET', url: `/users/${id('alex@contoso.test')}` }));
    const before = JSON.stringify(ctx.stats.batched);
    const tooMany = await graphError(broker.api('/$batch').post({ requests: reqs(21) }));
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.message).toBe('Number of requests inside batch exceeds the limit.');
    const dup = await graphError(broker.api('/$batch').post({ requests: [...reqs(2), { id: '1', method: 'GET', url: '/users' }] }));
    expect(dup.statusCode).toBe(400);
    const dangling = await graphError(broker.api('/$batch').post({ requests: [{ id: 'x', method: 'GET', url: '/users', dependsOn: ['y'] }] }));
    expect(dangling.statusCode).toBe(400);
    expect(JSON.stringify(ctx.stats.batched)).toBe(before);
    const twenty = (await broker.api('/$batch').post({ requests: reqs(20) })) as { responses: { status: number }[] };
    expect(twenty.responses.map((r) => r.status)).toEqual(Array(20).fill(200));
  });
});
