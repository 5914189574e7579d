/**
 * Admin sign-in for Microsoft's first-party public client ("Microsoft Graph Command Line Tools")
 * against a bare tenant, over real HTTPS: the device code flow end to end (pending, slow down, the
 * verification page, the token with the delegated Graph scopes, single redemption), a declined and
 * an expired code, ROPC, and the scope checks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PublicClientApplication } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApplication, addOAuth2PermissionGrant, addServicePrincipal, getGraphServicePrincipal, GRAPH_CLI_APP_ID, passwordCredentialFor } from '../app-registry';
import { createCaNetworkClient, startTestTenant, submitSignInForm, type TestTenant } from '../testing';
import { verifyGraphToken } from './tokens';

const TENANT_ID = '6e6e6e6e-0000-4000-8000-000000000001';
const ADMIN = 'admin@bare.test';
const PASSWORD = 'Bare-Password-1!';
const SETUP_SCOPES = 'openid profile offline_access Application.ReadWrite.All AppRoleAssignment.ReadWrite.All DelegatedPermissionGrant.ReadWrite.All User.Read.All';

let tenant: TestTenant;
let base: string;

beforeAll(async () => {
  tenant = await startTestTenant({
    seed: {
      tenantId: TENANT_ID,
      tapPolicy: { state: 'enabled' },
      users: [{ userPrincipalName: ADMIN, displayName: 'Admin', password: PASSWORD, directoryRoles: ['Application Administrator'] }],
    },
  });
  base = `${tenant.url}/${TENANT_ID}`;
});
afterAll(async () => {
  await tenant.close();
});

async function post(url: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await tenant.fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function postPage(form: Record<string, string>): Promise<string> {
  const res = await tenant.fetch(`${base}/devicelogin`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  expect(res.status).toBe(200);
  return res.text();
}

function hidden(html: string, name: string): string {
  const v = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html)?.[1];
  if (v === undefined) throw new Error(`no hidden ${name} in ${html}`);
  return v;
}

const poll = (deviceCode: string) => post(`${base}/oauth2/v2.0/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: GRAPH_CLI_APP_ID, device_code: deviceCode });
const start = (scope = SETUP_SCOPES) => post(`${base}/oauth2/v2.0/devicecode`, { client_id: GRAPH_CLI_APP_ID, scope });

describe('the device code flow for the Graph command-line tools', () => {
  it('is advertised in the OpenID configuration', async () => {
    const res = await tenant.fetch(`${base}/v2.0/.well-known/openid-configuration`);
    const config = (await res.json()) as Record<string, unknown>;
    expect(config.device_authorization_endpoint).toBe(`${base}/oauth2/v2.0/devicecode`);
    expect(config.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:device_code');
  });

  it('answers pending, then slow_down, then — once the user signed in on the verification page — a token with the Graph scopes, once', async () => {
    const started = await start();
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ verification_uri: `${base}/devicelogin`, expires_in: 900, interval: 5 });
    const userCode = String(started.body.user_code);
    const deviceCode = String(started.body.device_code);
    expect(started.body.message).toBe(`To sign in, use a web browser to open the page ${base}/devicelogin and enter the code ${userCode} to authenticate.`);

    expect(await poll(deviceCode)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    expect(await poll(deviceCode)).toMatchObject({ status: 400, body: { error: 'slow_down' } });

    const entry = await tenant.fetch(`${base}/devicelogin`);
    expect(await entry.text()).toContain('name="otc"');
    expect(await postPage({ otc: 'WRONGCODE' })).toContain('Check the code and try again.');
    const confirm = await postPage({ otc: userCode.toLowerCase() });
    expect(confirm).toContain('Microsoft Graph Command Line Tools');
    const flowToken = hidden(confirm, 'flowToken');
    const signIn = await postPage({ user_code: userCode, flowToken, continue: 'Continue' });
    expect(signIn).toContain('name="loginfmt"');
    expect(await postPage({ user_code: userCode, flowToken, loginfmt: ADMIN, passwd: 'wrong' })).toContain('AADSTS50126');
    expect(await postPage({ user_code: userCode, flowToken, loginfmt: ADMIN, passwd: PASSWORD })).toContain('You have signed in to the Microsoft Graph Command Line Tools application on your device.');

    const done = await poll(deviceCode);
    expect(done.status).toBe(200);
    const access = decodeJwt(String(done.body.access_token));
    const adminId = [...tenant.ctx.directory.users.values()][0]?.id;
    expect(access).toMatchObject({ aud: 'https://graph.microsoft.com', appid: GRAPH_CLI_APP_ID, oid: adminId, upn: ADMIN });
    expect(String(access.scp).split(' ')).toEqual(
      expect.arrayContaining(['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'DelegatedPermissionGrant.ReadWrite.All', 'User.Read.All']),
    );
    expect(done.body.refresh_token).toEqual(expect.any(String));
    // Graph sees a delegated caller and who the user is (the directory-role checks need it).
    expect(await verifyGraphToken(tenant.ctx, `Bearer ${String(done.body.access_token)}`)).toMatchObject({ kind: 'user', appId: GRAPH_CLI_APP_ID, userId: adminId });

    expect(await poll(deviceCode)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('answers authorization_declined when the user cancels, and expired_token past expires_in', async () => {
    const declined = await start();
    const confirm = await postPage({ otc: String(declined.body.user_code) });
    expect(await postPage({ user_code: String(declined.body.user_code), flowToken: hidden(confirm, 'flowToken'), decline: 'Cancel' })).toContain('You have declined');
    expect(await poll(String(declined.body.device_code))).toMatchObject({ status: 400, body: { error: 'authorization_declined' } });

    const late = await start();
    const record = tenant.ctx.oidc.deviceAuthorizations.get(String(late.body.device_code));
    if (record === undefined) throw new Error('no device authorization');
    record.expiresAt = Date.now() - 1;
    expect(await poll(String(late.body.device_code))).toMatchObject({ status: 400, body: { error: 'expired_token' } });
    expect(await postPage({ otc: String(late.body.user_code) })).toContain('Check the code and try again.');
  });

  it('refuses an unknown scope with invalid_scope, and a client without public client flows', async () => {
    const bad = await start('openid Not.A.Permission');
    expect(bad).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect(String(bad.body.error_description)).toMatch(/^AADSTS70011: /);
    const confidential = addApplication(tenant.ctx.directory, {
      displayName: 'Daemon',
      passwordCredentials: [passwordCredentialFor('daemon-secret-1', { keyId: crypto.randomUUID(), startDateTime: '2020-01-01T00:00:00Z', endDateTime: '2999-01-01T00:00:00Z' })],
    });
    const refused = await post(`${base}/oauth2/v2.0/devicecode`, { client_id: confidential.appId, scope: 'openid User.Read' });
    expect(refused).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });
});

describe('delegated Graph scopes for a public client registered in the tenant', () => {
  it("need an administrator's consent grant for admin-only scopes (AADSTS65001), and get them with one", async () => {
    const dir = tenant.ctx.directory;
    const app = addApplication(dir, { displayName: 'Admin tool', isFallbackPublicClient: true });
    const sp = addServicePrincipal(dir, app.appId);
    const ask = () => post(`${base}/oauth2/v2.0/token`, { grant_type: 'password', client_id: app.appId, username: ADMIN, password: PASSWORD, scope: 'openid Application.ReadWrite.All' });
    const refused = await ask();
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(String(refused.body.error_description)).toMatch(/^AADSTS65001: /);
    addOAuth2PermissionGrant(dir, { clientId: sp.id, consentType: 'AllPrincipals', principalId: null, resourceId: getGraphServicePrincipal(dir).id, scope: 'Application.ReadWrite.All' });
    const granted = await ask();
    expect(granted.status).toBe(200);
    expect(String(decodeJwt(String(granted.body.access_token)).scp).split(' ')).toContain('Application.ReadWrite.All');
  });
});

describe('authorization code + PKCE for the Graph command-line tools (msal-node interactive)', () => {
  it('signs in to a loopback redirect URI on any port and redeems the code without Origin', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${base}/oauth2/v2.0/authorize`);
    const redirectUri = 'http://localhost:51234';
    for (const [k, v] of Object.entries({
      client_id: GRAPH_CLI_APP_ID,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: SETUP_SCOPES,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    })) {
      url.searchParams.set(k, v);
    }
    const signedIn = await submitSignInForm(tenant.fetch, url, ADMIN, PASSWORD);
    const code = new URL(signedIn.location ?? 'http://x/').searchParams.get('code');
    expect(signedIn.location?.startsWith(`${redirectUri}?`)).toBe(true);
    const res = await post(`${base}/oauth2/v2.0/token`, { grant_type: 'authorization_code', client_id: GRAPH_CLI_APP_ID, code: code ?? '', redirect_uri: redirectUri, code_verifier: verifier });
    expect(res.status).toBe(200);
    expect(String(decodeJwt(String(res.body.access_token)).scp).split(' ')).toContain('DelegatedPermissionGrant.ReadWrite.All');
  });
});

describe('ROPC for the Graph command-line tools', () => {
  it('signs in with msal-node as setup:entra does (bare Graph permission names), and refreshes silently', async () => {
    const scopes = ['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'DelegatedPermissionGrant.ReadWrite.All', 'User.Read.All'];
    const app = new PublicClientApplication({
      auth: { clientId: GRAPH_CLI_APP_ID, authority: base, knownAuthorities: [new URL(tenant.url).host] },
      system: { networkClient: createCaNetworkClient(tenant.certPem) },
    });
    const result = await app.acquireTokenByUsernamePassword({ scopes, username: ADMIN, password: PASSWORD });
    expect(result?.account?.username).toBe(ADMIN);
    expect(String(decodeJwt(result?.accessToken ?? '').scp).split(' ')).toEqual(expect.arrayContaining(scopes));
    if (!result?.account) throw new Error('no account');
    const silent = await app.acquireTokenSilent({ account: result.account, scopes, forceRefresh: true });
    expect(String(decodeJwt(silent.accessToken).scp).split(' ')).toEqual(expect.arrayContaining(scopes));
  });

  it('gives the requested delegated Graph scopes to an administrator', async () => {
    const res = await post(`${base}/oauth2/v2.0/token`, { grant_type: 'password', client_id: GRAPH_CLI_APP_ID, username: ADMIN, password: PASSWORD, scope: SETUP_SCOPES });
    expect(res.status).toBe(200);
    expect(String(decodeJwt(String(res.body.access_token)).scp).split(' ')).toEqual(expect.arrayContaining(['Application.ReadWrite.All', 'User.Read.All']));
  });
});
