/**
 * Administrative units, group ownership and role-assignable group filtering in the local Graph,
 * with the limited-information rule and the permission refusals Graph applies to each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, removeUser } from '../directory';
import { userIdFromUpn } from '../seed';
import { startTestTenant, type TestTenant } from '../testing';
import { callGraph, clientCredentialsToken, tokenWithPermissions, valueOf } from './test-graph';
import { AU, GROUP, TEST_ORG, USER, testOrgSeed } from './test-org';

let tenant: TestTenant;
let broker: string;

beforeAll(async () => {
  tenant = await startTestTenant({ seed: testOrgSeed() });
  broker = await clientCredentialsToken(tenant, TEST_ORG.broker.clientId, TEST_ORG.broker.secret);
});

afterAll(async () => {
  await tenant?.close();
});

const AU_TYPE = '#microsoft.graph.administrativeUnit';

describe('a user’s administrative units', () => {
  const path = (id: string, cast = 'microsoft.graph.administrativeUnit') => `/users/${id}/memberOf/${cast}?$count=true&$select=id,isMemberManagementRestricted`;

  it('lists AUs through the memberOf cast, in either cast spelling, with @odata.count', async () => {
    const glass = await callGraph(tenant, broker, path(USER.glass), { eventual: true });
    expect(glass.status).toBe(200);
    expect(glass.body['@odata.context']).toMatch(/\$metadata#administrativeUnits$/);
    expect(glass.body['@odata.count']).toBe(1);
    expect(valueOf(glass)).toEqual([{ '@odata.type': AU_TYPE, id: AU.glass, isMemberManagementRestricted: true }]);
    const alias = await callGraph(tenant, broker, path(USER.scoped, 'graph.administrativeUnit'), { eventual: true });
    expect(valueOf(alias)).toEqual([{ '@odata.type': AU_TYPE, id: AU.paris, isMemberManagementRestricted: false }]);
    expect(valueOf(await callGraph(tenant, broker, path(USER.boss), { eventual: true }))).toEqual([]);
    const count = await callGraph(tenant, broker, `/users/${USER.glass}/memberOf/microsoft.graph.administrativeUnit/$count`, { eventual: true });
    expect(count.body).toEqual({ text: '1' });
  });

  it('is an advanced query: refused without ConsistencyLevel', async () => {
    const refused = await callGraph(tenant, broker, path(USER.glass));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'Request_UnsupportedQuery' } });
  });

  it('shows AUs as @odata.type and id only without an AU-read permission', async () => {
    const token = await tokenWithPermissions(tenant, ['User.Read.All', 'GroupMember.Read.All']);
    const limited = await callGraph(tenant, token, path(USER.glass), { eventual: true });
    expect(valueOf(limited)).toEqual([{ '@odata.type': AU_TYPE, id: AU.glass }]);
  });

  it('includes AUs in the plain memberOf and in transitiveMemberOf (through a group too)', async () => {
    const plain = valueOf(await callGraph(tenant, broker, `/users/${USER.scoped}/memberOf?$select=id,displayName`));
    expect(plain).toEqual([{ '@odata.type': AU_TYPE, id: AU.paris, displayName: 'Paris Office' }]);
    // approver ∈ Outer ∈ Break-glass.
    const transitive = await callGraph(tenant, broker, `/users/${USER.approver}/transitiveMemberOf/microsoft.graph.administrativeUnit?$count=true&$select=id`, { eventual: true });
    expect(transitive.body['@odata.context']).toMatch(/\$metadata#administrativeUnits$/);
    expect(valueOf(transitive)).toEqual([{ '@odata.type': AU_TYPE, id: AU.glass }]);
  });
});

describe('/directory/administrativeUnits', () => {
  it('lists, pages, reads one and lists its members', async () => {
    const list = await callGraph(tenant, broker, '/directory/administrativeUnits?$select=id,isMemberManagementRestricted&$top=999');
    expect(list.status).toBe(200);
    expect(valueOf(list)).toEqual([
      { id: AU.paris, isMemberManagementRestricted: false },
      { id: AU.glass, isMemberManagementRestricted: true },
    ]);
    const firstPage = await callGraph(tenant, broker, '/directory/administrativeUnits?$select=id&$top=1');
    expect(valueOf(firstPage)).toEqual([{ id: AU.paris }]);
    const next = String(firstPage.body['@odata.nextLink']).slice(`${tenant.url}/graph/v1.0`.length);
    expect(valueOf(await callGraph(tenant, broker, next))).toEqual([{ id: AU.glass }]);

    const one = await callGraph(tenant, broker, `/directory/administrativeUnits/${AU.glass}`);
    expect(one.body).toMatchObject({ id: AU.glass, displayName: 'Break-glass', isMemberManagementRestricted: true, visibility: null });
    expect((await callGraph(tenant, broker, '/directory/administrativeUnits/00000000-0000-4000-8000-00000000dead')).status).toBe(404);

    const members = valueOf(await callGraph(tenant, broker, `/directory/administrativeUnits/${AU.glass}/members?$select=id&$top=999`));
    expect(members).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: USER.glass },
      { '@odata.type': '#microsoft.graph.group', id: GROUP.outer },
    ]);
  });

  it('answers 403 Authorization_RequestDenied without AdministrativeUnit.Read.All or Directory.Read.All', async () => {
    const token = await tokenWithPermissions(tenant, ['User.Read.All', 'GroupMember.Read.All', 'RoleManagement.Read.Directory']);
    for (const path of ['/directory/administrativeUnits', `/directory/administrativeUnits/${AU.glass}`, `/directory/administrativeUnits/${AU.glass}/members`]) {
      const denied = await callGraph(tenant, token, path);
      expect(denied.status).toBe(403);
      expect(denied.body).toMatchObject({ error: { code: 'Authorization_RequestDenied' } });
    }
    const directory = await tokenWithPermissions(tenant, ['Directory.Read.All']);
    expect((await callGraph(tenant, directory, '/directory/administrativeUnits')).status).toBe(200);
  });
});

describe('group owners', () => {
  it('lists owners; users are limited without a user-read permission; 403 without a group-read permission', async () => {
    expect(valueOf(await callGraph(tenant, broker, `/groups/${GROUP.ops}/owners?$select=id,displayName&$top=999`))).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: USER.owner, displayName: 'Owner' },
    ]);
    const groupsOnly = await tokenWithPermissions(tenant, ['GroupMember.Read.All']);
    expect(valueOf(await callGraph(tenant, groupsOnly, `/groups/${GROUP.ops}/owners`))).toEqual([{ '@odata.type': '#microsoft.graph.user', id: USER.owner }]);
    const usersOnly = await tokenWithPermissions(tenant, ['User.Read.All']);
    expect((await callGraph(tenant, usersOnly, `/groups/${GROUP.ops}/owners`)).status).toBe(403);
    expect(valueOf(await callGraph(tenant, broker, `/groups/${GROUP.approvers}/owners`))).toEqual([]);
  });

  it('refuses /users/{id}/ownedObjects to app-only tokens, whatever they hold (Graph: application not supported)', async () => {
    const wide = await tokenWithPermissions(tenant, ['Directory.Read.All', 'User.Read.All', 'GroupMember.Read.All']);
    const denied = await callGraph(tenant, wide, `/users/${USER.owner}/ownedObjects/microsoft.graph.group?$count=true&$select=id,isAssignableToRole`, { eventual: true });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: { code: 'Authorization_RequestDenied' } });
  });

  it('answers /me/ownedObjects for a signed-in user (User.Read), groups limited without a group permission', async () => {
    const res = await tenant.fetch(`${tenant.url}/${TEST_ORG.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', client_id: TEST_ORG.portalClientId, scope: 'User.Read', username: 'owner@contoso.test', password: 'pw-owner' }).toString(),
    });
    const { access_token: token } = (await res.json()) as { access_token: string };
    const mine = await callGraph(tenant, token, '/me/ownedObjects/microsoft.graph.group?$count=true', { eventual: true });
    expect(mine.status).toBe(200);
    expect(mine.body['@odata.context']).toMatch(/\$metadata#groups$/);
    expect(valueOf(mine)).toEqual([{ '@odata.type': '#microsoft.graph.group', id: GROUP.ops }]);
    // User.Read covers the signed-in user only.
    expect((await callGraph(tenant, token, `/users/${USER.boss}/ownedObjects`)).status).toBe(403);
  });
});

describe('/groups?$filter=isAssignableToRole', () => {
  it('filters on isAssignableToRole and refuses other filters', async () => {
    expect(valueOf(await callGraph(tenant, broker, '/groups?$filter=isAssignableToRole eq true&$select=id&$top=999'))).toEqual([{ '@odata.type': '#microsoft.graph.group', id: GROUP.ops }]);
    expect(valueOf(await callGraph(tenant, broker, '/groups?$filter=isAssignableToRole eq false&$select=id')).map((g) => g['id'])).toEqual([GROUP.approvers, GROUP.outer]);
    const refused = await callGraph(tenant, broker, "/groups?$filter=displayName eq 'Ops'");
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'Request_UnsupportedQuery' } });
  });
});

describe('/groups?$expand=owners', () => {
  it('expands owners of role-assignable groups in one request, at most 20 per group and without a nextLink', async () => {
    const path = '/groups?$filter=isAssignableToRole eq true&$select=id&$expand=owners($select=id)&$top=100';
    expect(valueOf(await callGraph(tenant, broker, path))).toEqual([
      { '@odata.type': '#microsoft.graph.group', id: GROUP.ops, owners: [{ '@odata.type': '#microsoft.graph.user', id: USER.owner }] },
    ]);
    const dir = tenant.ctx.directory;
    const template = dir.users.get(USER.plain);
    const ops = dir.groups.get(GROUP.ops);
    if (template === undefined || ops === undefined) throw new Error('test org changed');
    const extra = Array.from({ length: 24 }, (_, i) => userIdFromUpn(`extra${i}@contoso.test`));
    extra.forEach((id, i) => addUser(dir, { ...template, id, userPrincipalName: `extra${i}@contoso.test`, managerId: null }));
    ops.ownerIds.push(...extra);
    try {
      const capped = await callGraph(tenant, broker, path);
      const owners = valueOf(capped)[0]?.['owners'] as unknown[];
      expect(owners).toHaveLength(20);
      expect(capped.body['@odata.nextLink']).toBeUndefined();
      // The full list stays reachable through the navigation itself.
      expect(valueOf(await callGraph(tenant, broker, `/groups/${GROUP.ops}/owners?$select=id&$top=999`))).toHaveLength(25);
      expect((await callGraph(tenant, broker, '/groups?$expand=owners&$top=101')).status).toBe(400);
    } finally {
      for (const id of extra) removeUser(dir, id);
    }
    expect(dir.groups.get(GROUP.ops)?.ownerIds).toEqual([USER.owner]);
  });
});
