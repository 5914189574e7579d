import { Writable } from 'node:stream';
import { withEnv } from '@/lib/testing/with-env';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reportBrokerAccessAtBoot } from '@/lib/env-boot';
import { getBrokerAccess, type HealthCheck } from '@/lib/graph/get-broker-access';
import { createLogger } from '@/lib/log';
import { buildTestSeed, startLocalTenant, TEST_BROKER_CLIENT_ID, TEST_BROKER_SECRET, type LocalTenant } from '@/lib/testing/local-tenant';

/** The least-privileged set: every feature but mail, nothing more. */
const LEAST = [
  'User.Read.All',
  'UserAuthMethod-TAP.ReadWrite.All',
  'Policy.Read.AuthenticationMethod',
  'RoleManagement.Read.Directory',
  'GroupMember.Read.All',
  'AdministrativeUnit.Read.All',
  'Application.Read.All',
];
const PERMISSION_CHECKS = ['users-and-org-chart', 'tap-methods', 'tenant-tap-policy', 'directory-roles', 'groups', 'administrative-units', 'portal-app-roles'];

let local: LocalTenant;

beforeAll(async () => {
  local = await startLocalTenant(buildTestSeed([{ upn: 'boss', displayName: 'Boss Person', appRoles: ['TapBroker.Admin'] }], { brokerPermissions: LEAST }));
});

afterEach(() => {
  local.tenant.ctx.directory.broker.graphPermissions = [...LEAST];
  local.tenant.ctx.directory.portal.accessTokenVersion = 2;
});

afterAll(async () => {
  await local?.close();
});

function graphRequests(): number {
  return Object.values(local.tenant.ctx.stats.graph).reduce((sum, n) => sum + n, 0);
}

function byId(checks: HealthCheck[]): Record<string, HealthCheck> {
  return Object.fromEntries(checks.map((check) => [check.id, check]));
}

function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { log: createLogger(stream, 'debug'), lines };
}


