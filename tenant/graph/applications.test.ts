/**
 * App registrations and service principals written through the local Graph over HTTPS, with
 * Graph's shapes, defaults, PATCH semantics, credentials and errors.
 */
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTenant, type TestTenant } from '../testing';
import { callGraph, tokenWithPermissions, valueOf } from './test-graph';
import { testOrgSeed } from './test-org';

let tenant: TestTenant;
let admin: string;

beforeAll(async () => {
  tenant = await startTestTenant({ seed: testOrgSeed() });
  admin = await tokenWithPermissions(tenant, ['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'DelegatedPermissionGrant.ReadWrite.All']);
});

afterAll(async () => {
  await tenant?.close();
});

async function createApp(displayName: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const res = await callGraph(tenant, admin, '/applications', { method: 'POST', body: { displayName, ...extra } });
  expect(res.status).toBe(201);
  return res.body;
}

const role = (value: string, isEnabled = true): Record<string, unknown> => ({
  id: randomUUID(),
  value,
  displayName: value,
  description: `${value} role`,
  allowedMemberTypes: ['User'],
  isEnabled,
});

describe('POST /applications', () => {
  it('creates a registration with Graph’s defaults and finds it again by appId, displayName and identifier URI', async () => {
    const app = await createApp('Contoso API');
    expect(app).toMatchObject({
      '@odata.context': `${tenant.url}/graph/v1.0/$metadata#applications/$entity`,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      appId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      displayName: 'Contoso API',
      signInAudience: 'AzureADMyOrg',
      identifierUris: [],
      appRoles: [],
      keyCredentials: [],
      passwordCredentials: [],
      requiredResourceAccess: [],
      spa: { redirectUris: [] },
      api: { requestedAccessTokenVersion: null, oauth2PermissionScopes: [], preAuthorizedApplications: [], knownClientApplications: [], acceptMappedClaims: null },
    });
    expect(app['id']).not.toBe(app['appId']);
    const appId = String(app['appId']);
    const uri = `api://${appId}`;
    expect((await callGraph(tenant, admin, `/applications/${String(app['id'])}`, { method: 'PATCH', body: { identifierUris: [uri] } })).status).toBe(204);

    const byAppId = await callGraph(tenant, admin, `/applications?$filter=appId eq '${appId}'&$select=id,appId,identifierUris`);
    expect(valueOf(byAppId)).toEqual([{ id: app['id'], appId, identifierUris: [uri] }]);
    const byName = await callGraph(tenant, admin, `/applications?$filter=displayName eq 'Contoso API'&$select=appId`);
    expect(valueOf(byName)).toEqual([{ appId }]);
    const byUri = await callGraph(tenant, admin, `/applications?$filter=${encodeURIComponent(`identifierUris/any(x:x eq '${uri}')`)}&$select=appId`);
    expect(valueOf(byUri)).toEqual([{ appId }]);
    expect(valueOf(await callGraph(tenant, admin, `/applications?$filter=displayName eq 'Nobody'`))).toEqual([]);
    const byKey = await callGraph(tenant, admin, `/applications(appId='${appId}')?$select=displayName`);
    expect(byKey.body).toMatchObject({ displayName: 'Contoso API' });
    // beta and `$batch` reach the same registry.
    const beta = await tenant.fetch(`${tenant.url}/graph/beta/applications(appId='${appId}')?$select=appId`, { headers: { authorization: `Bearer ${admin}` } });
    expect(await beta.json()).toMatchObject({ appId });
    const batch = await callGraph(tenant, admin, '/$batch', { method: 'POST', body: { requests: [{ id: '1', method: 'GET', url: `/applications?$filter=appId eq '${appId}'&$select=displayName` }] } });
    expect((batch.body['responses'] as { status: number; body: { value: unknown[] } }[])[0]).toMatchObject({ status: 200, body: { value: [{ displayName: 'Contoso API' }] } });
  });

  it('refuses a create without a display name, unknown properties and unsupported filters', async () => {
    const noName = await callGraph(tenant, admin, '/applications', { method: 'POST', body: {} });
    expect(noName.status).toBe(400);
    expect(noName.body['error']).toMatchObject({ code: 'Request_BadRequest', message: "Invalid value specified for property 'displayName' of resource 'Application'." });
    const unknown = await callGraph(tenant, admin, '/applications', { method: 'POST', body: { displayName: 'x', colour: 'red' } });
    expect(unknown.status).toBe(400);
    expect((await callGraph(tenant, admin, `/applications?$filter=signInAudience eq 'AzureADMyOrg'`)).status).toBe(400);
  });

  it('needs Application.ReadWrite.All to write and a read permission to read (403 Authorization_RequestDenied)', async () => {
    const reader = await tokenWithPermissions(tenant, ['Application.Read.All']);
    const refused = await callGraph(tenant, reader, '/applications', { method: 'POST', body: { displayName: 'Not allowed' } });
    expect(refused.status).toBe(403);
    expect(refused.body['error']).toMatchObject({ code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    expect((await callGraph(tenant, reader, '/applications')).status).toBe(200);
    const nothing = await tokenWithPermissions(tenant, ['User.Read.All']);
    expect((await callGraph(tenant, nothing, '/applications')).status).toBe(403);
    expect(valueOf(await callGraph(tenant, admin, `/applications?$filter=displayName eq 'Not allowed'`))).toEqual([]);
  });
});

describe('PATCH /applications/{id}', () => {
  it('replaces each collection it names, and copies roles, scopes and identifier URIs to the service principal', async () => {
    const app = await createApp('Roles API');
    const path = `/applications/${String(app['id'])}`;
    const appId = String(app['appId']);
    const sp = await callGraph(tenant, admin, '/servicePrincipals', { method: 'POST', body: { appId } });
    expect(sp.status).toBe(201);
    expect(sp.body).toMatchObject({ appId, displayName: 'Roles API', appOwnerOrganizationId: tenant.ctx.directory.tenantId, appRoles: [], servicePrincipalType: 'Application' });

    const approver = role('Roles.Approver');
    const scopeId = randomUUID();
    const scope = { id: scopeId, value: 'access_as_user', type: 'User', adminConsentDisplayName: 'Access', adminConsentDescription: 'Access the API', isEnabled: true };
    const patched = await callGraph(tenant, admin, path, {
      method: 'PATCH',
      body: { appRoles: [approver], identifierUris: [`api://${appId}`], api: { requestedAccessTokenVersion: 2, oauth2PermissionScopes: [scope] } },
    });
    expect(patched.status).toBe(204);
    const read = await callGraph(tenant, admin, `${path}?$select=appRoles,api,identifierUris`);
    expect(read.body['appRoles']).toEqual([{ ...approver, origin: 'Application' }]);
    expect(read.body['api']).toMatchObject({ requestedAccessTokenVersion: 2, oauth2PermissionScopes: [expect.objectContaining({ id: scopeId, value: 'access_as_user' })] });

    const spRead = await callGraph(tenant, admin, `/servicePrincipals/${String(sp.body['id'])}?$select=appRoles,oauth2PermissionScopes,servicePrincipalNames`);
    expect(spRead.body).toMatchObject({
      appRoles: [expect.objectContaining({ id: approver['id'], value: 'Roles.Approver' })],
      oauth2PermissionScopes: [expect.objectContaining({ id: scopeId })],
      servicePrincipalNames: [appId, `api://${appId}`],
    });

    // A PATCH of `api` leaves the parts it does not name alone.
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { api: { requestedAccessTokenVersion: null } } })).status).toBe(204);
    const after = await callGraph(tenant, admin, `${path}?$select=api`);
    expect(after.body['api']).toMatchObject({ requestedAccessTokenVersion: null, oauth2PermissionScopes: [expect.objectContaining({ id: scopeId })] });
  });

  it('refuses to remove or change an enabled app role until it has been disabled on its own', async () => {
    const keep = role('Keep.Me');
    const drop = role('Drop.Me');
    const app = await createApp('Disable first', { appRoles: [keep, drop] });
    const path = `/applications/${String(app['id'])}`;
    const refused = await callGraph(tenant, admin, path, { method: 'PATCH', body: { appRoles: [keep] } });
    expect(refused.status).toBe(400);
    expect(refused.body['error']).toMatchObject({ code: 'CannotDeleteOrUpdateEnabledEntitlement', message: 'Permission (scope or role) cannot be deleted or updated unless disabled first.' });
    expect((await callGraph(tenant, admin, `${path}?$select=appRoles`)).body['appRoles']).toHaveLength(2);
    // Nor may an enabled role change, not even while being disabled in the same PATCH.
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { appRoles: [{ ...keep, description: 'changed' }, drop] } })).status).toBe(400);
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { appRoles: [keep, { ...drop, isEnabled: false, value: 'Dropped' }] } })).status).toBe(400);
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { appRoles: [keep, { ...drop, isEnabled: false }] } })).status).toBe(204);
    // Once disabled it may change (and be enabled again).
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { appRoles: [keep, { ...drop, isEnabled: false, description: 'changed' }] } })).status).toBe(204);
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { appRoles: [keep] } })).status).toBe(204);
    // Sending the roles it already has (a re-run of setup) changes nothing and is accepted.
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { appRoles: [keep] } })).status).toBe(204);
    expect(((await callGraph(tenant, admin, `${path}?$select=appRoles`)).body['appRoles'] as { value: string }[]).map((r) => r.value)).toEqual(['Keep.Me']);
  });

  it('accepts api:// identifier URIs of the app or the tenant and refuses unverified domains and duplicates', async () => {
    const app = await createApp('URIs');
    const appId = String(app['appId']);
    const path = `/applications/${String(app['id'])}`;
    const unverified = await callGraph(tenant, admin, path, { method: 'PATCH', body: { identifierUris: ['https://example.org/api'] } });
    expect(unverified.status).toBe(400);
    expect(unverified.body['error']).toMatchObject({
      code: 'HostNameNotOnVerifiedDomain',
      message: "Values of identifierUris property must use a verified domain of the organization or its subdomain: 'https://example.org/api'",
    });
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { identifierUris: ['api://someone-else'] } })).status).toBe(400);
    const ok = [`api://${appId}`, `api://${tenant.ctx.directory.tenantId}/uris`, 'https://api.contoso.test/uris'];
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { identifierUris: ok } })).status).toBe(204);
    const other = await createApp('URIs too');
    const duplicate = await callGraph(tenant, admin, `/applications/${String(other['id'])}`, { method: 'PATCH', body: { identifierUris: ['https://api.contoso.test/uris'] } });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body['error']).toMatchObject({ message: 'Another object with the same value for property identifierUris already exists.' });
  });

  it('accepts properties it does not model when they are echoed as read, and refuses a change to them', async () => {
    const app = await createApp('Echo');
    const path = `/applications/${String(app['id'])}`;
    const web = { redirectUris: ['https://app.contoso.test/auth'], implicitGrantSettings: { enableIdTokenIssuance: false, enableAccessTokenIssuance: false }, logoutUrl: null };
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { web, tags: [], notes: null, api: { knownClientApplications: [] } } })).status).toBe(204);
    expect((await callGraph(tenant, admin, `${path}?$select=web`)).body['web']).toMatchObject({ redirectUris: ['https://app.contoso.test/auth'] });
    const changed = await callGraph(tenant, admin, path, { method: 'PATCH', body: { web: { ...web, implicitGrantSettings: { enableIdTokenIssuance: true, enableAccessTokenIssuance: false } } } });
    expect(changed.status).toBe(400);
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { tags: ['x'] } })).status).toBe(400);
  });

  it('answers 404 for an unknown application', async () => {
    const missing = randomUUID();
    const res = await callGraph(tenant, admin, `/applications/${missing}`, { method: 'PATCH', body: { displayName: 'x' } });
    expect(res.status).toBe(404);
    expect(res.body['error']).toMatchObject({ code: 'Request_ResourceNotFound', message: `Resource '${missing}' does not exist or one of its queried reference-property objects are not present.` });
  });
});

