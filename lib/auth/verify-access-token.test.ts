import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { decodeJwt, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resetV1TokenWarningForTests, V1_TOKEN_DETAIL, verifyAccessToken } from '@/lib/auth/verify-access-token';
import { BrokerError } from '@/lib/core/errors';
import { resetEnvForTests } from '@/lib/env';
import { logger } from '@/lib/log';
import {
  buildTestSeed,
  getTestDataDir,
  startLocalTenant,
  TEST_API_CLIENT_ID,
  TEST_AUTOMATION_CLIENT_ID,
  TEST_BROKER_CLIENT_ID,
  TEST_PORTAL_CLIENT_ID,
  TEST_TENANT_ID,
  type LocalTenant,
} from '@/lib/testing/local-tenant';
import { ensureSigningKey, type SigningKey } from '@/tenant/cert';

let local: LocalTenant;
let signingKey: SigningKey;

beforeAll(async () => {
  local = await startLocalTenant(
    buildTestSeed([
      { upn: 'boss', displayName: 'Boss Person', appRoles: ['TapBroker.Admin'] },
      { upn: 'worker', displayName: 'Worker Bee', manager: 'boss' },
      { upn: 'auditor', displayName: 'Audrey Auditor', appRoles: ['TapBroker.Auditor'] },
    ]),
  );
  signingKey = await ensureSigningKey(getTestDataDir());
});

afterAll(async () => {
  await local?.close();
});

function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** Claims like the tenant's v2 access token for the portal API, for `worker`. */
function validClaims(): JWTPayload & Record<string, unknown> {
  return {
    aud: TEST_API_CLIENT_ID,
    iss: `${local.url}/${TEST_TENANT_ID}/v2.0`,
    iat: now() - 60,
    nbf: now() - 60,
    exp: now() + 3600,
    azp: TEST_PORTAL_CLIENT_ID,
    name: 'Worker Bee',
    oid: local.userId('worker'),
    preferred_username: 'worker@test.contoso.test',
    scp: 'access_as_user',
    sub: 'pairwise-sub',
    tid: TEST_TENANT_ID,
    ver: '2.0',
  };
}

function sign(claims: JWTPayload, key: KeyObject = signingKey.privateKey, kid = signingKey.kid): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid }).sign(key);
}

function without(claims: Record<string, unknown>, name: string): Record<string, unknown> {
  const copy = { ...claims };
  delete copy[name];
  return copy;
}

async function refusal(header: string | null): Promise<BrokerError> {
  try {
    await verifyAccessToken(header);
  } catch (error) {
    if (error instanceof BrokerError) return error;
    throw error;
  }
  throw new Error('token was accepted');
}

