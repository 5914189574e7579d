/**
 * The local tenant's Entra endpoints, driven by clients nobody on this team wrote
 * (openid-client 6, @azure/msal-node, jose) over real HTTPS with the tenant's certificate
 * trusted explicitly.
 */
import { createHash } from 'node:crypto';
import { ConfidentialClientApplication, PublicClientApplication, type AuthError } from '@azure/msal-node';
import { generate } from 'selfsigned';
import demoOrg from '../demo-org.json';
import { createRemoteJWKSet, customFetch as joseCustomFetch, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaNetworkClient, startTestTenant, submitSignInForm, type TestTenant } from '../testing';
import { verifyGraphToken } from './tokens';

const PASSWORD = 'TapBroker-Demo-2026!';
const SPA_ORIGIN = 'http://localhost:3000';
const REDIRECT_URI = 'http://localhost:3000';

let tenant: TestTenant;
let tid: string;
let portalClientId: string;
let apiClientId: string;
let issuer: string;

beforeAll(async () => {
  tenant = await startTestTenant();
  const dir = tenant.ctx.directory;
  tid = dir.tenantId;
  portalClientId = dir.portal.clientId;
  apiClientId = dir.portal.apiClientId;
  issuer = `${tenant.url}/${tid}/v2.0`;
});

afterAll(async () => {
  await tenant.close();
});

/** What a browser SPA sends: every token request is cross-origin and carries Origin. */
function spaFetch(): oidc.CustomFetch {
  return (url, options) => tenant.fetch(url, { ...options, headers: { ...options.headers, origin: SPA_ORIGIN } });
}

async function spaConfig(): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), portalClientId, undefined, oidc.None(), { [oidc.customFetch]: spaFetch() });
}

interface Pkce {
  verifier: string;
  state: string;
  nonce: string;
  url: URL;
}

async function authorizeUrl(config: oidc.Configuration, extra: Record<string, string> = {}): Promise<Pkce> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: `openid profile offline_access api://${apiClientId}/access_as_user`,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    response_mode: 'query',
    client_info: '1',
    ...extra,
  });
  return { verifier, state, nonce, url };
}

function jwks() {
  return createRemoteJWKSet(new URL(`${tenant.url}/${tid}/discovery/v2.0/keys`), {
    [joseCustomFetch]: (url, options) => tenant.fetch(url, options),
  });
}

function msalAuthority() {
  return {
    authority: `${tenant.url}/${tid}/`,
    knownAuthorities: [`localhost:${tenant.port}`],
  };
}

async function msalError(p: Promise<unknown>): Promise<AuthError> {
  try {
    await p;
  } catch (err) {
    return err as AuthError;
  }
  throw new Error('expected MSAL to refuse');
}

