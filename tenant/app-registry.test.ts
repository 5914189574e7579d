/**
 * The app registry as the single source of truth for clients and resources: a bare seed holds
 * only Microsoft's first-party apps; the demo seed's registrations look like setup:entra's; and a
 * registration added through the registry functions (as Graph's write endpoints add them) is a
 * client the token endpoint serves, with the roles assigned to it and its API's token version.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { ConfidentialClientApplication, type AuthError } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addApplication,
  addAppRoleAssignment,
  addServicePrincipal,
  findApplicationByAppId,
  findServicePrincipalByAppId,
  getGraphServicePrincipal,
  GRAPH_CLI_APP_ID,
  MICROSOFT_GRAPH_APP_ID,
  passwordCredentialFor,
  servicePrincipalIdOf,
} from './app-registry';
import demoOrg from './demo-org.json';
import { findGraphAppRoleByValue } from './graph/graph-permissions';
import { apiScopeIdOf } from './seed-apps';
import { parseSeed } from './seed';
import { createCaNetworkClient, startTestTenant, submitSignInForm, type TestTenant } from './testing';
import type { Directory } from './types';

const TENANT_ID = '5e5e5e5e-0000-4000-8000-000000000001';

/** A seed with users only: no portal, broker or automation registration. */
function bareSeed(): Record<string, unknown> {
  return {
    tenantId: TENANT_ID,
    tapPolicy: { state: 'enabled' },
    users: [{ userPrincipalName: 'admin@bare.test', displayName: 'Admin', password: 'Bare-Password-1!', directoryRoles: ['Global Administrator'] }],
  };
}

describe('a bare seed', () => {
  it('loads with only Microsoft Graph and the Graph command-line tools, and no seeded views', () => {
    const dir = parseSeed(bareSeed());
    expect(dir.apps.applications.size).toBe(0);
    expect([...dir.apps.servicePrincipals.values()].map((sp) => sp.appId).sort()).toEqual([MICROSOFT_GRAPH_APP_ID, GRAPH_CLI_APP_ID].sort());
    expect(dir.apps.appRoleAssignments).toEqual([]);
    expect(dir.apps.oauth2PermissionGrants).toEqual([]);
    // Microsoft's real ids, so a registration written here carries the ids a real tenant accepts.
    const graph = getGraphServicePrincipal(dir);
    expect(graph.appRoles.find((r) => r.value === 'Application.ReadWrite.All')?.id).toBe('1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9');
    expect(graph.oauth2PermissionScopes.find((s) => s.value === 'AppRoleAssignment.ReadWrite.All')?.id).toBe('84bccea3-f856-4a8a-967b-dbe0a3d53a64');
    expect(() => dir.portal).toThrow(/registered no portal/);
    expect(dir.automation).toBeNull();
    expect(dir.users.get([...dir.users.keys()][0] ?? '')?.appRoles).toEqual([]);
  });

  it('refuses app roles on users when there is no portal API to hold them', () => {
    const seed = bareSeed();
    (seed.users as Record<string, unknown>[])[0]!.appRoles = ['TapBroker.Admin'];
    expect(() => parseSeed(seed)).toThrow(/registers none \(add "portal"\)/);
  });
});