describe('verifyAccessToken against the local tenant', () => {
  it('accepts a real token from the password grant and builds the actor', async () => {
    const token = await local.getUserToken('boss');
    const actor = await verifyAccessToken(`Bearer ${token}`);
    expect(actor).toEqual({
      id: local.userId('boss'),
      tenantId: TEST_TENANT_ID,
      displayName: 'Boss Person',
      userPrincipalName: 'boss@test.contoso.test',
      roles: ['TapBroker.Admin'],
      // The password grant never satisfies an authentication context.
      authContexts: [],
      tokenIssuedAt: decodeJwt(token).iat,
    });
    // Entra (and the tenant) date iat five minutes back for clock skew.
    expect(actor.tokenIssuedAt).toBeGreaterThan(Date.now() / 1000 - 360);
    const worker = await verifyAccessToken(`bearer ${await local.getUserToken('worker')}`);
    expect(worker.roles).toEqual([]);
  });

  it('accepts a correctly forged-by-the-tenant-key token (baseline for the cases below)', async () => {
    const actor = await verifyAccessToken(`Bearer ${await sign(validClaims())}`);
    expect(actor.id).toBe(local.userId('worker'));
  });

  it('keeps the authentication contexts of acrs (strings only, once each); none without the claim', async () => {
    const actor = await verifyAccessToken(`Bearer ${await sign({ ...validClaims(), acrs: ['c1', 'c7', 'c1', 3, ''] })}`);
    expect(actor.authContexts).toEqual(['c1', 'c7']);
    expect((await verifyAccessToken(`Bearer ${await sign(validClaims())}`)).authContexts).toEqual([]);
    expect((await verifyAccessToken(`Bearer ${await sign({ ...validClaims(), acrs: 'c1' })}`)).authContexts).toEqual([]);
  });

  it('keeps only the known app roles', async () => {
    const actor = await verifyAccessToken(`Bearer ${await sign({ ...validClaims(), roles: ['TapBroker.Approver', 'Global.Admin', 'TapBroker.Approver', 7] })}`);
    expect(actor.roles).toEqual(['TapBroker.Approver']);
  });

  it.each([
    ['no header', null],
    ['empty header', ''],
    ['wrong scheme', 'Basic dXNlcjpwYXNz'],
    ['bearer without token', 'Bearer '],
    ['garbage', 'Bearer not.a.jwt'],
    ['oversized', `Bearer ${'a'.repeat(20_000)}`],
  ])('refuses %s', async (_name, header) => {
    const error = await refusal(header);
    expect(error.code).toBe('unauthenticated');
  });

  it('refuses an expired token, saying so', async () => {
    const error = await refusal(`Bearer ${await sign({ ...validClaims(), iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 })}`);
    expect(error.code).toBe('unauthenticated');
    expect(error.detail).toBe('The access token has expired.');
  });

  it('refuses a token that is not yet valid', async () => {
    const error = await refusal(`Bearer ${await sign({ ...validClaims(), nbf: now() + 3600 })}`);
    expect(error.code).toBe('unauthenticated');
  });

  it('refuses a token signed by another RSA key under the tenant kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const error = await refusal(`Bearer ${await sign(validClaims(), privateKey)}`);
    expect(error.code).toBe('unauthenticated');
    expect(error.detail).toBe('The access token is invalid.');
  });

  it('refuses a token signed by another key under an unknown kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect((await refusal(`Bearer ${await sign(validClaims(), privateKey, 'unknown-kid')}`)).code).toBe('unauthenticated');
  });

  it('refuses alg: none', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${encode({ typ: 'JWT', alg: 'none', kid: signingKey.kid })}.${encode(validClaims())}.`;
    expect((await refusal(`Bearer ${token}`)).code).toBe('unauthenticated');
  });

  it('refuses HS256 signed with the tenant public key as the HMAC secret', async () => {
    const publicPem = createPublicKey(signingKey.privateKey).export({ type: 'spki', format: 'pem' }).toString();
    const token = await new SignJWT(validClaims())
      .setProtectedHeader({ typ: 'JWT', alg: 'HS256', kid: signingKey.kid })
      .sign(new TextEncoder().encode(publicPem));
    expect((await refusal(`Bearer ${token}`)).code).toBe('unauthenticated');
  });

  it('refuses a token whose signature was tampered with after signing', async () => {
    const token = await sign(validClaims());
    const [header, , signature] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ ...validClaims(), roles: ['TapBroker.Admin'] })).toString('base64url');
    expect((await refusal(`Bearer ${header}.${payload}.${signature}`)).code).toBe('unauthenticated');
  });

  it.each([
    ['another audience (the SPA client id)', { aud: TEST_PORTAL_CLIENT_ID }],
    ['the api:// URI as audience', { aud: `api://${TEST_API_CLIENT_ID}` }],
    ['Graph as audience', { aud: 'https://graph.microsoft.com' }],
    ['another issuer', { iss: `https://login.microsoftonline.com/${TEST_TENANT_ID}/v2.0` }],
    ['the v1 issuer of another tenant', { iss: 'https://sts.windows.net/99999999-0000-4000-8000-000000000009/' }],
    ['another tenant', { tid: '99999999-0000-4000-8000-000000000009' }],
    ['another scope', { scp: 'User.Read' }],
    ['a scope that only contains the name', { scp: 'access_as_user_extra' }],
    ['an app-only token (roles, no scp)', { roles: ['TapBroker.Admin'], scp: undefined }],
    ['idtyp app', { idtyp: 'app' }],
  ])('refuses %s', async (_name, overrides) => {
    const claims: Record<string, unknown> = { ...validClaims(), ...overrides };
    for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete claims[key];
    const error = await refusal(`Bearer ${await sign(claims)}`);
    expect(error.code).toBe('unauthenticated');
    expect(error.detail).toBe('The access token is invalid.');
  });

  it.each(['oid', 'tid', 'exp', 'aud', 'iss'])('refuses a token without %s', async (claim) => {
    expect((await refusal(`Bearer ${await sign(without(validClaims(), claim))}`)).code).toBe('unauthenticated');
  });

  it('accepts a token whose scp lists the portal scope among others', async () => {
    const actor = await verifyAccessToken(`Bearer ${await sign({ ...validClaims(), scp: 'User.Read access_as_user' })}`);
    expect(actor.id).toBe(local.userId('worker'));
  });

  it('refuses a real app-only token from the client-credentials grant', async () => {
    const token = await local.getAppToken(`${local.url}/.default`);
    expect((await refusal(`Bearer ${token}`)).code).toBe('unauthenticated');
  });

  it('refuses a real user token issued for Graph instead of the portal API', async () => {
    const token = await local.getUserToken('worker', { scope: 'https://graph.microsoft.com/User.Read' });
    expect((await refusal(`Bearer ${token}`)).code).toBe('unauthenticated');
  });

  it('answers upstream-unavailable when the JWKS cannot be fetched', async () => {
    const token = await sign(validClaims());
    const saved = process.env.ENTRA_AUTHORITY_HOST;
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    process.env.ENTRA_AUTHORITY_HOST = 'https://127.0.0.1:9';
    resetEnvForTests();
    try {
      expect((await refusal(`Bearer ${token}`)).code).toBe('upstream-unavailable');
    } finally {
      process.env.ENTRA_AUTHORITY_HOST = saved;
      resetEnvForTests();
    }
  });
});