describe('credentials', () => {
  it('keeps a certificate from keyCredentials: thumbprint, dates and subject from the certificate, key only on $select', async () => {
    const notBeforeDate = new Date('2026-01-01T00:00:00Z');
    const notAfterDate = new Date('2027-01-01T00:00:00Z');
    const pems = await generate([{ name: 'commonName', value: 'tap-broker-service' }], { keySize: 2048, algorithm: 'sha256', notBeforeDate, notAfterDate });
    const cert = new X509Certificate(pems.cert);
    const key = cert.raw.toString('base64');
    const app = await createApp('Certificate holder');
    const path = `/applications/${String(app['id'])}`;
    const patched = await callGraph(tenant, admin, path, { method: 'PATCH', body: { keyCredentials: [{ type: 'AsymmetricX509Cert', usage: 'Verify', key }] } });
    expect(patched.status).toBe(204);

    const withKey = await callGraph(tenant, admin, `${path}?$select=keyCredentials`);
    const [credential] = withKey.body['keyCredentials'] as Record<string, unknown>[];
    expect(credential).toEqual({
      customKeyIdentifier: createHash('sha1').update(cert.raw).digest('base64'),
      displayName: 'CN=tap-broker-service',
      endDateTime: '2027-01-01T00:00:00Z',
      key,
      keyId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      startDateTime: '2026-01-01T00:00:00Z',
      type: 'AsymmetricX509Cert',
      usage: 'Verify',
    });
    const full = await callGraph(tenant, admin, path);
    expect((full.body['keyCredentials'] as Record<string, unknown>[])[0]).toMatchObject({ key: null, keyId: credential?.['keyId'] });
    const listed = valueOf(await callGraph(tenant, admin, `/applications?$filter=appId eq '${String(app['appId'])}'&$select=keyCredentials`));
    expect((listed[0]?.['keyCredentials'] as Record<string, unknown>[])[0]).toMatchObject({ key: null });
    const stored = tenant.ctx.directory.apps.applications.get(String(app['id']));
    expect(stored?.keyCredentials[0]?.certificatePem.trim()).toBe(pems.cert.trim());
    expect(JSON.stringify(stored)).not.toContain('PRIVATE KEY');

    const bad = await callGraph(tenant, admin, path, { method: 'PATCH', body: { keyCredentials: [{ type: 'AsymmetricX509Cert', usage: 'Verify', key: 'bm90IGEgY2VydA==' }] } });
    expect(bad.status).toBe(400);
    expect(bad.body['error']).toMatchObject({ message: "Invalid value specified for property 'key' of resource 'KeyCredential'." });
    // An empty list removes every certificate (the collection is replaced as a whole).
    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { keyCredentials: [] } })).status).toBe(204);
    expect((await callGraph(tenant, admin, `${path}?$select=keyCredentials`)).body['keyCredentials']).toEqual([]);
  });

  it('shows a new secret once, keeps only its SHA-256, and removes it by keyId', async () => {
    const app = await createApp('Secret holder');
    const path = `/applications/${String(app['id'])}`;
    const added = await callGraph(tenant, admin, `${path}/addPassword`, { method: 'POST', body: { passwordCredential: { displayName: 'ci' } } });
    expect(added.status).toBe(200);
    const secretText = String(added.body['secretText']);
    expect(secretText).toHaveLength(40);
    expect(added.body).toMatchObject({ displayName: 'ci', hint: secretText.slice(0, 3), keyId: expect.stringMatching(/^[0-9a-f-]{36}$/), customKeyIdentifier: null });
    const lifetime = Date.parse(String(added.body['endDateTime'])) - Date.parse(String(added.body['startDateTime']));
    expect(lifetime).toBe(2 * 365 * 24 * 60 * 60 * 1000);

    const read = await callGraph(tenant, admin, `${path}?$select=passwordCredentials`);
    expect(read.body['passwordCredentials']).toEqual([expect.objectContaining({ keyId: added.body['keyId'], secretText: null, hint: secretText.slice(0, 3) })]);
    const stored = tenant.ctx.directory.apps.applications.get(String(app['id']));
    expect(stored?.passwordCredentials[0]?.secretSha256).toBe(createHash('sha256').update(secretText).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(secretText);

    expect((await callGraph(tenant, admin, path, { method: 'PATCH', body: { passwordCredentials: [] } })).status).toBe(400);
    expect((await callGraph(tenant, admin, `${path}/removePassword`, { method: 'POST', body: { keyId: added.body['keyId'] } })).status).toBe(204);
    expect((await callGraph(tenant, admin, `${path}?$select=passwordCredentials`)).body['passwordCredentials']).toEqual([]);
    expect((await callGraph(tenant, admin, `${path}/removePassword`, { method: 'POST', body: { keyId: added.body['keyId'] } })).status).toBe(400);
  });
});