describe('the demo seed in the registry', () => {
  const dir = parseSeed(demoOrg);
  const api = findApplicationByAppId(dir, demoOrg.portal.apiClientId);
  const spa = findApplicationByAppId(dir, demoOrg.portal.clientId);
  const broker = findServicePrincipalByAppId(dir, demoOrg.broker.clientId);

  it('registers the API, the SPA and the clients as setup:entra would, with the ids derived as before', () => {
    const scopeId = apiScopeIdOf(demoOrg.portal.apiClientId, 'access_as_user');
    expect(api).toMatchObject({
      identifierUris: [`api://${demoOrg.portal.apiClientId}`],
      api: { requestedAccessTokenVersion: 2, preAuthorizedApplications: [{ appId: demoOrg.portal.clientId, delegatedPermissionIds: [scopeId] }] },
    });
    expect(api?.appRoles.map((r) => r.value)).toEqual(['TapBroker.Approver', 'TapBroker.Auditor', 'TapBroker.Admin']);
    expect(spa).toMatchObject({ isFallbackPublicClient: true, spa: { redirectUris: demoOrg.portal.redirectUris } });
    expect(broker?.id).toBe(servicePrincipalIdOf(demoOrg.broker.clientId));
    const apiSp = findServicePrincipalByAppId(dir, demoOrg.portal.apiClientId);
    const spaSp = findServicePrincipalByAppId(dir, demoOrg.portal.clientId);
    expect(dir.apps.oauth2PermissionGrants).toEqual([expect.objectContaining({ clientId: spaSp?.id, resourceId: apiSp?.id, consentType: 'AllPrincipals', scope: 'access_as_user' })]);
  });

  it("keeps a secret only as its SHA-256, and consents the broker's Graph permissions with Graph's real app role ids", () => {
    const app = findApplicationByAppId(dir, demoOrg.broker.clientId);
    expect(JSON.stringify([...dir.apps.applications.values()])).not.toContain(demoOrg.broker.clientSecret);
    expect(app?.passwordCredentials).toHaveLength(1);
    const graph = getGraphServicePrincipal(dir);
    const granted = dir.apps.appRoleAssignments.filter((a) => a.principalId === broker?.id && a.resourceId === graph.id).map((a) => a.appRoleId);
    expect(granted).toEqual(demoOrg.broker.graphPermissions.map((p) => findGraphAppRoleByValue(p)?.id));
    expect(dir.broker.graphPermissions).toEqual(demoOrg.broker.graphPermissions);
  });

  it("holds users' and groups' app roles as assignments on the API, which the old views read and write", () => {
    const apiSp = findServicePrincipalByAppId(dir, demoOrg.portal.apiClientId);
    const seeded = demoOrg.users.find((u) => (u as { appRoles?: string[] }).appRoles?.length);
    const user = [...dir.users.values()].find((u) => u.userPrincipalName === seeded?.userPrincipalName);
    expect(user?.appRoles).toEqual((seeded as { appRoles: string[] }).appRoles);
    if (user === undefined || apiSp === undefined) throw new Error('demo seed changed');
    user.appRoles = ['TapBroker.Auditor'];
    const held = dir.apps.appRoleAssignments.filter((a) => a.principalId === user.id && a.resourceId === apiSp.id);
    expect(held.map((a) => apiSp.appRoles.find((r) => r.id === a.appRoleId)?.value)).toEqual(['TapBroker.Auditor']);
  });

  it('takes a certificate credential with the certificate’s own validity', async () => {
    const pems = await generate([{ name: 'commonName', value: 'dates' }], { keySize: 2048, algorithm: 'sha256' });
    const own = parseSeed({ ...structuredClone(demoOrg), broker: { ...demoOrg.broker, certificates: [pems.cert] } });
    const key = findApplicationByAppId(own, demoOrg.broker.clientId)?.keyCredentials[0];
    const cert = new X509Certificate(pems.cert);
    expect(Date.parse(key?.startDateTime ?? '')).toBe(Date.parse(cert.validFrom));
    expect(Date.parse(key?.endDateTime ?? '')).toBe(Date.parse(cert.validTo));
  });
});