describe('discovery and keys', () => {
  it('serves the OpenID configuration at both paths with CORS, and refuses other tenants like Entra', async () => {
    const config = await spaConfig();
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(issuer);
    expect(meta.authorization_endpoint).toBe(`${tenant.url}/${tid}/oauth2/v2.0/authorize`);
    expect(meta.end_session_endpoint).toBe(`${tenant.url}/${tid}/oauth2/v2.0/logout`);

    const alt = await tenant.fetch(`${tenant.url}/${tid}/.well-known/openid-configuration`, { headers: { origin: SPA_ORIGIN } });
    expect(alt.headers.get('access-control-allow-origin')).toBe('*');
    expect(((await alt.json()) as { issuer: string }).issuer).toBe(issuer);

    const other = await tenant.fetch(`${tenant.url}/organizations/v2.0/.well-known/openid-configuration`);
    expect(other.status).toBe(400);
    const body = (await other.json()) as { error: string; error_codes: number[]; error_description: string };
    expect(body.error_codes).toEqual([90002]);
    expect(body.error_description).toMatch(/^AADSTS90002: .*\r\nTrace ID: .*\r\nCorrelation ID: .*\r\nTimestamp: /);
  });

  it('publishes one RSA key without alg, named by kid', async () => {
    const res = await tenant.fetch(`${tenant.url}/${tid}/discovery/v2.0/keys`);
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', e: 'AQAB', issuer });
    expect(keys[0]).not.toHaveProperty('alg');
  });

  it('answers the token endpoint preflight MSAL.js triggers with X-AnchorMailbox', async () => {
    const res = await tenant.fetch(`${tenant.url}/${tid}/oauth2/v2.0/token`, {
      method: 'OPTIONS',
      headers: { origin: SPA_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-anchormailbox' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
    expect(res.headers.get('access-control-allow-headers')).toContain('x-anchormailbox');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });
});

describe('authorization code + PKCE (openid-client, driving the sign-in form)', () => {
  it('signs a manager in and issues Entra-shaped id, access and refresh tokens', async () => {
    const config = await spaConfig();
    const req = await authorizeUrl(config);
    const signIn = await submitSignInForm(tenant.fetch, req.url, 'bianca.pisani@contoso.test', PASSWORD);
    expect(signIn.status).toBe(302);
    const callback = new URL(signIn.location ?? '');
    expect(`${callback.origin}`).toBe(SPA_ORIGIN);
    expect(callback.searchParams.get('state')).toBe(req.state);

    const bianca = [...tenant.ctx.directory.users.values()].find((u) => u.userPrincipalName === 'bianca.pisani@contoso.test');
    const clientInfo = JSON.parse(Buffer.from(callback.searchParams.get('client_info') ?? '', 'base64url').toString()) as unknown;
    expect(clientInfo).toEqual({ uid: bianca?.id, utid: tid });

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: req.verifier,
      expectedState: req.state,
      expectedNonce: req.nonce,
    });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(typeof tokens.expires_in).toBe('number');
    expect(tokens.refresh_token).toBeTruthy();
    const idClaims = tokens.claims();
    expect(idClaims).toMatchObject({ aud: portalClientId, iss: issuer, tid, oid: bianca?.id, nonce: req.nonce, ver: '2.0', name: 'Bianca Pisani', preferred_username: 'bianca.pisani@contoso.test' });

    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks(), { issuer, audience: apiClientId, algorithms: ['RS256'] });
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload).toMatchObject({ aud: apiClientId, scp: 'access_as_user', azp: portalClientId, oid: bianca?.id, tid, ver: '2.0' });
    expect(payload).not.toHaveProperty('roles');
    expect((payload.exp ?? 0) - Math.floor(Date.now() / 1000)).toBeGreaterThan(3000);

    // The refresh token rotates and yields a new access token for the same user.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '', { scope: `openid offline_access api://${apiClientId}/access_as_user` });
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ oid: bianca?.id, aud: apiClientId });

    // A code is single-use.
    const replay = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce }).then(
      () => null,
      (err: unknown) => err as oidc.ResponseBodyError,
    );
    expect(replay?.error).toBe('invalid_grant');
    expect(replay?.cause).toMatchObject({ error_codes: [54005] });
  });

  it('puts app roles in the API access token, not in the SPA\'s id token', async () => {
    const config = await spaConfig();
    const req = await authorizeUrl(config);
    const signIn = await submitSignInForm(tenant.fetch, req.url, 'kim.akers@contoso.test', PASSWORD);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(signIn.location ?? ''), {
      pkceCodeVerifier: req.verifier,
      expectedState: req.state,
      expectedNonce: req.nonce,
    });
    expect(decodeJwt(tokens.access_token).roles).toEqual(['TapBroker.Approver']);
    expect(tokens.claims()).not.toHaveProperty('roles');
  });

  it('re-shows the form with Entra\'s message for a wrong password, an unknown user and a disabled user', async () => {
    const config = await spaConfig();
    const cases: [string, string, string][] = [
      ['bianca.pisani@contoso.test', 'wrong', 'AADSTS50126: Error validating credentials due to invalid username or password.'],
      ['nobody@contoso.test', PASSWORD, 'AADSTS50034: The user account {EUII Hidden} does not exist'],
      ['emily.braun@contoso.test', PASSWORD, 'AADSTS50057: The user account is disabled.'],
    ];
    for (const [user, password, message] of cases) {
      const req = await authorizeUrl(config);
      const r = await submitSignInForm(tenant.fetch, req.url, user, password);
      expect(r.status).toBe(200);
      expect(r.location).toBeNull();
      expect(r.html).toContain(message);
      expect(r.html).toContain(`value="${user}"`);
    }
  });

  it('answers in the fragment for MSAL.js, and signs in silently with the session cookie', async () => {
    const config = await spaConfig();
    const first = await authorizeUrl(config, { response_mode: 'fragment' });
    const signIn = await submitSignInForm(tenant.fetch, first.url, 'lee.gu@contoso.test', PASSWORD);
    const loc = new URL(signIn.location ?? '');
    expect(loc.search).toBe('');
    const fragment = new URLSearchParams(loc.hash.slice(1));
    expect(fragment.get('code')).toBeTruthy();
    expect(fragment.get('client_info')).toBeTruthy();
    expect(fragment.get('state')).toBe(first.state);
    const cookie = (signIn.cookie ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^tb_tenant_session_\d+=/);

    // prompt=none: no session → login_required back at the redirect URI; with the cookie → a code.
    const silent = await authorizeUrl(config, { response_mode: 'fragment', prompt: 'none' });
    const without = await tenant.fetch(silent.url);
    expect(without.status).toBe(302);
    const err = new URLSearchParams(new URL(without.headers.get('location') ?? '').hash.slice(1));
    expect(err.get('error')).toBe('login_required');
    expect(err.get('error_description')).toMatch(/^AADSTS50058: /);
    expect(err.get('state')).toBe(silent.state);
    const withCookie = await tenant.fetch(silent.url, { headers: { cookie } });
    expect(new URLSearchParams(new URL(withCookie.headers.get('location') ?? '').hash.slice(1)).get('code')).toBeTruthy();

    // prompt=login always shows the form, prefilled from login_hint.
    const forced = await authorizeUrl(config, { prompt: 'login', login_hint: 'lee.gu@contoso.test' });
    const form = await tenant.fetch(forced.url, { headers: { cookie } });
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('value="lee.gu@contoso.test"');

    // Logout ends the session and returns to the registered origin.
    const out = await tenant.fetch(
      `${tenant.url}/${tid}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(`${SPA_ORIGIN}/signed-out`)}&client_id=${portalClientId}`,
      { headers: { cookie } },
    );
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe(`${SPA_ORIGIN}/signed-out`);
    const after = await tenant.fetch(silent.url, { headers: { cookie } });
    expect(new URLSearchParams(new URL(after.headers.get('location') ?? '').hash.slice(1)).get('error')).toBe('login_required');
  });

  it('refuses bad authorize requests the OAuth way', async () => {
    const config = await spaConfig();
    // Unregistered redirect URI: an error page, never a redirect.
    const bad = await authorizeUrl(config, { redirect_uri: 'https://evil.example/cb' });
    const page = await tenant.fetch(bad.url);
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(await page.text()).toContain('AADSTS50011');

    // Unknown client: an error page too.
    const unknown = new URL(bad.url);
    unknown.searchParams.set('client_id', '99999999-0000-4000-8000-000000000000');
    unknown.searchParams.set('redirect_uri', REDIRECT_URI);
    expect(await (await tenant.fetch(unknown)).text()).toContain('AADSTS700016');

    // The loopback port is not part of the match (Entra's rule for http://localhost).
    const otherPort = await authorizeUrl(config, { redirect_uri: 'http://localhost:4123' });
    expect((await tenant.fetch(otherPort.url)).status).toBe(200);

    // Missing PKCE or an unknown scope: an error sent back to the client.
    const noPkce = new URL(bad.url);
    noPkce.searchParams.set('redirect_uri', REDIRECT_URI);
    noPkce.searchParams.delete('code_challenge');
    const r1 = await tenant.fetch(noPkce);
    expect(new URL(r1.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_request');
    const badScope = await authorizeUrl(config, { scope: `openid api://${apiClientId}/do_everything` });
    const r2 = new URL((await tenant.fetch(badScope.url)).headers.get('location') ?? '');
    expect(r2.searchParams.get('error')).toBe('invalid_scope');
    expect(r2.searchParams.get('error_description')).toMatch(/^AADSTS70011: /);
    expect(r2.searchParams.get('state')).toBe(badScope.state);
  });

  it('refuses a wrong PKCE verifier and a same-origin (Origin-less) SPA redemption', async () => {
    const config = await spaConfig();
    const tokenUrl = `${tenant.url}/${tid}/oauth2/v2.0/token`;
    const redeem = async (code: string, verifier: string, origin: boolean) => {
      const res = await tenant.fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin: SPA_ORIGIN } : {}) },
        body: new URLSearchParams({ client_id: portalClientId, grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, scope: 'openid' }).toString(),
      });
      return { status: res.status, body: (await res.json()) as { error: string; error_codes: number[] } };
    };
    const a = await authorizeUrl(config);
    const codeA = new URL((await submitSignInForm(tenant.fetch, a.url, 'joni.sherman@contoso.test', PASSWORD)).location ?? '').searchParams.get('code') ?? '';
    const wrong = await redeem(codeA, oidc.randomPKCECodeVerifier(), true);
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_codes: [50148] } });

    const b = await authorizeUrl(config);
    const codeB = new URL((await submitSignInForm(tenant.fetch, b.url, 'joni.sherman@contoso.test', PASSWORD)).location ?? '').searchParams.get('code') ?? '';
    const noOrigin = await redeem(codeB, b.verifier, false);
    expect(noOrigin).toMatchObject({ status: 400, body: { error: 'invalid_request', error_codes: [9002327] } });
  });
});

