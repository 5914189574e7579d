/**
 * Conformance of the local Graph with a second Microsoft client: `@azure/identity` for the app
 * token and the Kiota-based `@microsoft/msgraph-sdk` for the calls, the broker's calls as far as
 * that SDK can express them. The broker itself uses msal-node and `@microsoft/microsoft-graph-client`;
 * this suite holds the emulator to what a different, typed client expects: the schema alias in
 * cast segments (`graph.directoryRole`), `@odata.type` on every nested manager, typed collections
 * and advanced-query paging with the header carried by the SDK's own page iterator.
 *
 * Trust: both clients are given the tenant's certificate as their only CA (`tlsOptions.ca` for
 * identity's pipeline, a `node:https` fetch with `ca` for Kiota); TLS verification stays on.
 */
import { ClientSecretCredential } from '@azure/identity';
import { Headers, HttpMethod, RequestInformation, type Parsable, type ParsableFactory } from '@microsoft/kiota-abstractions';
import { createGraphServiceClient, GraphRequestAdapter, type GraphServiceClient } from '@microsoft/msgraph-sdk';
import {
  createApplicationFromDiscriminatorValue,
  createAppRoleAssignmentCollectionResponseFromDiscriminatorValue,
  createTemporaryAccessPassAuthenticationMethodConfigurationFromDiscriminatorValue,
  createUnifiedRoleAssignmentCollectionResponseFromDiscriminatorValue,
  createUnifiedRoleEligibilityScheduleInstanceCollectionResponseFromDiscriminatorValue,
  createUserCollectionResponseFromDiscriminatorValue,
  type Application,
  type AppRoleAssignmentCollectionResponse,
  type TemporaryAccessPassAuthenticationMethodConfiguration,
  type UnifiedRoleAssignmentCollectionResponse,
  type UnifiedRoleEligibilityScheduleInstanceCollectionResponse,
  type User,
} from '@microsoft/msgraph-sdk/models/index.js';
import { createODataErrorFromDiscriminatorValue, type ODataError } from '@microsoft/msgraph-sdk/models/oDataErrors/index.js';
import { createGraphClientFactory, GraphAzureIdentityAuthenticationProvider, PageIterator, type PageCollection } from '@microsoft/msgraph-sdk-core';
import '@microsoft/msgraph-sdk-directory';
import '@microsoft/msgraph-sdk-users';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdFromUpn } from '../seed';
import { startTestTenant, type FetchInit, type TestTenant } from '../testing';

const TENANT_ID = '8a0c1b7e-2a41-4c3e-9d0b-6a1f2e3d4c5b';
const PORTAL_API = '8b2c3d4e-0000-4000-8000-00000000c002';
const USER_ADMIN = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const BROKER = { clientId: '8b2c3d4e-0000-4000-8000-00000000b001', secret: 'broker-secret-for-tests' };
const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';
const REPORTS = 12;
const EVENTUAL = { ConsistencyLevel: 'eventual' };

const id = (upn: string): string => userIdFromUpn(upn);
const dev = (i: number): string => `dev${String(i).padStart(2, '0')}@contoso.test`;