describe('only the portal’s own client (azp) is accepted', () => {
  it('refuses a real token another app registration of the tenant obtained for the same user', async () => {
    const token = await local.getUserToken('boss', { client: 'automation' });
    // The token is otherwise perfect: the tenant's key, the API audience and scope, an admin's roles.
    const [, payload] = token.split('.');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'))).toMatchObject({
      azp: TEST_AUTOMATION_CLIENT_ID,
      aud: TEST_API_CLIENT_ID,
      scp: 'access_as_user',
      roles: ['TapBroker.Admin'],
    });
    const error = await refusal(`Bearer ${token}`);
    expect(error.code).toBe('unauthenticated');
    expect(error.detail).toBe('The access token is invalid.');
  });

  it.each([
    ['another client id', { azp: TEST_BROKER_CLIENT_ID }],
    ['no azp', { azp: undefined }],
    ['an empty azp', { azp: '' }],
    ['a v1-style appid naming the portal instead of azp', { azp: undefined, appid: TEST_PORTAL_CLIENT_ID }],
  ])('refuses %s', async (_name, overrides) => {
    const claims: Record<string, unknown> = { ...validClaims(), ...overrides };
    for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete claims[key];
    const error = await refusal(`Bearer ${await sign(claims)}`);
    expect(error.code).toBe('unauthenticated');
    expect(error.detail).toBe('The access token is invalid.');
  });

  it('accepts the portal client id in any case', async () => {
    const actor = await verifyAccessToken(`Bearer ${await sign({ ...validClaims(), azp: TEST_PORTAL_CLIENT_ID.toUpperCase() })}`);
    expect(actor.id).toBe(local.userId('worker'));
  });

  it('accepts a client an admin listed in API_ALLOWED_CLIENT_IDS, and only while it is listed', async () => {
    const token = await local.getUserToken('boss', { client: 'automation' });
    const saved = process.env.API_ALLOWED_CLIENT_IDS;
    process.env.API_ALLOWED_CLIENT_IDS = ` 0f0f0f0f-0000-4000-8000-0000000000ff, ${TEST_AUTOMATION_CLIENT_ID.toUpperCase()} `;
    resetEnvForTests();
    try {
      const actor = await verifyAccessToken(`Bearer ${token}`);
      expect(actor).toMatchObject({ id: local.userId('boss'), roles: ['TapBroker.Admin'] });
      // The portal itself stays allowed; a third client does not become so.
      expect((await verifyAccessToken(`Bearer ${await local.getUserToken('worker')}`)).id).toBe(local.userId('worker'));
      expect((await refusal(`Bearer ${await sign({ ...validClaims(), azp: TEST_BROKER_CLIENT_ID })}`)).code).toBe('unauthenticated');
    } finally {
      if (saved === undefined) delete process.env.API_ALLOWED_CLIENT_IDS;
      else process.env.API_ALLOWED_CLIENT_IDS = saved;
      resetEnvForTests();
    }
    expect((await refusal(`Bearer ${token}`)).code).toBe('unauthenticated');
  });
});

