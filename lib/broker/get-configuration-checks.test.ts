/**
 * The doctor's checks (`npm run doctor`, `GET /api/health/details`) against deliberately broken
 * local tenants, one fault each: the check fails and its fix names what to do. A healthy tenant
 * fails nothing, and the checks only ever read.
 */
import { withEnv } from '@/lib/testing/with-env';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthCheck } from '@/lib/contract/session';
import { getConfigurationChecks, type PolicySource } from '@/lib/broker/get-configuration-checks';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { checkBrokerCertificate } from '@/lib/graph/get-broker-access';
import { createLogger } from '@/lib/log';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import {
  BROKER_GRAPH_PERMISSIONS,
  buildTestSeed,
  startLocalTenant,
  TEST_BROKER_CLIENT_ID,
  TEST_BROKER_SECRET,
  TEST_DOMAIN,
  type LocalTenant,
} from '@/lib/testing/local-tenant';

const PORTAL_URL = 'http://localhost:3000';
const log = createLogger(undefined, 'silent');

let db: TestDb;
let source: PolicySource;
let dir: string;

beforeAll(async () => {
  db = await createTestDb();
  source = { policy: await getCurrentPolicy(db.prisma) };
  dir = await mkdtemp(path.join(os.tmpdir(), 'tap-broker-doctor-'));
});

afterAll(async () => {
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

type Seed = Record<string, unknown> & { portal: Record<string, unknown>; broker: Record<string, unknown>; tapPolicy: Record<string, unknown> };

function seed(options: { brokerPermissions?: string[] } = {}): Seed {
  return buildTestSeed(
    [
      { upn: 'boss', displayName: 'Boss Person', appRoles: ['TapBroker.Admin'] },
      { upn: 'worker', displayName: 'Worker Person', manager: 'boss' },
    ],
    options,
  ) as Seed;
}


/** Starts a tenant with `tenantSeed`, runs every check with `env` on top, and stops it again. */
async function runChecks(
  tenantSeed: Seed,
  env: Record<string, string> = {},
  inspect?: (local: LocalTenant) => void,
  prepare?: (local: LocalTenant) => void,
): Promise<Record<string, HealthCheck>> {
  const local = await startLocalTenant(tenantSeed);
  prepare?.(local);
  try {
    const checks = await withEnv({ PORTAL_URL, ...env }, async () => {
      const answer = await getConfigurationChecks(source, { log });
      inspect?.(local);
      return answer;
    });
    const ids = checks.map((check) => check.id);
    expect(new Set(ids).size, 'check ids are unique').toBe(ids.length);
    return Object.fromEntries(checks.map((check) => [check.id, check]));
  } finally {
    await local.close();
  }
}

function failures(checks: Record<string, HealthCheck>): string[] {
  return Object.values(checks)
    .filter((check) => check.status === 'fail')
    .map((check) => check.id);
}

async function writeCertificate(file: string, notBefore: Date, notAfter: Date): Promise<{ path: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: 'tap-broker' }], { keySize: 2048, algorithm: 'sha256', notBeforeDate: notBefore, notAfterDate: notAfter });
  const target = path.join(dir, file);
  await writeFile(target, `${pems.private}\n${pems.cert}\n`, { mode: 0o600 });
  return { path: target, cert: pems.cert };
}