describe('getBrokerAccess against the local tenant', () => {
  it('with exactly the least-privileged permissions, every check is ok', async () => {
    const { roles, checks } = await withEnv({ PORTAL_URL: 'http://localhost:3000' }, () => getBrokerAccess());
    expect(roles).toEqual([...LEAST].sort());
    expect(checks.map((check) => check.id)).toEqual([
      'broker-credential',
      'broker-certificate',
      ...PERMISSION_CHECKS,
      'notifications',
      'least-privilege',
      'api-token-version',
      'api-scope',
      'api-app-roles',
      'portal-redirect-uri',
      'mail-sender',
    ]);
    for (const check of checks) expect(check, check.id).toMatchObject({ status: 'ok', fix: null });
  });

  it.each([
    ['users-and-org-chart', 'User.Read.All'],
    ['tap-methods', 'UserAuthMethod-TAP.ReadWrite.All'],
    ['tenant-tap-policy', 'Policy.Read.AuthenticationMethod'],
    ['directory-roles', 'RoleManagement.Read.Directory'],
    ['groups', 'GroupMember.Read.All'],
    ['administrative-units', 'AdministrativeUnit.Read.All'],
    ['portal-app-roles', 'Application.Read.All'],
  ])('a broker without the permission for %s: that check fails, naming %s and the fix', async (id, permission) => {
    local.tenant.ctx.directory.broker.graphPermissions = LEAST.filter((p) => p !== permission);
    const checks = byId((await getBrokerAccess()).checks);
    expect(checks[id]).toMatchObject({ status: 'fail' });
    expect(checks[id]?.detail).toContain(`Missing ${permission}`);
    expect(checks[id]?.fix).toContain(permission);
    expect(checks[id]?.fix).toContain(TEST_BROKER_CLIENT_ID);
    for (const other of PERMISSION_CHECKS.filter((c) => c !== id)) expect(checks[other]?.status, other).toBe('ok');
  });

  it('Policy.Read.All does not cover the TAP policy endpoint, and is more than needed', async () => {
    local.tenant.ctx.directory.broker.graphPermissions = [...LEAST.filter((p) => p !== 'Policy.Read.AuthenticationMethod'), 'Policy.Read.All'];
    const checks = byId((await getBrokerAccess()).checks);
    expect(checks['tenant-tap-policy']).toMatchObject({ status: 'fail' });
    expect(checks['tenant-tap-policy']?.detail).toContain('Policy.Read.All is not enough');
    expect(checks['least-privilege']).toMatchObject({ status: 'warn' });
    expect(checks['least-privilege']?.detail).toContain('Policy.Read.All');
  });

  it('wider permissions cover the features, with a least-privilege warning naming them', async () => {
    local.tenant.ctx.directory.broker.graphPermissions = ['Directory.Read.All', 'UserAuthenticationMethod.ReadWrite.All', 'Policy.ReadWrite.AuthenticationMethod'];
    const checks = byId((await getBrokerAccess()).checks);
    for (const id of PERMISSION_CHECKS) expect(checks[id]?.status, id).toBe('ok');
    expect(checks['least-privilege']).toMatchObject({ status: 'warn' });
    expect(checks['least-privilege']?.detail).toContain('Directory.Read.All, Policy.ReadWrite.AuthenticationMethod');
    expect(checks['least-privilege']?.detail).not.toContain('UserAuthenticationMethod.ReadWrite.All');
    expect(checks['api-token-version']?.status).toBe('ok');
  });

  it('an API registration that issues v1 tokens fails its check, with the manifest fix', async () => {
    local.tenant.ctx.directory.portal.accessTokenVersion = 1;
    const check = byId((await getBrokerAccess()).checks)['api-token-version'];
    expect(check).toMatchObject({ status: 'fail' });
    expect(check?.detail).toContain('v1 access tokens');
    expect(check?.fix).toContain('"requestedAccessTokenVersion": 2');
  });

  it('without Application.Read.All the token version is unknown, and Graph is not asked', async () => {
    local.tenant.ctx.directory.broker.graphPermissions = LEAST.filter((p) => p !== 'Application.Read.All');
    const before = graphRequests();
    const check = byId((await getBrokerAccess()).checks)['api-token-version'];
    expect(graphRequests()).toBe(before);
    expect(check).toMatchObject({ status: 'warn' });
    expect(check?.detail).toContain('Application.Read.All');
  });

  it('notification mail: Mail.Send is checked only when MAIL_SENDER is set, and its absence then fails', async () => {
    expect(byId((await getBrokerAccess()).checks).notifications).toMatchObject({ status: 'ok' });
    await withEnv({ MAIL_SENDER: 'portal@test.contoso.test' }, async () => {
      const without = byId((await getBrokerAccess()).checks);
      expect(without.notifications).toMatchObject({ status: 'fail' });
      expect(without.notifications?.detail).toContain('Missing Mail.Send');
      local.tenant.ctx.directory.broker.graphPermissions = [...LEAST, 'Mail.Send'];
      const withIt = byId((await getBrokerAccess()).checks);
      expect(withIt.notifications).toMatchObject({ status: 'ok' });
      expect(withIt['least-privilege']).toMatchObject({ status: 'ok' });
    });
    // Without MAIL_SENDER, Mail.Send is a permission nobody needs.
    local.tenant.ctx.directory.broker.graphPermissions = [...LEAST, 'Mail.Send'];
    expect(byId((await getBrokerAccess()).checks)['least-privilege']?.detail).toContain('Mail.Send');
  });

  it('a credential the tenant refuses is one failing check; neither the secret nor a token is in the answer or the log', async () => {
    const { log, lines } = capturingLogger();
    const wrongSecret = 'definitely-not-the-broker-secret';
    const access = await withEnv({ BROKER_CLIENT_SECRET: wrongSecret }, () => getBrokerAccess({ log }));
    expect(access.roles).toEqual([]);
    expect(access.checks.map((check) => check.id)).toEqual(['broker-credential', 'broker-certificate']);
    expect(access.checks[0]).toMatchObject({ id: 'broker-credential', status: 'fail' });
    const text = JSON.stringify(access) + lines.join('');
    expect(text).not.toContain(wrongSecret);
    expect(text).not.toContain(TEST_BROKER_SECRET);
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it('reads permissions granted after the last Graph call at once (no cached token)', async () => {
    local.tenant.ctx.directory.broker.graphPermissions = LEAST.filter((p) => p !== 'GroupMember.Read.All');
    expect(byId((await getBrokerAccess()).checks).groups?.status).toBe('fail');
    local.tenant.ctx.directory.broker.graphPermissions = [...LEAST];
    expect(byId((await getBrokerAccess()).checks).groups?.status).toBe('ok');
  });
});

describe('reportBrokerAccessAtBoot', () => {
  it('logs each missing permission with the feature it breaks, and the v1 registration, once per process', async () => {
    local.tenant.ctx.directory.broker.graphPermissions = LEAST.filter((p) => p !== 'AdministrativeUnit.Read.All');
    local.tenant.ctx.directory.portal.accessTokenVersion = 1;
    const { log, lines } = capturingLogger();
    delete (globalThis as Record<symbol, unknown>)[Symbol.for('tap-broker.lib.env-boot.broker-access')];
    await withEnv({ PORTAL_URL: 'http://localhost:3000' }, async () => {
      await reportBrokerAccessAtBoot(log);
      await reportBrokerAccessAtBoot(log);
    });
    const entries = lines.map((line) => JSON.parse(line) as { level: number; msg: string; check?: string });
    const problems = entries.filter((entry) => entry.check !== undefined);
    expect(problems.map((entry) => entry.check).sort()).toEqual(['administrative-units', 'api-token-version']);
    expect(problems.find((entry) => entry.check === 'administrative-units')?.msg).toContain('restricted-management administrative units');
    expect(problems.find((entry) => entry.check === 'api-token-version')?.msg).toContain('v1 access tokens');
  });
});