function seed(): Record<string, unknown> {
  return {
    tenantId: TENANT_ID,
    portal: { clientId: '8b2c3d4e-0000-4000-8000-00000000c001', apiClientId: PORTAL_API, scope: 'access_as_user', redirectUris: ['http://localhost:3000'] },
    broker: {
      clientId: BROKER.clientId,
      clientSecret: BROKER.secret,
      graphPermissions: [
        'User.Read.All',
        'UserAuthenticationMethod.ReadWrite.All',
        'Policy.Read.AuthenticationMethod',
        'RoleManagement.Read.Directory',
        'GroupMember.Read.All',
        'AdministrativeUnit.Read.All',
        'Application.Read.All',
      ],
    },
    tapPolicy: { state: 'enabled', defaultLifetimeInMinutes: 60, minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480, defaultLength: 8, isUsableOnce: false },
    users: [
      { userPrincipalName: 'megan@contoso.test', displayName: 'Megan Bowen', jobTitle: 'CEO' },
      { userPrincipalName: 'alex@contoso.test', displayName: 'Alex Wilber', manager: 'megan@contoso.test' },
      { userPrincipalName: 'bianca@contoso.test', displayName: 'Bianca Pisani', manager: 'alex@contoso.test' },
      { userPrincipalName: 'ada@contoso.test', displayName: 'Ada Admin', manager: 'bianca@contoso.test', directoryRoles: ['Global Administrator'] },
      {
        userPrincipalName: 'eli@contoso.test',
        displayName: 'Eli Eligible',
        manager: 'bianca@contoso.test',
        directoryRoles: [{ role: 'User Administrator', scope: '/administrativeUnits/Board', assignment: 'eligible' }],
      },
      ...Array.from({ length: REPORTS - 1 }, (_, i) => ({ userPrincipalName: dev(i + 1), displayName: `Dev ${i + 1}`, manager: 'bianca@contoso.test' })),
    ],
    groups: [
      { displayName: 'Ops', isAssignableToRole: true, members: ['ada@contoso.test'] },
      { displayName: 'Approvers', members: [dev(3)], appRoles: ['TapBroker.Approver'] },
    ],
    administrativeUnits: [{ displayName: 'Board', isMemberManagementRestricted: true, members: ['megan@contoso.test'] }],
  };
}

let tenant: TestTenant;
let adapter: GraphRequestAdapter;
let graph: GraphServiceClient;

/** Kiota's fetch: `node:https` with the tenant's certificate as the only trusted CA. */
function caFetch(t: TestTenant): (request: string, init: RequestInit) => Promise<Response> {
  return (request, init) => t.fetch(request, init as FetchInit);
}

beforeAll(async () => {
  tenant = await startTestTenant({ seed: seed() });
  const credential = new ClientSecretCredential(TENANT_ID, BROKER.clientId, BROKER.secret, {
    authorityHost: tenant.url,
    // The tenant is not a Microsoft cloud: no instance discovery against login.microsoftonline.com.
    disableInstanceDiscovery: true,
    tlsOptions: { ca: tenant.certPem },
  });
  const auth = new GraphAzureIdentityAuthenticationProvider(credential, ['https://graph.microsoft.com/.default'], undefined, new Set(['localhost']));
  const http = createGraphClientFactory({ graphServiceTargetVersion: '', graphServiceLibraryClientVersion: '1.0.0' }, caFetch(tenant));
  adapter = new GraphRequestAdapter(auth, undefined, undefined, http);
  adapter.baseUrl = `${tenant.url}/graph/v1.0`;
  graph = createGraphServiceClient(adapter);
});

afterAll(async () => {
  await tenant?.close();
});

/** Awaits an SDK call that must fail with Graph's error envelope, as the SDK's typed `ODataError`. */
async function odataError(p: Promise<unknown>): Promise<ODataError> {
  try {
    await p;
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'responseStatusCode' in e) return e as ODataError;
    throw e;
  }
  throw new Error('expected the Graph call to fail');
}

function eventualHeaders(): Headers {
  const headers = new Headers();
  headers.add('ConsistencyLevel', 'eventual');
  return headers;
}

/** A GET the SDK's fluent API has no builder for (its package is not published), sent through the same adapter. */
async function getThrough<T extends Parsable>(path: string, factory: ParsableFactory<T>): Promise<T | undefined> {
  const request = new RequestInformation(HttpMethod.GET, `{+baseurl}${path}`, { baseurl: adapter.baseUrl });
  request.headers.tryAdd('Accept', 'application/json');
  return adapter.send(request, factory, { XXX: createODataErrorFromDiscriminatorValue });
}