describe('a registration added to the registry is a client of the token endpoint', () => {
  let tenant: TestTenant;
  let dir: Directory;
  const SECRET = 'registered-later-secret-1';

  beforeAll(async () => {
    tenant = await startTestTenant({ seed: bareSeed() });
    dir = tenant.ctx.directory;
  });
  afterAll(async () => {
    await tenant.close();
  });

  async function clientCredentials(clientId: string, scope: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await tenant.fetch(`${tenant.url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: SECRET, scope }).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  function newClient(displayName: string): string {
    const app = addApplication(dir, {
      displayName,
      passwordCredentials: [passwordCredentialFor(SECRET, { keyId: crypto.randomUUID(), startDateTime: '2020-01-01T00:00:00Z', endDateTime: '2999-01-01T00:00:00Z' })],
    });
    return app.appId;
  }

  it('is refused while it has no service principal, then gets the Graph roles consented to it', async () => {
    const appId = newClient('Service');
    const early = await clientCredentials(appId, 'https://graph.microsoft.com/.default');
    expect(early.status).toBe(401);
    expect(String(early.body.error_description)).toMatch(/^AADSTS7000229: /);

    const sp = addServicePrincipal(dir, appId);
    const graph = getGraphServicePrincipal(dir);
    for (const value of ['User.Read.All', 'Application.ReadWrite.All']) {
      addAppRoleAssignment(dir, { principalId: sp.id, principalType: 'ServicePrincipal', principalDisplayName: sp.displayName, resourceId: graph.id, appRoleId: findGraphAppRoleByValue(value)?.id ?? '' });
    }
    const ok = await clientCredentials(appId, 'https://graph.microsoft.com/.default');
    expect(ok.status).toBe(200);
    expect(decodeJwt(String(ok.body.access_token))).toMatchObject({ aud: 'https://graph.microsoft.com', appid: appId, oid: sp.id, roles: ['User.Read.All', 'Application.ReadWrite.All'] });

    const wrong = await tenant.fetch(`${tenant.url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: 'not-it', scope: 'https://graph.microsoft.com/.default' }).toString(),
    });
    expect(wrong.status).toBe(401);
  });

  it("gets tokens for an API registered later, with the API's roles assigned to it, v2 or v1 as the API asks", async () => {
    const roleId = crypto.randomUUID();
    const api = addApplication(dir, {
      displayName: 'Later API',
      appRoles: [{ id: roleId, value: 'Jobs.Run', displayName: 'Run jobs', description: 'Runs jobs.', allowedMemberTypes: ['Application'], isEnabled: true }],
      api: { requestedAccessTokenVersion: 2 },
    });
    api.identifierUris = [`api://${api.appId}`];
    const apiSp = addServicePrincipal(dir, api.appId);
    const clientId = newClient('Caller');
    const caller = addServicePrincipal(dir, clientId);
    addAppRoleAssignment(dir, { principalId: caller.id, principalType: 'ServicePrincipal', principalDisplayName: caller.displayName, resourceId: apiSp.id, appRoleId: roleId });

    const v2 = await clientCredentials(clientId, `api://${api.appId}/.default`);
    expect(v2.status).toBe(200);
    expect(decodeJwt(String(v2.body.access_token))).toMatchObject({ ver: '2.0', aud: api.appId, azp: clientId, roles: ['Jobs.Run'] });

    api.api.requestedAccessTokenVersion = null;
    const v1 = await clientCredentials(clientId, `${api.appId}/.default`);
    expect(decodeJwt(String(v1.body.access_token))).toMatchObject({ ver: '1.0', aud: `api://${api.appId}`, appid: clientId, roles: ['Jobs.Run'] });
  });
});

