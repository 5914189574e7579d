/**
 * App role assignments and delegated permission grants in the local Graph: admin consent to
 * Microsoft Graph's application permissions, users and groups on the tenant's own API, consent
 * grants, Graph's validation errors, and who may do each (app permissions; for delegated
 * callers the scope and the signed-in user's directory role).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getGraphServicePrincipal } from '../app-registry';
import type { GraphCaller } from '../types';
import { startTestTenant, type TestTenant } from '../testing';
import { findGraphAppRoleByValue, findGraphScopeByValue } from './graph-permissions';
import { callGraph, tokenWithPermissions, valueOf } from './test-graph';
import { GROUP, USER, testOrgSeed } from './test-org';
import { callAs, delegated, giveDirectoryRole } from './test-registry';

const APPLICATION_ADMINISTRATOR = '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3';
const SETUP_SCOPES = ['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'DelegatedPermissionGrant.ReadWrite.All', 'User.Read.All'];

let tenant: TestTenant;
let admin: string;
let graphSpId: string;
const USER_READ_ALL = findGraphAppRoleByValue('User.Read.All')?.id ?? '';

beforeAll(async () => {
  tenant = await startTestTenant({ seed: testOrgSeed() });
  graphSpId = getGraphServicePrincipal(tenant.ctx.directory).id;
  // `owner` administers applications; `global` (seed) is a Global Administrator; `plain` holds no role.
  giveDirectoryRole(tenant.ctx.directory, USER.owner, APPLICATION_ADMINISTRATOR);
  admin = await tokenWithPermissions(tenant, ['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'DelegatedPermissionGrant.ReadWrite.All']);
});

afterAll(async () => {
  await tenant?.close();
});

/** A registration and its service principal; `roles` become the app's (and so the SP's) app roles. */
async function appWithSp(displayName: string, roles: Record<string, unknown>[] = []): Promise<{ appId: string; spId: string }> {
  const app = await callGraph(tenant, admin, '/applications', { method: 'POST', body: { displayName, appRoles: roles } });
  expect(app.status).toBe(201);
  const sp = await callGraph(tenant, admin, '/servicePrincipals', { method: 'POST', body: { appId: app.body['appId'] } });
  expect(sp.status).toBe(201);
  return { appId: String(app.body['appId']), spId: String(sp.body['id']) };
}

function userRole(value: string, members: ('User' | 'Application')[] = ['User']): Record<string, unknown> {
  return { id: randomUUID(), value, displayName: value, description: value, allowedMemberTypes: members, isEnabled: true };
}

