/**
 * Directory roles beyond `directoryRole` objects: custom roles, AU scopes, PIM eligibility and
 * group-held roles, through v1.0 `roleManagement/directory` — and proof that
 * `transitiveMemberOf/microsoft.graph.directoryRole` and `/directoryRoles` do not show them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTenant, type TestTenant } from '../testing';
import { callGraph, clientCredentialsToken, tokenWithPermissions, valueOf } from './test-graph';
import { AU, CUSTOM_ROLE, GROUP, ROLE, TEST_ORG, USER, testOrgSeed } from './test-org';

let tenant: TestTenant;
let broker: string;

beforeAll(async () => {
  tenant = await startTestTenant({ seed: testOrgSeed() });
  broker = await clientCredentialsToken(tenant, TEST_ORG.broker.clientId, TEST_ORG.broker.secret);
});

afterAll(async () => {
  await tenant?.close();
});

const SELECT = '$select=id,principalId,roleDefinitionId,directoryScopeId';
const assignmentsOf = async (principalId: string) =>
  valueOf(await callGraph(tenant, broker, `/roleManagement/directory/roleAssignments?$filter=principalId eq '${principalId}'&${SELECT}`));

describe('roleAssignments', () => {
  it('shows custom roles by their id, AU scopes, and group principals; active ones only', async () => {
    const custom = await assignmentsOf(USER.custom);
    expect(custom).toEqual([{ id: expect.stringMatching(/-1$/), principalId: USER.custom, roleDefinitionId: CUSTOM_ROLE, directoryScopeId: '/' }]);
    expect(await assignmentsOf(USER.scoped)).toEqual([
      { id: expect.any(String), principalId: USER.scoped, roleDefinitionId: ROLE.userAdmin, directoryScopeId: `/administrativeUnits/${AU.paris}` },
    ]);
    // The eligible Security Administrator is not an assignment; the active Reports Reader is.
    expect((await assignmentsOf(USER.eligible)).map((a) => a['roleDefinitionId'])).toEqual([ROLE.reportsReader]);
    expect(await assignmentsOf(GROUP.ops)).toEqual([{ id: expect.any(String), principalId: GROUP.ops, roleDefinitionId: ROLE.helpdeskAdmin, directoryScopeId: '/' }]);
    // A group member is not the principal of the group's assignment.
    expect(await assignmentsOf(USER.member)).toEqual([]);
  });

  it('keeps the default shape without $select, and refuses an unknown $select name', async () => {
    const all = valueOf(await callGraph(tenant, broker, `/roleManagement/directory/roleAssignments?$filter=principalId eq '${USER.global}'`));
    expect(all).toEqual([{ id: expect.any(String), principalId: USER.global, resourceScope: '/', directoryScopeId: '/', roleDefinitionId: ROLE.globalAdmin }]);
    const bad = await callGraph(tenant, broker, `/roleManagement/directory/roleAssignments?$filter=principalId eq '${USER.global}'&$select=colour`);
    expect(bad.status).toBe(400);
  });

  it('needs a RoleManagement or Directory permission: the schedule-only permissions are not enough', async () => {
    const token = await tokenWithPermissions(tenant, ['RoleEligibilitySchedule.Read.Directory', 'RoleAssignmentSchedule.Read.Directory', 'User.Read.All']);
    const denied = await callGraph(tenant, token, `/roleManagement/directory/roleAssignments?$filter=principalId eq '${USER.global}'`);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: { code: 'Authorization_RequestDenied' } });
  });
});

describe('what directoryRole objects cannot show', () => {
  const rolesOf = async (id: string) =>
    valueOf(await callGraph(tenant, broker, `/users/${id}/transitiveMemberOf/microsoft.graph.directoryRole?$count=true&$select=id,roleTemplateId&$top=999`, { eventual: true })).map(
      (r) => r['roleTemplateId'],
    );

  it('lists only active, tenant-wide, built-in roles in transitiveMemberOf (direct or through a group)', async () => {
    expect(await rolesOf(USER.custom)).toEqual([]);
    expect(await rolesOf(USER.scoped)).toEqual([]);
    expect(await rolesOf(USER.eligible)).toEqual([ROLE.reportsReader]);
    expect(await rolesOf(USER.member)).toEqual([ROLE.helpdeskAdmin]);
    expect(await rolesOf(USER.global)).toEqual([ROLE.globalAdmin]);
  });

  it('activates in /directoryRoles only built-in roles with an active tenant-wide holder', async () => {
    const roles = valueOf(await callGraph(tenant, broker, '/directoryRoles'));
    expect(roles.map((r) => r['roleTemplateId']).sort()).toEqual([ROLE.globalAdmin, ROLE.helpdeskAdmin, ROLE.reportsReader].sort());
  });
});

describe('roleEligibilityScheduleInstances', () => {
  const path = '/roleManagement/directory/roleEligibilityScheduleInstances';

  it('lists PIM-eligible assignments with Graph’s shape, filtered by principal or not', async () => {
    const filtered = await callGraph(tenant, broker, `${path}?$filter=principalId eq '${USER.eligible}'`);
    expect(filtered.status).toBe(200);
    expect(filtered.body['@odata.context']).toMatch(/\/\$metadata#roleManagement\/directory\/roleEligibilityScheduleInstances$/);
    expect(valueOf(filtered)).toEqual([
      {
        id: expect.stringMatching(/-1-e$/),
        principalId: USER.eligible,
        roleDefinitionId: ROLE.securityAdmin,
        directoryScopeId: '/',
        appScopeId: null,
        startDateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        endDateTime: null,
        memberType: 'Direct',
        roleEligibilityScheduleId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    ]);
    expect(valueOf(await callGraph(tenant, broker, `${path}?${SELECT}`))).toEqual([
      { id: expect.any(String), principalId: USER.eligible, roleDefinitionId: ROLE.securityAdmin, directoryScopeId: '/' },
    ]);
    expect(valueOf(await callGraph(tenant, broker, `${path}?$filter=principalId eq '${USER.global}'`))).toEqual([]);
  });

  it('refuses filters it does not support', async () => {
    const bad = await callGraph(tenant, broker, `${path}?$filter=memberType eq 'Direct'`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'Request_UnsupportedQuery' } });
  });

  it('accepts RoleEligibilitySchedule.Read.Directory and refuses RoleAssignmentSchedule.Read.Directory alone', async () => {
    const least = await tokenWithPermissions(tenant, ['RoleEligibilitySchedule.Read.Directory']);
    expect((await callGraph(tenant, least, path)).status).toBe(200);
    const other = await tokenWithPermissions(tenant, ['RoleAssignmentSchedule.Read.Directory', 'User.Read.All', 'Policy.Read.All']);
    const denied = await callGraph(tenant, other, path);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: { code: 'Authorization_RequestDenied' } });
    const directory = await tokenWithPermissions(tenant, ['Directory.Read.All']);
    expect((await callGraph(tenant, directory, path)).status).toBe(200);
  });
});

describe('roleAssignmentScheduleInstances', () => {
  const path = '/roleManagement/directory/roleAssignmentScheduleInstances';

  it('lists every active assignment, permanent ones as "Assigned", and pages with nextLink', async () => {
    const one = valueOf(await callGraph(tenant, broker, `${path}?$filter=principalId eq '${USER.scoped}'`));
    expect(one).toEqual([
      {
        id: expect.stringMatching(/-1$/),
        principalId: USER.scoped,
        roleDefinitionId: ROLE.userAdmin,
        directoryScopeId: `/administrativeUnits/${AU.paris}`,
        appScopeId: null,
        startDateTime: null,
        endDateTime: null,
        assignmentType: 'Assigned',
        memberType: 'Direct',
        roleAssignmentOriginId: one[0]?.['id'],
        roleAssignmentScheduleId: one[0]?.['id'],
      },
    ]);
    // The instance id is the assignment's id, as in Entra.
    const [assignment] = await assignmentsOf(USER.scoped);
    expect(one[0]?.['id']).toBe(assignment?.['id']);

    const all = valueOf(await callGraph(tenant, broker, `${path}?$select=principalId,roleDefinitionId,directoryScopeId`));
    expect(all).toHaveLength(5); // custom, scoped, eligible's Reports Reader, global, Ops
    expect(all).not.toContainEqual(expect.objectContaining({ roleDefinitionId: ROLE.securityAdmin }));
    expect(all).toContainEqual({ principalId: GROUP.ops, roleDefinitionId: ROLE.helpdeskAdmin, directoryScopeId: '/' });

    const first = await callGraph(tenant, broker, `${path}?$select=principalId&$top=3`);
    expect(valueOf(first)).toHaveLength(3);
    const next = first.body['@odata.nextLink'];
    expect(typeof next).toBe('string');
    const second = await callGraph(tenant, broker, String(next).slice(`${tenant.url}/graph/v1.0`.length));
    expect(valueOf(second).map((a) => a['principalId'])).toEqual(all.slice(3).map((a) => a['principalId']));
    expect(second.body['@odata.nextLink']).toBeUndefined();
  });

  it('accepts RoleAssignmentSchedule.Read.Directory and refuses RoleEligibilitySchedule.Read.Directory alone', async () => {
    const least = await tokenWithPermissions(tenant, ['RoleAssignmentSchedule.Read.Directory']);
    expect((await callGraph(tenant, least, path)).status).toBe(200);
    const other = await tokenWithPermissions(tenant, ['RoleEligibilitySchedule.Read.Directory']);
    expect((await callGraph(tenant, other, path)).status).toBe(403);
  });

  it('answers both schedule lists inside one $batch', async () => {
    const batch = await callGraph(tenant, broker, '/$batch', {
      method: 'POST',
      body: {
        requests: [
          { id: 'a', method: 'GET', url: `/roleManagement/directory/roleAssignmentScheduleInstances?${SELECT}` },
          { id: 'e', method: 'GET', url: `/roleManagement/directory/roleEligibilityScheduleInstances?${SELECT}` },
        ],
      },
    });
    const responses = batch.body['responses'] as { id: string; status: number; body: { value: unknown[] } }[];
    expect(responses.find((r) => r.id === 'a')?.body.value).toHaveLength(5);
    expect(responses.find((r) => r.id === 'e')?.body.value).toEqual([
      { id: expect.any(String), principalId: USER.eligible, roleDefinitionId: ROLE.securityAdmin, directoryScopeId: '/' },
    ]);
  });
});

describe('roleDefinitions', () => {
  it('lists built-in and custom roles, filters on isBuiltIn, and reads one by id', async () => {
    const custom = valueOf(await callGraph(tenant, broker, '/roleManagement/directory/roleDefinitions?$filter=isBuiltIn eq false'));
    expect(custom).toEqual([
      {
        id: CUSTOM_ROLE,
        description: null,
        displayName: 'Password Helpers',
        isBuiltIn: false,
        isEnabled: true,
        resourceScopes: ['/'],
        templateId: CUSTOM_ROLE,
        version: null,
        rolePermissions: [{ allowedResourceActions: ['microsoft.directory/users/password/update'], condition: null }],
      },
    ]);
    const all = valueOf(await callGraph(tenant, broker, '/roleManagement/directory/roleDefinitions?$select=id,isBuiltIn'));
    expect(all).toContainEqual({ id: ROLE.userAdmin, isBuiltIn: true });
    const one = await callGraph(tenant, broker, `/roleManagement/directory/roleDefinitions/${ROLE.userAdmin}?$select=displayName,templateId`);
    expect(one.body).toMatchObject({ displayName: 'User Administrator', templateId: ROLE.userAdmin });
    expect((await callGraph(tenant, broker, '/roleManagement/directory/roleDefinitions/00000000-0000-4000-8000-00000000dead')).status).toBe(404);
    const token = await tokenWithPermissions(tenant, ['User.Read.All']);
    expect((await callGraph(tenant, token, '/roleManagement/directory/roleDefinitions')).status).toBe(403);
  });
});