describe('a SPA and an API registered later sign a user in as the seeded portal does', () => {
  it("issues the API's v2 token with the user's app roles to the SPA's authorization code + PKCE", async () => {
    const tenant = await startTestTenant({ seed: bareSeed() });
    try {
      const dir = tenant.ctx.directory;
      const scopeId = crypto.randomUUID();
      const roleId = crypto.randomUUID();
      const spaApp = addApplication(dir, { displayName: 'Later portal', spa: { redirectUris: ['http://localhost:3000'] } });
      const api = addApplication(dir, {
        displayName: 'Later API',
        appRoles: [{ id: roleId, value: 'TapBroker.Admin', displayName: 'Admin', description: 'Admin.', allowedMemberTypes: ['User'], isEnabled: true }],
        api: {
          requestedAccessTokenVersion: 2,
          oauth2PermissionScopes: [
            { id: scopeId, value: 'access_as_user', type: 'User', adminConsentDisplayName: 'Access', adminConsentDescription: 'Access.', userConsentDisplayName: null, userConsentDescription: null, isEnabled: true },
          ],
          preAuthorizedApplications: [{ appId: spaApp.appId, delegatedPermissionIds: [scopeId] }],
        },
      });
      api.identifierUris = [`api://${api.appId}`];
      const apiSp = addServicePrincipal(dir, api.appId);
      addServicePrincipal(dir, spaApp.appId);
      const admin = [...dir.users.values()][0];
      if (admin === undefined) throw new Error('no user');
      addAppRoleAssignment(dir, { principalId: admin.id, principalType: 'User', principalDisplayName: admin.displayName, resourceId: apiSp.id, appRoleId: roleId });

      const verifier = randomBytes(32).toString('base64url');
      const url = new URL(`${tenant.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
      const scope = `openid profile offline_access api://${api.appId}/access_as_user`;
      const params = { client_id: spaApp.appId, response_type: 'code', redirect_uri: 'http://localhost:3000', scope, code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' };
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      const signedIn = await submitSignInForm(tenant.fetch, url, 'admin@bare.test', 'Bare-Password-1!');
      const code = new URL(signedIn.location ?? 'http://x/').searchParams.get('code') ?? '';
      const res = await tenant.fetch(`${tenant.url}/${TENANT_ID}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:3000' },
        body: new URLSearchParams({ grant_type: 'authorization_code', client_id: spaApp.appId, code, redirect_uri: 'http://localhost:3000', code_verifier: verifier, scope }).toString(),
      });
      const body = (await res.json()) as { access_token?: string };
      expect(res.status).toBe(200);
      expect(decodeJwt(body.access_token ?? '')).toMatchObject({ ver: '2.0', aud: api.appId, azp: spaApp.appId, scp: 'access_as_user', roles: ['TapBroker.Admin'], oid: admin.id });
    } finally {
      await tenant.close();
    }
  });
});

describe('certificate credentials', () => {
  it('refuses an assertion made with a certificate whose key credential has expired (AADSTS700027)', async () => {
    const pems = await generate([{ name: 'commonName', value: 'broker' }], { keySize: 2048, algorithm: 'sha256' });
    const seed = { ...structuredClone(demoOrg), broker: { ...demoOrg.broker, certificates: [pems.cert] } };
    const own = await startTestTenant({ seed });
    try {
      const der = Buffer.from(pems.cert.replace(/-----[^-]+-----|\s/g, ''), 'base64');
      const cca = new ConfidentialClientApplication({
        auth: {
          clientId: seed.broker.clientId,
          authority: `${own.url}/${seed.tenantId}/`,
          knownAuthorities: [`localhost:${own.port}`],
          clientCertificate: { thumbprintSha256: createHash('sha256').update(der).digest('hex'), privateKey: pems.private },
        },
        system: { networkClient: createCaNetworkClient(own.certPem) },
      });
      const scopes = ['https://graph.microsoft.com/.default'];
      const ok = await cca.acquireTokenByClientCredential({ scopes });
      expect(decodeJwt(ok?.accessToken ?? '')).toMatchObject({ appid: seed.broker.clientId, appidacr: '2' });

      const key = findApplicationByAppId(own.ctx.directory, seed.broker.clientId)?.keyCredentials[0];
      if (key === undefined) throw new Error('no key credential');
      key.endDateTime = '2021-01-01T00:00:00Z';
      const refused = (await cca.acquireTokenByClientCredential({ scopes, skipCache: true }).then(
        () => null,
        (e: unknown) => e as AuthError,
      )) as AuthError | null;
      expect(refused?.errorCode).toBe('invalid_client');
      expect(refused?.errorMessage).toMatch(/AADSTS700027: Client assertion failed signature validation\. \[Reason - The key used is expired\./);
    } finally {
      await own.close();
    }
  });
});