describe('admin consent to Microsoft Graph application permissions', () => {
  it('assigns a Graph app role to a client, lists it from both ends, and refuses the same assignment again', async () => {
    const client = await appWithSp('Consent client');
    const body = { principalId: client.spId, resourceId: graphSpId, appRoleId: USER_READ_ALL };
    const created = await callGraph(tenant, admin, `/servicePrincipals/${client.spId}/appRoleAssignments`, { method: 'POST', body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      appRoleId: USER_READ_ALL,
      principalId: client.spId,
      principalType: 'ServicePrincipal',
      principalDisplayName: 'Consent client',
      resourceId: graphSpId,
      resourceDisplayName: 'Microsoft Graph',
    });
    // The id begins with the principal's id bytes, as Entra's do.
    expect(Buffer.from(String(created.body['id']), 'base64url').subarray(0, 16).toString('hex')).toBe(client.spId.replace(/-/g, ''));

    const mine = valueOf(await callGraph(tenant, admin, `/servicePrincipals/${client.spId}/appRoleAssignments?$select=id,appRoleId,resourceId`));
    expect(mine).toEqual([{ id: created.body['id'], appRoleId: USER_READ_ALL, resourceId: graphSpId }]);
    const onGraph = valueOf(await callGraph(tenant, admin, `/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/appRoleAssignedTo?$top=999`));
    expect(onGraph.map((a) => a['id'])).toContain(created.body['id']);

    const again = await callGraph(tenant, admin, `/servicePrincipals/${graphSpId}/appRoleAssignedTo`, { method: 'POST', body });
    expect(again.status).toBe(400);
    expect(again.body['error']).toMatchObject({ code: 'Request_BadRequest', message: 'Permission being assigned already exists on the object.' });
    expect(tenant.ctx.directory.apps.appRoleAssignments.filter((a) => a.principalId === client.spId)).toHaveLength(1);

    expect((await callGraph(tenant, admin, `/servicePrincipals/${graphSpId}/appRoleAssignedTo/${String(created.body['id'])}`, { method: 'DELETE' })).status).toBe(204);
    expect(valueOf(await callGraph(tenant, admin, `/servicePrincipals/${client.spId}/appRoleAssignments`))).toEqual([]);
    expect((await callGraph(tenant, admin, `/servicePrincipals/${graphSpId}/appRoleAssignedTo/${String(created.body['id'])}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses an unknown role, a role for another member type, a body that disagrees with the path and unknown objects', async () => {
    const client = await appWithSp('Careless client');
    const assign = (path: string, body: Record<string, unknown>) => callGraph(tenant, admin, path, { method: 'POST', body });
    const unknownRole = await assign(`/servicePrincipals/${graphSpId}/appRoleAssignedTo`, { principalId: client.spId, resourceId: graphSpId, appRoleId: randomUUID() });
    expect(unknownRole.status).toBe(400);
    expect(unknownRole.body['error']).toMatchObject({ message: "Permission being assigned was not found on application '00000003-0000-0000-c000-000000000000'." });
    // Graph's app roles are application permissions: a user cannot hold one.
    expect((await assign(`/users/${USER.plain}/appRoleAssignments`, { principalId: USER.plain, resourceId: graphSpId, appRoleId: USER_READ_ALL })).status).toBe(400);
    expect((await assign(`/servicePrincipals/${graphSpId}/appRoleAssignedTo`, { principalId: client.spId, resourceId: client.spId, appRoleId: USER_READ_ALL })).status).toBe(400);
    const ghost = randomUUID();
    const noPrincipal = await assign(`/servicePrincipals/${graphSpId}/appRoleAssignedTo`, { principalId: ghost, resourceId: graphSpId, appRoleId: USER_READ_ALL });
    expect(noPrincipal.status).toBe(404);
    expect(noPrincipal.body['error']).toMatchObject({ code: 'Request_ResourceNotFound' });
    expect((await callGraph(tenant, admin, `/servicePrincipals/${ghost}/appRoleAssignedTo`)).status).toBe(404);
    expect(tenant.ctx.directory.apps.appRoleAssignments.filter((a) => a.principalId === client.spId || a.principalId === USER.plain)).toEqual([]);
  });

  it('needs AppRoleAssignment.ReadWrite.All (with an application read permission) from an app-only caller', async () => {
    const client = await appWithSp('Unconsented client');
    const body = { principalId: client.spId, resourceId: graphSpId, appRoleId: USER_READ_ALL };
    for (const permissions of [['Application.ReadWrite.All'], ['AppRoleAssignment.ReadWrite.All']]) {
      const token = await tokenWithPermissions(tenant, permissions);
      const res = await callGraph(tenant, token, `/servicePrincipals/${client.spId}/appRoleAssignments`, { method: 'POST', body });
      expect(res.status).toBe(403);
      expect(res.body['error']).toMatchObject({ code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    }
    const both = await tokenWithPermissions(tenant, ['AppRoleAssignment.ReadWrite.All', 'Application.Read.All']);
    expect((await callGraph(tenant, both, `/servicePrincipals/${client.spId}/appRoleAssignments`, { method: 'POST', body })).status).toBe(201);
    // Deleting the client's registration removes its service principal and what was granted to it.
    const app = valueOf(await callGraph(tenant, admin, `/applications?$filter=appId eq '${client.appId}'&$select=id`))[0];
    expect((await callGraph(tenant, admin, `/applications/${String(app?.['id'])}`, { method: 'DELETE' })).status).toBe(204);
    expect(tenant.ctx.directory.apps.appRoleAssignments.filter((a) => a.principalId === client.spId)).toEqual([]);
  });
});

describe('users and groups on the tenant’s own API', () => {
  it('assigns an API role to a user and a group from either end', async () => {
    const approver = userRole('Api.Approver');
    const api = await appWithSp('Own API', [approver]);
    const toUser = await callGraph(tenant, admin, `/users/${USER.approver}/appRoleAssignments`, { method: 'POST', body: { principalId: USER.approver, resourceId: api.spId, appRoleId: approver['id'] } });
    expect(toUser.status).toBe(201);
    expect(toUser.body).toMatchObject({ principalType: 'User', principalDisplayName: 'Approver', resourceDisplayName: 'Own API' });
    const toGroup = await callGraph(tenant, admin, `/servicePrincipals/${api.spId}/appRoleAssignedTo`, { method: 'POST', body: { principalId: GROUP.ops, resourceId: api.spId, appRoleId: approver['id'] } });
    expect(toGroup.status).toBe(201);
    expect(toGroup.body).toMatchObject({ principalType: 'Group', principalDisplayName: 'Ops' });
    const assigned = valueOf(await callGraph(tenant, admin, `/servicePrincipals/${api.spId}/appRoleAssignedTo?$select=principalId,principalType`));
    expect(assigned).toEqual([
      { principalId: USER.approver, principalType: 'User' },
      { principalId: GROUP.ops, principalType: 'Group' },
    ]);
    expect(valueOf(await callGraph(tenant, admin, `/groups/${GROUP.ops}/appRoleAssignments?$select=resourceId`))).toEqual([{ resourceId: api.spId }]);
    expect((await callGraph(tenant, admin, `/users/${USER.approver}/appRoleAssignments/${String(toUser.body['id'])}`, { method: 'DELETE' })).status).toBe(204);
    expect(valueOf(await callGraph(tenant, admin, `/users/${USER.approver}/appRoleAssignments`))).toEqual([]);
  });
});

describe('delegated callers need the scope and a directory role', () => {
  const appAdmin = (): GraphCaller => delegated(USER.owner, SETUP_SCOPES);
  const globalAdmin = (): GraphCaller => delegated(USER.global, SETUP_SCOPES);

  it('lets an Application Administrator register apps and assign the API’s roles, but not grant Graph’s permissions', async () => {
    const created = await callAs(tenant, appAdmin(), '/applications', { method: 'POST', body: { displayName: 'Admin-made API', appRoles: [userRole('Made.Role')] } });
    expect(created.status).toBe(201);
    const appId = String(created.body['appId']);
    expect(tenant.ctx.directory.apps.applications.get(String(created.body['id']))?.ownerIds).toEqual([USER.owner]);
    const sp = await callAs(tenant, appAdmin(), '/servicePrincipals', { method: 'POST', body: { appId } });
    expect(sp.status).toBe(201);
    const spId = String(sp.body['id']);
    const roleId = String((created.body['appRoles'] as Record<string, unknown>[])[0]?.['id']);
    expect((await callAs(tenant, appAdmin(), `/users/${USER.member}/appRoleAssignments`, { method: 'POST', body: { principalId: USER.member, resourceId: spId, appRoleId: roleId } })).status).toBe(201);

    const consent = { principalId: spId, resourceId: graphSpId, appRoleId: USER_READ_ALL };
    const refused = await callAs(tenant, appAdmin(), `/servicePrincipals/${spId}/appRoleAssignments`, { method: 'POST', body: consent });
    expect(refused.status).toBe(403);
    expect(refused.body['error']).toMatchObject({ code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    expect((await callAs(tenant, globalAdmin(), `/servicePrincipals/${spId}/appRoleAssignments`, { method: 'POST', body: consent })).status).toBe(201);
  });

  it('refuses a user without an admin role, and an admin whose token lacks the scope', async () => {
    const plain = await callAs(tenant, delegated(USER.plain, SETUP_SCOPES), '/applications', { method: 'POST', body: { displayName: 'Not mine' } });
    expect(plain.status).toBe(403);
    expect(plain.body['error']).toMatchObject({ code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    const noScope = await callAs(tenant, delegated(USER.global, ['User.Read.All']), '/applications', { method: 'POST', body: { displayName: 'Not mine' } });
    expect(noScope.status).toBe(403);
    expect([...tenant.ctx.directory.apps.applications.values()].filter((a) => a.displayName === 'Not mine')).toEqual([]);
  });
});

describe('/oauth2PermissionGrants', () => {
  it('grants tenant-wide consent once, finds it by client, changes its scope and revokes it', async () => {
    const spa = await appWithSp('Grant SPA');
    const api = await appWithSp('Grant API');
    const body = { clientId: spa.spId, consentType: 'AllPrincipals', principalId: null, resourceId: api.spId, scope: 'access_as_user' };
    const created = await callGraph(tenant, admin, '/oauth2PermissionGrants', { method: 'POST', body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), clientId: spa.spId, consentType: 'AllPrincipals', principalId: null, resourceId: api.spId, scope: 'access_as_user' });
    const again = await callGraph(tenant, admin, '/oauth2PermissionGrants', { method: 'POST', body });
    expect(again.status).toBe(409);
    expect(again.body['error']).toMatchObject({ code: 'Request_MultipleObjectsWithSameKeyValue', message: 'Permission entry already exists.' });

    const found = valueOf(await callGraph(tenant, admin, `/oauth2PermissionGrants?$filter=clientId eq '${spa.spId}' and consentType eq 'AllPrincipals'`));
    expect(found.map((g) => g['id'])).toEqual([created.body['id']]);
    const path = `/oauth2PermissionGrants/${String(created.body['id'])}`;
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { scope: 'access_as_user other' } })).status).toBe(204);
    expect((await callGraph(tenant, admin, path)).body).toMatchObject({ scope: 'access_as_user other' });
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { clientId: api.spId } })).status).toBe(400);
    expect((await callGraph(tenant, admin, path, { method: 'DELETE' })).status).toBe(204);
    expect((await callGraph(tenant, admin, path)).status).toBe(404);
  });

  it('needs DelegatedPermissionGrant.ReadWrite.All, and for tenant-wide consent to Graph a Global or Privileged Role Administrator', async () => {
    const client = await appWithSp('Graph consent client');
    const reader = await tokenWithPermissions(tenant, ['Application.ReadWrite.All']);
    const body = { clientId: client.spId, consentType: 'AllPrincipals', resourceId: graphSpId, scope: findGraphScopeByValue('User.Read')?.value ?? 'User.Read' };
    expect((await callGraph(tenant, reader, '/oauth2PermissionGrants', { method: 'POST', body })).status).toBe(403);
    const byAppAdmin = await callAs(tenant, delegated(USER.owner, SETUP_SCOPES), '/oauth2PermissionGrants', { method: 'POST', body });
    expect(byAppAdmin.status).toBe(403);
    expect(byAppAdmin.body['error']).toMatchObject({ code: 'Authorization_RequestDenied' });
    const byGlobal = await callAs(tenant, delegated(USER.global, SETUP_SCOPES), '/oauth2PermissionGrants', { method: 'POST', body });
    expect(byGlobal.status).toBe(201);
    expect(tenant.ctx.directory.apps.oauth2PermissionGrants.filter((g) => g.clientId === client.spId)).toHaveLength(1);
  });
});
