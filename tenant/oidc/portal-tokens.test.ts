/**
 * Access tokens for the portal API: app roles held through groups, the client app in `azp`
 * for every client of the seed, and the v1 shape when the API registration asks for v1 tokens.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTenant, type TestTenant } from '../testing';
import { TEST_ORG, USER, testOrgSeed } from '../graph/test-org';

const API_SCOPE = `api://${TEST_ORG.apiClientId}/access_as_user`;

async function ropc(tenant: TestTenant, username: string, client: { clientId: string; secret?: string }): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'password', client_id: client.clientId, scope: `openid ${API_SCOPE}`, username, password: `pw-${username.split('@')[0]}` });
  if (client.secret !== undefined) form.set('client_secret', client.secret);
  const res = await tenant.fetch(`${tenant.url}/${TEST_ORG.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (body.access_token === undefined) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

async function apiAppToken(tenant: TestTenant): Promise<string> {
  const res = await tenant.fetch(`${tenant.url}/${TEST_ORG.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: TEST_ORG.automation.clientId,
      client_secret: TEST_ORG.automation.secret,
      scope: `api://${TEST_ORG.apiClientId}/.default`,
    }).toString(),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function keys(tenant: TestTenant): Promise<ReturnType<typeof createLocalJWKSet>> {
  const res = await tenant.fetch(`${tenant.url}/${TEST_ORG.tenantId}/discovery/v2.0/keys`);
  return createLocalJWKSet((await res.json()) as JSONWebKeySet);
}

describe('v2 access tokens for the portal API (the default)', () => {
  let tenant: TestTenant;
  beforeAll(async () => {
    tenant = await startTestTenant({ seed: testOrgSeed() });
  });
  afterAll(async () => {
    await tenant?.close();
  });

  it('carry app roles held through (nested) groups as well as the user’s own', async () => {
    const approver = decodeJwt(await ropc(tenant, 'approver@contoso.test', { clientId: TEST_ORG.portalClientId }));
    expect(approver['roles']).toEqual(['TapBroker.Approver']);
    expect(approver).toMatchObject({ oid: USER.approver, ver: '2.0', aud: TEST_ORG.apiClientId });
    const boss = decodeJwt(await ropc(tenant, 'boss@contoso.test', { clientId: TEST_ORG.portalClientId }));
    expect(boss['roles']).toEqual(['TapBroker.Admin']);
    const plain = decodeJwt(await ropc(tenant, 'plain@contoso.test', { clientId: TEST_ORG.portalClientId }));
    expect(plain['roles']).toBeUndefined();
  });

  it('name the client app in azp: the SPA, or the automation client signing a user in by ROPC', async () => {
    const spa = decodeJwt(await ropc(tenant, 'plain@contoso.test', { clientId: TEST_ORG.portalClientId }));
    expect(spa['azp']).toBe(TEST_ORG.portalClientId);
    expect(spa['appid']).toBeUndefined();
    const automation = decodeJwt(await ropc(tenant, 'plain@contoso.test', { clientId: TEST_ORG.automation.clientId, secret: TEST_ORG.automation.secret }));
    expect(automation['azp']).toBe(TEST_ORG.automation.clientId);
    expect(automation['aud']).toBe(TEST_ORG.apiClientId);
    const app = decodeJwt(await apiAppToken(tenant));
    expect(app).toMatchObject({ azp: TEST_ORG.automation.clientId, ver: '2.0' });
  });
});

describe('v1 access tokens when portal.accessTokenVersion is 1', () => {
  let tenant: TestTenant;
  beforeAll(async () => {
    tenant = await startTestTenant({ seed: testOrgSeed({ accessTokenVersion: 1 }) });
  });
  afterAll(async () => {
    await tenant?.close();
  });

  it('have Entra’s v1 shape: sts.windows.net issuer, api:// audience, appid instead of azp, signed with the tenant key', async () => {
    const token = await ropc(tenant, 'approver@contoso.test', { clientId: TEST_ORG.portalClientId });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, await keys(tenant), { algorithms: ['RS256'] });
    expect(payload).toMatchObject({
      iss: `https://sts.windows.net/${TEST_ORG.tenantId}/`,
      aud: `api://${TEST_ORG.apiClientId}`,
      appid: TEST_ORG.portalClientId,
      ver: '1.0',
      tid: TEST_ORG.tenantId,
      oid: USER.approver,
      scp: 'access_as_user',
      upn: 'approver@contoso.test',
      roles: ['TapBroker.Approver'],
    });
    expect(payload['azp']).toBeUndefined();
  });

  it('apply to app-only tokens for the API too', async () => {
    const payload = decodeJwt(await apiAppToken(tenant));
    expect(payload).toMatchObject({ iss: `https://sts.windows.net/${TEST_ORG.tenantId}/`, aud: `api://${TEST_ORG.apiClientId}`, appid: TEST_ORG.automation.clientId, ver: '1.0' });
    expect(payload['azp']).toBeUndefined();
  });
});
