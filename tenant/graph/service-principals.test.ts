/**
 * The portal API's service principal and app registration in the local Graph: who holds a
 * `TapBroker.*` role (users and groups, via `appRoleAssignedTo`), and the registration's
 * requested access token version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationObjectIdOf, servicePrincipalIdOf } from '../app-registry';
import { portalAppRoleIdOf } from '../seed-apps';
import { startTestTenant, type TestTenant } from '../testing';
import { callGraph, clientCredentialsToken, tokenWithPermissions, valueOf } from './test-graph';
import { GROUP, TEST_ORG, USER, testOrgSeed } from './test-org';

let tenant: TestTenant;
let broker: string;
const API_SP = servicePrincipalIdOf(TEST_ORG.apiClientId);
const ASSIGNED_TO = `/servicePrincipals(appId='${TEST_ORG.apiClientId}')/appRoleAssignedTo`;

beforeAll(async () => {
  tenant = await startTestTenant({ seed: testOrgSeed() });
  broker = await clientCredentialsToken(tenant, TEST_ORG.broker.clientId, TEST_ORG.broker.secret);
});

afterAll(async () => {
  await tenant?.close();
});

describe('the portal API service principal', () => {
  it('is found by object id and by appId, and declares the TapBroker app roles', async () => {
    const byAppId = await callGraph(tenant, broker, `/servicePrincipals(appId='${TEST_ORG.apiClientId}')?$select=id,appId,appRoles`);
    expect(byAppId.status).toBe(200);
    expect(byAppId.body).toMatchObject({ id: API_SP, appId: TEST_ORG.apiClientId });
    const roles = byAppId.body['appRoles'] as Record<string, unknown>[];
    expect(roles.map((r) => r['value'])).toEqual(['TapBroker.Approver', 'TapBroker.Auditor', 'TapBroker.Admin']);
    expect(roles[0]).toMatchObject({ allowedMemberTypes: ['User'], isEnabled: true, id: portalAppRoleIdOf(TEST_ORG.apiClientId, 'TapBroker.Approver') });
    const byId = await callGraph(tenant, broker, `/servicePrincipals/${API_SP}`);
    expect(byId.body).toMatchObject({ id: API_SP, appId: TEST_ORG.apiClientId, servicePrincipalType: 'Application', displayName: 'TAP Broker API' });
  });

  it('lists every app role assignment, users and groups, with Graph’s item shape', async () => {
    const assigned = await callGraph(tenant, broker, `${ASSIGNED_TO}?$top=999`);
    expect(assigned.status).toBe(200);
    expect(valueOf(assigned)).toEqual([
      {
        id: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        deletedDateTime: null,
        appRoleId: portalAppRoleIdOf(TEST_ORG.apiClientId, 'TapBroker.Admin'),
        createdDateTime: expect.any(String),
        principalDisplayName: 'Boss',
        principalId: USER.boss,
        principalType: 'User',
        resourceDisplayName: 'TAP Broker API',
        resourceId: API_SP,
      },
      {
        id: expect.any(String),
        deletedDateTime: null,
        appRoleId: portalAppRoleIdOf(TEST_ORG.apiClientId, 'TapBroker.Approver'),
        createdDateTime: expect.any(String),
        principalDisplayName: 'Approvers',
        principalId: GROUP.approvers,
        principalType: 'Group',
        resourceDisplayName: 'TAP Broker API',
        resourceId: API_SP,
      },
    ]);
    const selected = valueOf(await callGraph(tenant, broker, `${ASSIGNED_TO}?$select=principalId,principalType,appRoleId&$top=999`));
    expect(selected).toEqual([
      { principalId: USER.boss, principalType: 'User', appRoleId: portalAppRoleIdOf(TEST_ORG.apiClientId, 'TapBroker.Admin') },
      { principalId: GROUP.approvers, principalType: 'Group', appRoleId: portalAppRoleIdOf(TEST_ORG.apiClientId, 'TapBroker.Approver') },
    ]);
  });

  it('pages appRoleAssignedTo, caps $top at 999, and refuses filters', async () => {
    const first = await callGraph(tenant, broker, `${ASSIGNED_TO}?$select=principalId&$top=1`);
    expect(valueOf(first)).toEqual([{ principalId: USER.boss }]);
    const next = String(first.body['@odata.nextLink']).slice(`${tenant.url}/graph/v1.0`.length);
    expect(valueOf(await callGraph(tenant, broker, next))).toEqual([{ principalId: GROUP.approvers }]);
    expect((await callGraph(tenant, broker, `${ASSIGNED_TO}?$top=1000`)).status).toBe(400);
    expect((await callGraph(tenant, broker, `${ASSIGNED_TO}?$filter=principalType eq 'User'`)).status).toBe(400);
  });

  it('sees a group assignment change at once (no caching between requests)', async () => {
    const group = tenant.ctx.directory.groups.get(GROUP.approvers);
    if (group === undefined) throw new Error('no Approvers group');
    group.appRoles = ['TapBroker.Approver', 'TapBroker.Auditor'];
    try {
      const assigned = valueOf(await callGraph(tenant, broker, `${ASSIGNED_TO}?$select=principalId,appRoleId`));
      expect(assigned.filter((a) => a['principalId'] === GROUP.approvers)).toHaveLength(2);
    } finally {
      group.appRoles = ['TapBroker.Approver'];
    }
  });

  it('answers 404 Request_ResourceNotFound for an unknown service principal, 403 without an application permission', async () => {
    const missing = await callGraph(tenant, broker, `/servicePrincipals(appId='00000000-0000-4000-8000-00000000dead')/appRoleAssignedTo`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'Request_ResourceNotFound' } });
    expect((await callGraph(tenant, broker, '/servicePrincipals/00000000-0000-4000-8000-00000000dead')).status).toBe(404);
    const token = await tokenWithPermissions(tenant, ['User.Read.All', 'GroupMember.Read.All', 'RoleManagement.Read.Directory']);
    const denied = await callGraph(tenant, token, ASSIGNED_TO);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: { code: 'Authorization_RequestDenied' } });
    const directory = await tokenWithPermissions(tenant, ['Directory.Read.All']);
    expect((await callGraph(tenant, directory, ASSIGNED_TO)).status).toBe(200);
  });

  it('works inside $batch, and counts the alternate-key route under one template', async () => {
    const before = tenant.ctx.stats.batched["GET /v1.0/servicePrincipals(appId={id})/appRoleAssignedTo"] ?? 0;
    const batch = await callGraph(tenant, broker, '/$batch', {
      method: 'POST',
      body: { requests: [{ id: '8', method: 'GET', url: `${ASSIGNED_TO}?$select=principalId,principalType,appRoleId&$top=999` }] },
    });
    const [item] = batch.body['responses'] as { status: number; body: { value: unknown[] } }[];
    expect(item?.status).toBe(200);
    expect(item?.body.value).toHaveLength(2);
    expect(tenant.ctx.stats.batched["GET /v1.0/servicePrincipals(appId={id})/appRoleAssignedTo"]).toBe(before + 1);
  });

  it('has an empty appRoleAssignedTo for the other apps', async () => {
    const broker2 = await callGraph(tenant, broker, `/servicePrincipals(appId='${TEST_ORG.broker.clientId}')/appRoleAssignedTo`);
    expect(broker2.status).toBe(200);
    expect(valueOf(broker2)).toEqual([]);
  });
});

describe('the portal API app registration', () => {
  it('reports requestedAccessTokenVersion 2 by default, by appId and by object id', async () => {
    const app = await callGraph(tenant, broker, `/applications(appId='${TEST_ORG.apiClientId}')?$select=api`);
    expect(app.status).toBe(200);
    expect(app.body['api']).toMatchObject({ requestedAccessTokenVersion: 2 });
    const byId = await callGraph(tenant, broker, `/applications/${applicationObjectIdOf(TEST_ORG.apiClientId)}?$select=appId,identifierUris`);
    expect(byId.body).toMatchObject({ appId: TEST_ORG.apiClientId, identifierUris: [`api://${TEST_ORG.apiClientId}`] });
    const token = await tokenWithPermissions(tenant, ['User.Read.All']);
    expect((await callGraph(tenant, token, `/applications(appId='${TEST_ORG.apiClientId}')`)).status).toBe(403);
    expect((await callGraph(tenant, broker, `/applications(appId='00000000-0000-4000-8000-00000000dead')`)).status).toBe(404);
  });

  it('reports null (Entra’s v1 default) when the seed asks for v1 tokens', async () => {
    const v1 = await startTestTenant({ seed: testOrgSeed({ accessTokenVersion: 1 }) });
    try {
      const token = await clientCredentialsToken(v1, TEST_ORG.broker.clientId, TEST_ORG.broker.secret);
      const app = await callGraph(v1, token, `/applications(appId='${TEST_ORG.apiClientId}')?$select=api`);
      expect(app.body).toMatchObject({ api: { requestedAccessTokenVersion: null } });
    } finally {
      await v1.close();
    }
  });
});