describe('the Kiota SDK against the local Graph', () => {
  it('walks the manager chain ($levels=max, ConsistencyLevel) through typed, nested users', async () => {
    const user = await graph.users.byUserId(id(dev(1))).get({
      queryParameters: {
        select: ['id', 'displayName', 'userPrincipalName', 'jobTitle', 'department', 'accountEnabled', 'userType', 'employeeHireDate'],
        expand: ['manager($levels=max;$select=id,displayName,accountEnabled,userType)'],
      },
      headers: EVENTUAL,
    });
    expect(user?.displayName).toBe('Dev 1');
    const chain: string[] = [];
    // Kiota deserialises `manager` as a directoryObject; only `@odata.type` makes it a User with its own `manager`.
    let node = user?.manager as User | undefined;
    while (node !== undefined && node !== null) {
      expect(node.odataType).toBe('#microsoft.graph.user');
      expect(node.accountEnabled).toBe(true);
      chain.push(node.displayName ?? '');
      node = node.manager as User | undefined;
    }
    expect(chain).toEqual(['Bianca Pisani', 'Alex Wilber', 'Megan Bowen']);
  });

  it('is refused the chain without ConsistencyLevel, with an ODataError the SDK can read', async () => {
    const e = await odataError(graph.users.byUserId(id(dev(1))).get({ queryParameters: { expand: ['manager($levels=max;$select=id)'] } }));
    expect(e.responseStatusCode).toBe(400);
    expect(e.errorEscaped?.code).toBe('Request_UnsupportedQuery');
  });

  it('reads directory roles and groups through the graph.X cast segments Kiota sends', async () => {
    const target = graph.users.byUserId(id('ada@contoso.test')).transitiveMemberOf;
    const roles = await target.graphDirectoryRole.get({ queryParameters: { count: true, select: ['id', 'roleTemplateId'], top: 999 }, headers: EVENTUAL });
    expect(roles?.odataCount).toBe(1);
    expect(roles?.value?.map((r) => r.roleTemplateId)).toEqual([GLOBAL_ADMIN]);
    const groups = await target.graphGroup.get({ queryParameters: { count: true, select: ['id', 'isAssignableToRole'], top: 999 }, headers: EVENTUAL });
    expect(groups?.value?.map((g) => g.isAssignableToRole)).toEqual([true]);
    const refused = await odataError(target.graphGroup.get({ queryParameters: { select: ['id'] } }));
    expect(refused.responseStatusCode).toBe(400);
  });

  it('pages an advanced query with the SDK page iterator, which carries the header to every nextLink', async () => {
    const first = await graph.users.byUserId(id('bianca@contoso.test')).directReports.graphUser.get({
      queryParameters: { count: true, select: ['id', 'displayName'], top: 5 },
      headers: EVENTUAL,
    });
    expect(first?.odataNextLink).toMatch(/\$skiptoken=/);
    expect(first?.odataCount).toBe(REPORTS + 1);
    const seen: string[] = [];
    const firstPage: PageCollection<User> = { value: first?.value ?? [], odataNextLink: first?.odataNextLink ?? undefined };
    const iterator = new PageIterator<User>(
      adapter,
      firstPage,
      (u) => {
        seen.push(u.id ?? '');
        return true;
      },
      createUserCollectionResponseFromDiscriminatorValue as ParsableFactory<PageCollection<User>>,
      { XXX: createODataErrorFromDiscriminatorValue },
      { headers: eventualHeaders() },
    );
    await iterator.iterate();
    expect(new Set(seen).size).toBe(REPORTS + 1);
    expect(seen).toContain(id('ada@contoso.test'));
  });

  it('reads direct reports, typed', async () => {
    const reports = await graph.users.byUserId(id('bianca@contoso.test')).directReports.get({ queryParameters: { select: ['id', 'displayName'], top: 999 } });
    expect(reports?.value).toHaveLength(REPORTS + 1);
    for (const r of reports?.value ?? []) expect(r.odataType).toBe('#microsoft.graph.user');
  });

  it('reads the TAP policy and a user’s TAP methods', async () => {
    const policy = await getThrough<TemporaryAccessPassAuthenticationMethodConfiguration>(
      '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass',
      createTemporaryAccessPassAuthenticationMethodConfigurationFromDiscriminatorValue,
    );
    expect(policy).toMatchObject({ state: 'enabled', defaultLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480, isUsableOnce: false });
    const methods = graph.users.byUserId(id(dev(2))).authentication.temporaryAccessPassMethods;
    expect((await methods.get())?.value).toEqual([]);
    const created = await methods.post({ lifetimeInMinutes: 60, isUsableOnce: true });
    expect(created?.temporaryAccessPass).toHaveLength(8);
    const listed = await methods.get();
    expect(listed?.value?.map((m) => [m.id, m.temporaryAccessPass ?? null, m.isUsableOnce])).toEqual([[created?.id, null, true]]);
  });

  it('reads role assignments by principal', async () => {
    const page = await getThrough<UnifiedRoleAssignmentCollectionResponse>(
      `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${id('ada@contoso.test')}'`)}&$select=id,principalId,roleDefinitionId,directoryScopeId`,
      createUnifiedRoleAssignmentCollectionResponseFromDiscriminatorValue,
    );
    expect(page?.value?.map((a) => [a.principalId, a.roleDefinitionId, a.directoryScopeId])).toEqual([[id('ada@contoso.test'), GLOBAL_ADMIN, '/']]);
  });

  it('reads PIM-eligible assignments with their administrative-unit scope', async () => {
    const filter = encodeURIComponent(`principalId eq '${id('eli@contoso.test')}'`);
    const page = await getThrough<UnifiedRoleEligibilityScheduleInstanceCollectionResponse>(
      `/roleManagement/directory/roleEligibilityScheduleInstances?$filter=${filter}&$select=id,principalId,roleDefinitionId,directoryScopeId`,
      createUnifiedRoleEligibilityScheduleInstanceCollectionResponseFromDiscriminatorValue,
    );
    expect(page?.value).toHaveLength(1);
    expect(page?.value?.[0]).toMatchObject({ principalId: id('eli@contoso.test'), roleDefinitionId: USER_ADMIN });
    expect(page?.value?.[0]?.directoryScopeId).toMatch(/^\/administrativeUnits\/[0-9a-f-]{36}$/);
  });

  it('reads administrative units and a user’s units through the graph.administrativeUnit cast', async () => {
    const units = await graph.directory.administrativeUnits.get({ queryParameters: { select: ['id', 'isMemberManagementRestricted'], top: 999 } });
    expect(units?.value?.map((u) => u.isMemberManagementRestricted)).toEqual([true]);
    const mine = await graph.users.byUserId(id('megan@contoso.test')).memberOf.graphAdministrativeUnit.get({
      queryParameters: { count: true, select: ['id', 'isMemberManagementRestricted'] },
      headers: EVENTUAL,
    });
    expect(mine?.odataCount).toBe(1);
    expect(mine?.value?.[0]).toMatchObject({ id: units?.value?.[0]?.id, isMemberManagementRestricted: true });
  });

  it('reads the portal API’s app role assignments (groups included) and its token version', async () => {
    const assigned = await getThrough<AppRoleAssignmentCollectionResponse>(
      `/servicePrincipals(appId='${PORTAL_API}')/appRoleAssignedTo?$select=principalId,principalType,appRoleId&$top=999`,
      createAppRoleAssignmentCollectionResponseFromDiscriminatorValue,
    );
    expect(assigned?.value?.map((a) => a.principalType)).toEqual(['Group']);
    expect(assigned?.value?.[0]?.appRoleId).toMatch(/^[0-9a-f-]{36}$/);
    const app = await getThrough<Application>(`/applications(appId='${PORTAL_API}')?$select=api`, createApplicationFromDiscriminatorValue);
    expect(app?.api?.requestedAccessTokenVersion).toBe(2);
  });
});
