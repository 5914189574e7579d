/**
 * Groups, directory roles through groups, `$batch` item throttling and TAP sign-in in the local
 * tenant, driven over HTTPS with app tokens from msal-node.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultFaults } from '../faults';
import { parseSeed, SeedError, userIdFromUpn } from '../seed';
import { startTestTenant, submitSignInForm, type TestTenant } from '../testing';
import { getAppToken, type TenantEndpoint } from './test-support';

const TENANT_ID = '6a0c1b7e-2a41-4c3e-9d0b-6a1f2e3d4c5b';
const PORTAL = '6b2c3d4e-0000-4000-8000-00000000c001';
const BROKER = { clientId: '6b2c3d4e-0000-4000-8000-00000000b001', secret: 'broker-secret-for-tests' };
const READER = { clientId: '6b2c3d4e-0000-4000-8000-00000000a001', secret: 'reader-secret-for-tests' };
const HELPDESK_ADMIN = '729827e3-9c14-49f7-bb1b-9608f156bbb8';

function seed(): Record<string, unknown> {
  return {
    tenantId: TENANT_ID,
    portal: { clientId: PORTAL, apiClientId: '6b2c3d4e-0000-4000-8000-00000000c002', scope: 'access_as_user', redirectUris: ['http://localhost:3000'] },
    broker: {
      clientId: BROKER.clientId,
      clientSecret: BROKER.secret,
      graphPermissions: ['User.Read.All', 'UserAuthenticationMethod.ReadWrite.All', 'Policy.Read.All', 'RoleManagement.Read.Directory', 'GroupMember.Read.All'],
    },
    // Reads users and roles, not groups: the limited-information rule applies to group objects.
    automation: { clientId: READER.clientId, clientSecret: READER.secret, graphPermissions: ['User.Read.All', 'RoleManagement.Read.Directory'] },
    tapPolicy: { state: 'enabled' },
    users: [
      { userPrincipalName: 'boss@contoso.test', displayName: 'Boss', password: 'pw-boss' },
      { userPrincipalName: 'hal@contoso.test', displayName: 'Hal', password: 'pw-hal', manager: 'boss@contoso.test' },
      { userPrincipalName: 'ivy@contoso.test', displayName: 'Ivy', password: 'pw-ivy', manager: 'boss@contoso.test', directoryRoles: ['Global Administrator'] },
    ],
    groups: [
      { displayName: 'Ops', isAssignableToRole: true, members: ['hal@contoso.test'], directoryRoles: ['Helpdesk Administrator'] },
      { displayName: 'Outer', members: ['Inner'] },
      { displayName: 'Inner', members: ['hal@contoso.test'] },
    ],
  };
}

let tenant: TestTenant;
let endpoint: TenantEndpoint;
let brokerToken: string;
let readerToken: string;
const hal = userIdFromUpn('hal@contoso.test');
const ivy = userIdFromUpn('ivy@contoso.test');

function groupId(name: string): string {
  for (const g of tenant.ctx.directory.groups.values()) if (g.displayName === name) return g.id;
  throw new Error(`no group ${name}`);
}

async function graph(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await tenant.fetch(`${tenant.url}/graph/v1.0${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', consistencylevel: 'eventual' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

beforeAll(async () => {
  tenant = await startTestTenant({ seed: seed() });
  endpoint = { url: tenant.url, certPem: tenant.certPem, tenantId: TENANT_ID };
  brokerToken = await getAppToken(endpoint, BROKER.clientId, BROKER.secret);
  readerToken = await getAppToken(endpoint, READER.clientId, READER.secret);
});

afterAll(async () => {
  await tenant?.close();
});

beforeEach(() => {
  Object.assign(tenant.ctx.faults, defaultFaults());
});

describe('seed groups', () => {
  const base = seed();
  const withGroups = (groups: unknown[]) => ({ ...base, groups });
  const refuse = (groups: unknown[]): string => {
    try {
      parseSeed(withGroups(groups), 'g.json');
    } catch (err) {
      expect(err).toBeInstanceOf(SeedError);
      return (err as Error).message;
    }
    throw new Error('expected the seed to be refused');
  };

  it('names each bad group entry', () => {
    const message = refuse([
      { displayName: 'A', members: ['nobody@contoso.test'] },
      { displayName: 'B', members: ['hal@contoso.test'], directoryRoles: ['Global Administrator'] },
      { displayName: 'C', isAssignableToRole: true, members: ['A'] },
      { displayName: 'a' },
      { displayName: 'D', isAssignableToRole: true, directoryRoles: ['No Such Role'] },
      { members: [] },
    ]);
    expect(message).toContain('groups[0] (A): members[0] "nobody@contoso.test" is neither a user\'s UPN nor a group\'s displayName');
    expect(message).toContain('groups[1] (B): directoryRoles need "isAssignableToRole": true');
    expect(message).toContain('groups[2] (C): members[0] "A": a role-assignable group cannot contain groups');
    expect(message).toContain('groups[3] (a): duplicate displayName');
    expect(message).toContain('groups[4] (D): directoryRoles[0] "No Such Role" is not a known built-in role name');
    expect(message).toContain('groups[5]: displayName');
  });

  it('derives stable ids and resolves members', () => {
    const dir = parseSeed(base);
    const ops = [...dir.groups.values()].find((g) => g.displayName === 'Ops');
    expect(ops).toMatchObject({ isAssignableToRole: true, memberIds: [hal] });
    expect(dir.roleAssignments.filter((a) => a.principalId === ops?.id)).toEqual([
      { principalId: ops?.id, roleDefinitionId: HELPDESK_ADMIN, directoryScopeId: '/', kind: 'active' },
    ]);
    expect(parseSeed(base).groups.get(ops?.id ?? '')).toBeDefined();
  });
});

describe('groups and directory roles in Graph', () => {
  it('shows a role held through a group in the member’s transitiveMemberOf, and the groups (nested) too', async () => {
    const roles = await graph(brokerToken, 'GET', `/users/${hal}/transitiveMemberOf/microsoft.graph.directoryRole?$count=true&$select=id,roleTemplateId`);
    expect(roles.status).toBe(200);
    expect((roles.body['value'] as { roleTemplateId: string }[]).map((r) => r.roleTemplateId)).toEqual([HELPDESK_ADMIN]);
    const groups = await graph(brokerToken, 'GET', `/users/${hal}/transitiveMemberOf/microsoft.graph.group?$count=true&$select=id,displayName`);
    expect((groups.body['value'] as { displayName: string }[]).map((g) => g.displayName).sort()).toEqual(['Inner', 'Ops', 'Outer']);
    const direct = await graph(brokerToken, 'GET', `/users/${hal}/memberOf`);
    expect((direct.body['value'] as { displayName: string }[]).map((g) => g.displayName).sort()).toEqual(['Inner', 'Ops']);
  });

  it('lists members, transitive members and the group itself (GroupMember.Read.All required)', async () => {
    const outer = groupId('Outer');
    expect((await graph(brokerToken, 'GET', `/groups/${outer}`)).body).toMatchObject({ id: outer, displayName: 'Outer', isAssignableToRole: false });
    const members = await graph(brokerToken, 'GET', `/groups/${outer}/members?$select=id`);
    expect(members.body['value']).toEqual([{ '@odata.type': '#microsoft.graph.group', id: groupId('Inner') }]);
    const transitive = await graph(brokerToken, 'GET', `/groups/${outer}/transitiveMembers?$select=id`);
    expect(transitive.body['value']).toEqual([
      { '@odata.type': '#microsoft.graph.group', id: groupId('Inner') },
      { '@odata.type': '#microsoft.graph.user', id: hal },
    ]);
    const denied = await graph(readerToken, 'GET', `/groups/${outer}/transitiveMembers`);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: { code: 'Authorization_RequestDenied' } });
    expect((await graph(brokerToken, 'GET', '/groups/00000000-0000-4000-8000-00000000dead')).status).toBe(404);
  });

  it('answers /directoryRoles?$expand=members with users and groups, typed; groups limited without group permissions', async () => {
    const roles = await graph(brokerToken, 'GET', '/directoryRoles?$expand=members($select=id)');
    expect(roles.status).toBe(200);
    const byTemplate = new Map((roles.body['value'] as { roleTemplateId: string; members: unknown[] }[]).map((r) => [r.roleTemplateId, r.members]));
    expect(byTemplate.get('62e90394-69f5-4237-9190-012177145e10')).toEqual([{ '@odata.type': '#microsoft.graph.user', id: ivy }]);
    expect(byTemplate.get(HELPDESK_ADMIN)).toEqual([{ '@odata.type': '#microsoft.graph.group', id: groupId('Ops') }]);
    expect(roles.body['@odata.nextLink']).toBeUndefined();
    const limited = await graph(readerToken, 'GET', '/directoryRoles?$expand=members');
    const helpdesk = (limited.body['value'] as { roleTemplateId: string; members: unknown[] }[]).find((r) => r.roleTemplateId === HELPDESK_ADMIN);
    expect(helpdesk?.members).toEqual([{ '@odata.type': '#microsoft.graph.group', id: groupId('Ops') }]);
    const assignments = await graph(brokerToken, 'GET', `/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '${HELPDESK_ADMIN}'`);
    expect((assignments.body['value'] as { principalId: string }[]).map((a) => a.principalId)).toEqual([groupId('Ops')]);
  });
});

describe('$batch item throttling', () => {
  it('answers throttled items with 429 + Retry-After inside a 200 envelope, the rest normally', async () => {
    Object.assign(tenant.ctx.faults, { batchItemThrottleNext: 1, retryAfterSeconds: 7 });
    const response = await graph(brokerToken, 'POST', '/$batch', {
      requests: [
        { id: '1', method: 'GET', url: `/users/${hal}?$select=id` },
        { id: '2', method: 'GET', url: `/users/${ivy}?$select=id` },
      ],
    });
    expect(response.status).toBe(200);
    const items = response.body['responses'] as { id: string; status: number; headers: Record<string, string>; body: { error?: { code: string } } }[];
    const statuses = items.map((i) => i.status).sort();
    expect(statuses).toEqual([200, 429]);
    const throttled = items.find((i) => i.status === 429);
    expect(throttled?.headers['Retry-After']).toBe('7');
    expect(throttled?.body.error?.code).toBe('TooManyRequests');
    expect(tenant.ctx.faults.batchItemThrottleNext).toBe(0);
  });
});

describe('sign-in with a Temporary Access Pass', () => {
  const tokenUrl = (): string => `${tenant.url}/${TENANT_ID}/oauth2/v2.0/token`;
  const ropc = async (username: string, password: string) => {
    const response = await tenant.fetch(tokenUrl(), {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', client_id: PORTAL, scope: 'openid profile', username, password }),
    });
    return { status: response.status, body: (await response.json()) as { id_token?: string; error_codes?: number[]; error_description?: string } };
  };
  const createPass = async (body: Record<string, unknown>): Promise<{ id: string; temporaryAccessPass: string }> => {
    const created = await graph(brokerToken, 'POST', `/users/${hal}/authentication/temporaryAccessPassMethods`, body);
    expect(created.status).toBe(201);
    return created.body as { id: string; temporaryAccessPass: string };
  };

  it('accepts a usable pass on the sign-in page and uses up a one-time pass', async () => {
    const pass = await createPass({ lifetimeInMinutes: 60, isUsableOnce: true });
    const authorize = `${tenant.url}/${TENANT_ID}/oauth2/v2.0/authorize?client_id=${PORTAL}&response_type=code&redirect_uri=${encodeURIComponent('http://localhost:3000')}&scope=openid&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256&state=s1&response_mode=query`;
    const before = tenant.ctx.stats.events['signIn.tap'] ?? 0;
    const first = await submitSignInForm(tenant.fetch, authorize, 'hal@contoso.test', pass.temporaryAccessPass);
    expect(first.status).toBe(302);
    expect(first.location).toMatch(/[?&]code=/);
    expect(tenant.ctx.stats.events['signIn.tap']).toBe(before + 1);
    const again = await submitSignInForm(tenant.fetch, authorize, 'hal@contoso.test', pass.temporaryAccessPass);
    expect(again.status).toBe(200);
    expect(again.html).toContain('AADSTS130504');
    // The method now reads as used.
    const listed = await graph(brokerToken, 'GET', `/users/${hal}/authentication/temporaryAccessPassMethods`);
    expect(listed.body['value']).toMatchObject([{ id: pass.id, temporaryAccessPass: null, isUsable: false, methodUsabilityReason: 'OneTimeUsed' }]);
  });

  it('refuses a pass that is not valid yet, expired, replaced or deleted; the password still works', async () => {
    const later = await createPass({ startDateTime: new Date(Date.now() + 3_600_000).toISOString(), lifetimeInMinutes: 60, isUsableOnce: false });
    expect((await ropc('hal@contoso.test', later.temporaryAccessPass)).body.error_codes).toEqual([130502]);

    const replaced = await createPass({ lifetimeInMinutes: 60, isUsableOnce: false });
    // Create replaces: the earlier pass no longer signs in.
    expect((await ropc('hal@contoso.test', later.temporaryAccessPass)).body.error_codes).toEqual([50126]);
    expect((await ropc('hal@contoso.test', replaced.temporaryAccessPass)).status).toBe(200);
    const method = tenant.ctx.directory.tapMethods.get(hal)?.[0];
    if (method === undefined) throw new Error('expected a method');
    method.startDateTime = new Date(Date.now() - 2 * 3_600_000).toISOString();
    expect((await ropc('hal@contoso.test', replaced.temporaryAccessPass)).body.error_codes).toEqual([130503]);

    const fresh = await createPass({ lifetimeInMinutes: 60, isUsableOnce: false });
    expect((await graph(brokerToken, 'DELETE', `/users/${hal}/authentication/temporaryAccessPassMethods/${fresh.id}`)).status).toBe(204);
    expect((await ropc('hal@contoso.test', fresh.temporaryAccessPass)).body.error_codes).toEqual([50126]);
    expect((await ropc('hal@contoso.test', 'pw-hal')).status).toBe(200);
    // Another user's pass is not this user's credential.
    expect((await ropc('ivy@contoso.test', fresh.temporaryAccessPass)).body.error_codes).toEqual([50126]);
  });

  it('keeps only a salted hash of the pass', async () => {
    const pass = await createPass({ lifetimeInMinutes: 60, isUsableOnce: true });
    const stored = JSON.stringify(tenant.ctx.directory.tapMethods.get(hal));
    expect(stored).not.toContain(pass.temporaryAccessPass);
    expect(tenant.ctx.directory.tapMethods.get(hal)?.[0]?.passHash.salt).toMatch(/^[0-9a-f]{32}$/);
  });
});