describe('client credentials', () => {
  it('issues the broker an app-only Graph token (openid-client) that the local Graph accepts', async () => {
    const broker = tenant.ctx.directory.broker;
    const config = await oidc.discovery(new URL(issuer), broker.clientId, undefined, oidc.ClientSecretPost(broker.clientSecret), {
      [oidc.customFetch]: (url, options) => tenant.fetch(url, options),
    });
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'https://graph.microsoft.com/.default' });
    expect(tokens).not.toHaveProperty('refresh_token');
    expect(tokens).not.toHaveProperty('id_token');
    const { payload } = await jwtVerify(tokens.access_token, jwks(), { audience: 'https://graph.microsoft.com', algorithms: ['RS256'] });
    expect(payload).toMatchObject({ appid: broker.clientId, azp: broker.clientId, oid: broker.servicePrincipalId, idtyp: 'app', tid });
    expect(payload.roles).toEqual(broker.graphPermissions);
    expect(payload).not.toHaveProperty('scp');

    const caller = await verifyGraphToken(tenant.ctx, `Bearer ${tokens.access_token}`);
    expect(caller).toEqual({ kind: 'app', appId: broker.clientId, permissions: broker.graphPermissions, userId: null });
  });

  it('works with msal-node ConfidentialClientApplication against the tenant authority', async () => {
    const broker = tenant.ctx.directory.broker;
    const cca = new ConfidentialClientApplication({
      auth: { clientId: broker.clientId, clientSecret: broker.clientSecret, ...msalAuthority() },
      system: { networkClient: createCaNetworkClient(tenant.certPem) },
    });
    for (const scope of ['https://graph.microsoft.com/.default', `${tenant.url}/.default`]) {
      const result = await cca.acquireTokenByClientCredential({ scopes: [scope], skipCache: true });
      expect(result?.tokenType).toBe('Bearer');
      expect(decodeJwt(result?.accessToken ?? '')).toMatchObject({ aud: 'https://graph.microsoft.com', roles: broker.graphPermissions });
    }
  });

  it('refuses a wrong secret, an unknown client and a scope without /.default as Entra does', async () => {
    const broker = tenant.ctx.directory.broker;
    const make = (clientId: string, clientSecret: string) =>
      new ConfidentialClientApplication({
        auth: { clientId, clientSecret, ...msalAuthority() },
        system: { networkClient: createCaNetworkClient(tenant.certPem) },
      });
    const wrongSecret = await msalError(make(broker.clientId, 'not-the-secret').acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }));
    expect(wrongSecret.errorCode).toBe('invalid_client');
    expect(wrongSecret.errorMessage).toContain('AADSTS7000215');

    const unknown = await msalError(make('99999999-0000-4000-8000-000000000000', 'x').acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }));
    expect(unknown.errorCode).toBe('unauthorized_client');
    expect(unknown.errorMessage).toContain('AADSTS700016');

    const badScope = await msalError(make(broker.clientId, broker.clientSecret).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/User.Read.All'] }));
    expect(badScope.errorCode).toBe('invalid_scope');
    expect(badScope.errorMessage).toContain('AADSTS1002012');

    const res = await tenant.fetch(`${tenant.url}/${tid}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: broker.clientId, client_secret: 'nope', scope: 'https://graph.microsoft.com/.default' }).toString(),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(await res.json()).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
  });
});

describe('password grant (ROPC) with msal-node', () => {
  function pca() {
    return new PublicClientApplication({
      auth: { clientId: portalClientId, ...msalAuthority() },
      system: { networkClient: createCaNetworkClient(tenant.certPem) },
    });
  }

  it('issues a portal API token for a seeded user, with roles', async () => {
    const result = await pca().acquireTokenByUsernamePassword({
      scopes: [`api://${apiClientId}/access_as_user`],
      username: 'henrietta.mueller@contoso.test',
      password: PASSWORD,
    });
    const henrietta = [...tenant.ctx.directory.users.values()].find((u) => u.userPrincipalName === 'henrietta.mueller@contoso.test');
    expect(result?.account?.homeAccountId).toBe(`${henrietta?.id}.${tid}`);
    expect(result?.account?.username).toBe('henrietta.mueller@contoso.test');
    const { payload } = await jwtVerify(result?.accessToken ?? '', jwks(), { issuer, audience: apiClientId, algorithms: ['RS256'] });
    expect(payload).toMatchObject({ scp: 'access_as_user', roles: ['TapBroker.Auditor'], oid: henrietta?.id });
  });

  it('refuses a wrong password, an unknown user, a disabled user and an unknown scope', async () => {
    const cases: [string, string, string, string, string][] = [
      ['bianca.pisani@contoso.test', 'wrong', `api://${apiClientId}/access_as_user`, 'invalid_grant', 'AADSTS50126'],
      ['ghost@contoso.test', PASSWORD, `api://${apiClientId}/access_as_user`, 'invalid_grant', 'AADSTS50034'],
      ['emily.braun@contoso.test', PASSWORD, `api://${apiClientId}/access_as_user`, 'invalid_grant', 'AADSTS50057'],
      ['bianca.pisani@contoso.test', PASSWORD, `api://${apiClientId}/Tap.IssueForAnyone`, 'invalid_scope', 'AADSTS70011'],
    ];
    for (const [username, password, scope, code, aadsts] of cases) {
      const err = await msalError(pca().acquireTokenByUsernamePassword({ scopes: [scope], username, password }));
      expect(err.errorCode).toBe(code);
      expect(err.errorMessage).toContain(aadsts);
    }
  });
});