describe('/servicePrincipals', () => {
  it('creates one per app, finds it by appId, refuses a second (409) and an unknown appId (400), and patches settings', async () => {
    const app = await createApp('Enterprise app');
    const appId = String(app['appId']);
    const created = await callGraph(tenant, admin, '/servicePrincipals', { method: 'POST', body: { appId } });
    expect(created.status).toBe(201);
    const again = await callGraph(tenant, admin, '/servicePrincipals', { method: 'POST', body: { appId } });
    expect(again.status).toBe(409);
    expect(again.body['error']).toMatchObject({
      code: 'Request_MultipleObjectsWithSameKeyValue',
      message: `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`,
    });
    const stranger = randomUUID();
    const unknown = await callGraph(tenant, admin, '/servicePrincipals', { method: 'POST', body: { appId: stranger } });
    expect(unknown.status).toBe(400);
    expect(unknown.body['error']).toMatchObject({ code: 'Request_BadRequest', message: `The appId '${stranger}' of the service principal does not reference a valid application object.` });

    const found = await callGraph(tenant, admin, `/servicePrincipals?$filter=appId eq '${appId}'&$select=id,appId,appRoleAssignmentRequired,tags`);
    expect(valueOf(found)).toEqual([{ id: created.body['id'], appId, appRoleAssignmentRequired: false, tags: [] }]);
    const spPath = `/servicePrincipals/${String(created.body['id'])}`;
    expect((await callGraph(tenant, admin, spPath, { method: 'PATCH', body: { appRoleAssignmentRequired: true, tags: ['WindowsAzureActiveDirectoryIntegratedApp'] } })).status).toBe(204);
    expect((await callGraph(tenant, admin, `/servicePrincipals(appId='${appId}')?$select=appRoleAssignmentRequired,tags`)).body).toMatchObject({
      appRoleAssignmentRequired: true,
      tags: ['WindowsAzureActiveDirectoryIntegratedApp'],
    });
    expect((await callGraph(tenant, admin, spPath, { method: 'PATCH', body: { appId: randomUUID() } })).status).toBe(400);

    // Deleting the registration takes its service principal with it.
    expect((await callGraph(tenant, admin, `/applications/${String(app['id'])}`, { method: 'DELETE' })).status).toBe(204);
    expect((await callGraph(tenant, admin, spPath)).status).toBe(404);
    expect(valueOf(await callGraph(tenant, admin, `/servicePrincipals?$filter=appId eq '${appId}'`))).toEqual([]);
  });
});
