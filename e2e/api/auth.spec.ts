import { expect, test } from '@playwright/test';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { meSchema, portalConfigSchema } from '@/lib/contract/session';
import { parseAnswer } from '../support/portal-api';
import { expectProblem } from '../support/problem';
import { findManagerWithIndirectReports, loadSeed } from '../support/seed';
import { appToken, userAccessToken, userIdToken } from '../support/tokens';

/**
 * API authentication end to end: what needs no token, what a valid token gets, and the 401 problem
 * every protected route answers to a bad one.
 */

const protectedRoutes = ['/api/me', '/api/reportees'];
const seed = loadSeed();
const manager = findManagerWithIndirectReports(seed);

test('health and config need no token', async ({ request }) => {
  const health = await request.get('/api/health');
  expect(health.status()).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });

  const config = await request.get('/api/config');
  expect(config.status()).toBe(200);
  const body = await parseAnswer(config, portalConfigSchema);
  expect(body.clientId).toBe(seed.portal.clientId);
  expect(body.authority).toContain(seed.tenantId);
  expect(body.scopes).toEqual([`api://${seed.portal.apiClientId}/${seed.portal.scope}`]);
  expect(body.knownAuthorities).toEqual([new URL(body.authority).host]);
});

test('a valid token gets the caller from /api/me', async ({ request }) => {
  const token = await userAccessToken(manager.userPrincipalName);
  const res = await request.get('/api/me', { headers: { authorization: `Bearer ${token}` } });
  expect(res.status()).toBe(200);
  expect(res.headers()['cache-control']).toContain('no-store');
  const me = await parseAnswer(res, meSchema);
  expect(me.userPrincipalName.toLowerCase()).toBe(manager.userPrincipalName.toLowerCase());
  expect(me.displayName).toBe(manager.displayName);
  expect(me.roles).toEqual(manager.appRoles);
  expect(typeof me.id).toBe('string');
});

test.describe('every protected route answers 401 problem+json to a bad token', () => {
  let valid: string;
  test.beforeAll(async () => {
    valid = await userAccessToken(manager.userPrincipalName);
  });

  const cases: [string, () => Promise<Record<string, string>>][] = [
    ['no Authorization header', async () => ({})],
    ['a Basic credential', async () => ({ authorization: 'Basic dXNlcjpwYXNz' })],
    ['garbage', async () => ({ authorization: 'Bearer not-a-jwt' })],
    [
      'alg none',
      async () => {
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
        const payload = valid.split('.')[1];
        return { authorization: `Bearer ${header}.${payload}.` };
      },
    ],
    [
      'the right claims signed by another key with the tenant key id',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        const kid = decodeProtectedHeader(valid).kid ?? 'x';
        const forged = await new SignJWT(decodeJwt(valid)).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(privateKey);
        return { authorization: `Bearer ${forged}` };
      },
    ],
    [
      'a tampered payload',
      async () => {
        const [h, p, s] = valid.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
        claims.roles = ['TapBroker.Admin'];
        return { authorization: `Bearer ${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}` };
      },
    ],
    ['an ID token (audience: the SPA, not the API)', async () => ({ authorization: `Bearer ${await userIdToken(manager.userPrincipalName)}` })],
    ['an app-only token for Graph (wrong audience)', async () => ({ authorization: `Bearer ${await appToken(seed.broker)}` })],
  ];

  for (const [name, headers] of cases) {
    test(name, async ({ request }) => {
      const h = await headers();
      for (const route of protectedRoutes) {
        const res = await request.get(route, { headers: h });
        const body = await expectProblem(res, 401, 'unauthenticated');
        // The refusal never echoes the token back.
        if (h.authorization) expect(JSON.stringify(body)).not.toContain(h.authorization.slice(7, 60));
      }
    });
  }
});