describe('v1.0 access tokens', () => {
  /** Claims like Entra's v1 access token for the portal API (an API registration at version 1). */
  function v1Claims(): Record<string, unknown> {
    const { azp: _azp, ...rest } = validClaims();
    return { ...rest, iss: `https://sts.windows.net/${TEST_TENANT_ID}/`, aud: `api://${TEST_API_CLIENT_ID}`, appid: TEST_PORTAL_CLIENT_ID, ver: '1.0' };
  }

  it('refuses a real v1 token from a tenant whose API registration is left at version 1, saying why', async () => {
    local.tenant.ctx.directory.portal.accessTokenVersion = 1;
    let token: string;
    try {
      token = await local.getUserToken('boss');
    } finally {
      local.tenant.ctx.directory.portal.accessTokenVersion = 2;
    }
    const error = await refusal(`Bearer ${token}`);
    expect(error.code).toBe('unauthenticated');
    expect(error.detail).toBe(V1_TOKEN_DETAIL);
  });

  it.each([
    ['Entra’s v1 shape (sts.windows.net issuer, api:// audience, appid, ver 1.0)', {}],
    ['the local tenant’s v1 issuer', { iss: '<local>' }],
    ['a v1 issuer with the client id as audience', { aud: TEST_API_CLIENT_ID }],
    ['ver 1.0 under the v2 issuer and an api:// audience', { iss: '<v2>' }],
    ['an expired one (refreshing would not help)', { iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 }],
  ])('refuses %s, saying the API registration must issue v2 tokens', async (_name, overrides) => {
    const claims: Record<string, unknown> = { ...v1Claims(), ...overrides };
    if (claims.iss === '<local>') claims.iss = `${local.url}/${TEST_TENANT_ID}/`;
    if (claims.iss === '<v2>') claims.iss = `${local.url}/${TEST_TENANT_ID}/v2.0`;
    const error = await refusal(`Bearer ${await sign(claims)}`);
    expect(error.code).toBe('unauthenticated');
    expect(error.status).toBe(401);
    expect(error.detail).toBe(V1_TOKEN_DETAIL);
    expect(error.detail).toContain('requestedAccessTokenVersion');
  });

  it.each([
    ['signed by another key', 'other-key', {}],
    ['for another tenant', 'tenant-key', { tid: '99999999-0000-4000-8000-000000000009', iss: 'https://sts.windows.net/99999999-0000-4000-8000-000000000009/' }],
    ['for another resource (Graph)', 'tenant-key', { aud: 'https://graph.microsoft.com' }],
  ])('a v1 token %s gets no such hint', async (_name, key, overrides) => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await sign({ ...v1Claims(), ...overrides }, key === 'other-key' ? privateKey : signingKey.privateKey);
    const error = await refusal(`Bearer ${token}`);
    expect(error.code).toBe('unauthenticated');
    expect(error.detail).not.toBe(V1_TOKEN_DETAIL);
  });

  it('warns in the log once per process, not once per request', async () => {
    resetV1TokenWarningForTests();
    const warn = vi.spyOn(logger, 'warn');
    try {
      for (let i = 0; i < 3; i += 1) expect((await refusal(`Bearer ${await sign(v1Claims())}`)).detail).toBe(V1_TOKEN_DETAIL);
      const v1Warnings = warn.mock.calls.filter((call) => call.some((arg) => typeof arg === 'string' && arg.includes('requestedAccessTokenVersion')));
      expect(v1Warnings).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
  });
});