describe('client assertion with a certificate (msal-node clientCertificate)', () => {
  it('accepts an assertion signed by a registered certificate and refuses one from another', async () => {
    const registered = await generate([{ name: 'commonName', value: 'broker' }], { keySize: 2048, algorithm: 'sha256' });
    const stranger = await generate([{ name: 'commonName', value: 'stranger' }], { keySize: 2048, algorithm: 'sha256' });
    const seed = structuredClone(demoOrg) as typeof demoOrg & { broker: { certificates?: string[] } };
    seed.broker.certificates = [registered.cert];
    const own = await startTestTenant({ seed });
    try {
      const make = (pems: { cert: string; private: string }) => {
        const der = Buffer.from(pems.cert.replace(/-----[^-]+-----|\s/g, ''), 'base64');
        return new ConfidentialClientApplication({
          auth: {
            clientId: seed.broker.clientId,
            authority: `${own.url}/${seed.tenantId}/`,
            knownAuthorities: [`localhost:${own.port}`],
            clientCertificate: { thumbprintSha256: createHash('sha256').update(der).digest('hex'), privateKey: pems.private },
          },
          system: { networkClient: createCaNetworkClient(own.certPem) },
        });
      };
      const ok = await make(registered).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
      expect(decodeJwt(ok?.accessToken ?? '')).toMatchObject({ appid: seed.broker.clientId, appidacr: '2' });
      const refused = await msalError(make(stranger).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }));
      expect(refused.errorCode).toBe('invalid_client');
      expect(refused.errorMessage).toContain('AADSTS700027');
    } finally {
      await own.close();
    }
  });
});