describe('the doctor against a healthy local tenant', () => {
  it('fails nothing, reads every link once in a few round trips, and creates nothing', async () => {
    let batches = 0;
    let writes: string[] = [];
    let created = 0;
    const checks = await runChecks(seed(), { DOCTOR_TEST_USER: `worker@${TEST_DOMAIN}` }, (local) => {
      const { stats } = local.tenant.ctx;
      batches = stats.graph['POST /v1.0/$batch'] ?? 0;
      writes = [...Object.keys(stats.graph), ...Object.keys(stats.batched)].filter((key) => !key.startsWith('GET ') && key !== 'POST /v1.0/$batch');
      created = stats.events['tapMethod.created'] ?? 0;
    });
    expect(failures(checks)).toEqual([]);
    for (const id of ['authority-metadata', 'broker-credential', 'broker-certificate', 'api-token-version', 'api-scope', 'api-app-roles', 'portal-redirect-uri']) {
      expect(checks[id]?.status, id).toBe('ok');
    }
    for (const id of ['graph-chain-read', 'graph-role-assignments', 'graph-role-eligibilities', 'graph-active-role-instances', 'graph-tap-policy-read', 'graph-tap-methods-read']) {
      expect(checks[id], id).toMatchObject({ status: 'ok', fix: null });
    }
    for (const id of ['graph-chain-read', 'graph-role-assignments', 'graph-role-eligibilities', 'graph-tap-methods-read']) {
      expect(checks[id]?.detail, id).toContain(`for worker@${TEST_DOMAIN}`);
    }
    expect(checks['tap-policy-enabled']?.status).toBe('ok');
    expect(checks['tap-policy-lifetimes']?.status).toBe('ok');
    // The registrations, the test user, then every read of the broker: three $batch requests.
    expect(batches).toBe(3);
    expect(writes).toEqual([]);
    expect(created).toBe(0);
    expect(JSON.stringify(checks)).not.toContain(TEST_BROKER_SECRET);
    expect(JSON.stringify(checks)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it('without DOCTOR_TEST_USER, the first user Graph lists is the test user', async () => {
    const checks = await runChecks(seed());
    expect(failures(checks)).toEqual([]);
    // buildTestSeed's first user.
    expect(checks['graph-chain-read']).toMatchObject({ status: 'ok', detail: expect.stringContaining(`for boss@${TEST_DOMAIN}`) });
  });

  it('a test user the tenant does not hold fails, naming DOCTOR_TEST_USER and --user', async () => {
    const checks = await runChecks(seed(), { DOCTOR_TEST_USER: `nobody@${TEST_DOMAIN}` });
    expect(checks['graph-test-user']).toMatchObject({ status: 'fail' });
    expect(checks['graph-test-user']?.fix).toContain('DOCTOR_TEST_USER');
    expect(checks['graph-test-user']?.fix).toContain('--user');
  });
});

describe('the doctor names each fault and its fix', () => {
  it('a broker without RoleManagement.Read.Directory: the permission check and each role read fail, naming it', async () => {
    const checks = await runChecks(seed({ brokerPermissions: BROKER_GRAPH_PERMISSIONS.filter((p) => p !== 'RoleManagement.Read.Directory') }));
    expect(failures(checks).sort()).toEqual(['directory-roles', 'graph-active-role-instances', 'graph-role-assignments', 'graph-role-eligibilities']);
    expect(checks['directory-roles']?.detail).toContain('Missing RoleManagement.Read.Directory (active and eligible directory roles)');
    expect(checks['graph-role-assignments']?.detail).toContain('403');
    for (const id of failures(checks)) {
      expect(checks[id]?.fix, id).toContain('`npm run setup:entra`');
      expect(checks[id]?.fix, id).toContain(
        `Entra admin center → App registrations → TAP Broker service (client id ${TEST_BROKER_CLIENT_ID}) → API permissions → Add a permission → Microsoft Graph → Application permissions → RoleManagement.Read.Directory → Grant admin consent`,
      );
    }
  });

  it('an API registration that issues v1 tokens: api-token-version fails with the manifest fix', async () => {
    const broken = seed();
    broken.portal = { ...broken.portal, accessTokenVersion: 1 };
    const checks = await runChecks(broken);
    expect(failures(checks)).toEqual(['api-token-version']);
    expect(checks['api-token-version']?.detail).toContain('v1 access tokens');
    expect(checks['api-token-version']?.fix).toContain('`npm run setup:entra`');
    expect(checks['api-token-version']?.fix).toContain('→ Manifest → set "requestedAccessTokenVersion": 2');
  });

  it('a portal registration without PORTAL_URL as redirect URI: portal-redirect-uri fails, naming --portal-url and the blade', async () => {
    const broken = seed();
    broken.portal = { ...broken.portal, redirectUris: ['https://elsewhere.contoso.test'] };
    const checks = await runChecks(broken);
    expect(failures(checks)).toEqual(['portal-redirect-uri']);
    expect(checks['portal-redirect-uri']?.detail).toContain('https://elsewhere.contoso.test');
    expect(checks['portal-redirect-uri']?.fix).toContain(`\`npm run setup:entra -- --portal-url ${PORTAL_URL}\``);
    expect(checks['portal-redirect-uri']?.fix).toContain(`→ Authentication → Single-page application → Add URI ${PORTAL_URL}`);
  });

  it("a PORTAL_URL with a base path is matched by its origin, the redirect URI the portal signs in with", async () => {
    const checks = await runChecks(seed(), { PORTAL_URL: `${PORTAL_URL}/tap` });
    expect(checks['portal-redirect-uri']).toMatchObject({ status: 'ok', detail: expect.stringContaining(`lists ${PORTAL_URL} as`) });
  });

  it('without PORTAL_URL the redirect URI cannot be checked: a warning that says so', async () => {
    const checks = await runChecks(seed(), { PORTAL_URL: '' });
    expect(checks['portal-redirect-uri']).toMatchObject({ status: 'warn' });
    expect(checks['portal-redirect-uri']?.detail).toContain('PORTAL_URL is unset');
  });

  it('a tenant whose TAP policy is disabled: tap-policy-enabled fails, naming the policy blade', async () => {
    const broken = seed();
    broken.tapPolicy = { ...broken.tapPolicy, state: 'disabled' };
    const checks = await runChecks(broken);
    expect(failures(checks)).toEqual(['tap-policy-enabled']);
    expect(checks['tap-policy-enabled']?.fix).toContain('Entra admin center → Protection → Authentication methods → Policies → Temporary Access Pass → Enable');
  });

  it("a broker policy whose lifetimes exceed the tenant's maximum: tap-policy-lifetimes fails, naming both places to change", async () => {
    const broken = seed();
    broken.tapPolicy = { ...broken.tapPolicy, maximumLifetimeInMinutes: 240 };
    const checks = await runChecks(broken);
    expect(failures(checks)).toEqual(['tap-policy-lifetimes']);
    expect(checks['tap-policy-lifetimes']?.detail).toContain("maxLifetimeInMinutes must be within the tenant's TAP policy range of 60–240 minutes");
    expect(checks['tap-policy-lifetimes']?.fix).toContain("portal's Policy page");
    expect(checks['tap-policy-lifetimes']?.fix).toContain('Temporary Access Pass → Configure');
  });

  it('a mail sender without Mail.Send: notifications fail, naming --mail-sender', async () => {
    const sender = `boss@${TEST_DOMAIN}`;
    const checks = await runChecks(seed(), { MAIL_SENDER: sender });
    expect(failures(checks)).toEqual(['notifications']);
    expect(checks.notifications?.detail).toContain('Missing Mail.Send');
    expect(checks.notifications?.fix).toContain(`\`npm run setup:entra -- --mail-sender ${sender}\``);
    expect(checks.notifications?.fix).toContain('Application permissions → Mail.Send → Grant admin consent');
  });

  it('a mail sender that is no user of the tenant: mail-sender fails', async () => {
    const checks = await runChecks(seed({ brokerPermissions: [...BROKER_GRAPH_PERMISSIONS, 'Mail.Send'] }), { MAIL_SENDER: `nobody@${TEST_DOMAIN}` });
    expect(failures(checks)).toEqual(['mail-sender']);
    expect(checks['mail-sender']?.detail).toContain(`nobody@${TEST_DOMAIN}`);
    expect(checks['mail-sender']?.fix).toContain('--mail-sender');
  });

  it('an expired broker certificate: broker-certificate fails naming notAfter; due within 30 days it warns', async () => {
    const notAfter = new Date(Date.now() - 86_400_000);
    const expired = await writeCertificate('expired.pem', new Date(notAfter.getTime() - 365 * 86_400_000), notAfter);
    const broken = seed();
    broken.broker = { ...broken.broker, certificates: [expired.cert] };
    const certificateEnv = { BROKER_CLIENT_SECRET: '', BROKER_CERTIFICATE_PATH: expired.path };
    let soon: HealthCheck | undefined;
    const checks = await runChecks(broken, certificateEnv, () => {
      soon = checkBrokerCertificate(new Date(notAfter.getTime() - 10 * 86_400_000));
    });
    // The tenant refuses the expired key as Entra does, so no token either; the certificate check says why.
    expect([...failures(checks)].sort()).toEqual(['broker-certificate', 'broker-credential']);
    // X.509 keeps whole seconds.
    expect(checks['broker-certificate']?.detail).toContain(`notAfter ${new Date(Math.floor(notAfter.getTime() / 1000) * 1000).toISOString()}`);
    expect(checks['broker-certificate']?.fix).toContain('`npm run setup:entra` (it adds a fresh certificate');
    expect(checks['broker-certificate']?.fix).toContain('→ Certificates & secrets → Certificates → Upload certificate');
    expect(soon).toMatchObject({ status: 'warn' });
    expect(soon?.detail).toContain('expires in 9 days');
  });

  it('Graph dropping every connection: one graph-reachable failure, the registrations unknown (warnings)', async () => {
    const checks = await runChecks(seed(), {}, undefined, (local) => {
      local.tenant.ctx.faults.dropNext = 10;
    });
    expect(failures(checks)).toEqual(['graph-reachable']);
    expect(checks['graph-reachable']?.fix).toContain('GRAPH_BASE_URL');
    expect(checks['api-token-version']).toMatchObject({ status: 'warn', detail: expect.stringContaining('could not be reached') });
    expect(checks['tap-policy-lifetimes']?.status).toBe('warn');
  });

  it('with no database, the lifetime check says so as a warning instead of failing', async () => {
    const local = await startLocalTenant(seed());
    try {
      const checks = await withEnv({ PORTAL_URL }, () => getConfigurationChecks({ unavailable: 'no database in ./data' }, { log }));
      const lifetimes = checks.find((check) => check.id === 'tap-policy-lifetimes');
      expect(lifetimes).toMatchObject({ status: 'warn' });
      expect(lifetimes?.detail).toContain('no database in ./data');
      expect(checks.filter((check) => check.status === 'fail')).toEqual([]);
    } finally {
      await local.close();
    }
  });
});
