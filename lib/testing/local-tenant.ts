/**
 * Tests only: starts the local tenant in-process and points the portal's configuration at it.
 *
 * It needs TEST_DATA_DIR (the tenant's key material) and a process that trusts the tenant's
 * certificate through NODE_EXTRA_CA_CERTS, which Node reads only at start-up. Under vitest both
 * are in place before any test runs: `npm test` sets them, and otherwise the global setup
 * (`vitest-global-setup.ts` beside this file) prepares them, so `npx vitest run <file>` works as is.
 *
 * TLS verification is never switched off.
 */
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { resetEnvForTests } from '@/lib/env';
import { ensureSigningKey } from '@/tenant/cert';
import { startTenant, type RunningTenant } from '@/tenant/server';

export const TEST_TENANT_ID = '0f0f0f0f-0000-4000-8000-000000000001';
export const TEST_PORTAL_CLIENT_ID = '0f0f0f0f-0000-4000-8000-0000000000a1';
export const TEST_API_CLIENT_ID = '0f0f0f0f-0000-4000-8000-0000000000a2';
export const TEST_BROKER_CLIENT_ID = '0f0f0f0f-0000-4000-8000-0000000000b1';
export const TEST_BROKER_SECRET = 'test-broker-secret-value';
export const TEST_AUTOMATION_CLIENT_ID = '0f0f0f0f-0000-4000-8000-0000000000c1';
export const TEST_AUTOMATION_SECRET = 'test-automation-secret-value';
export const TEST_PASSWORD = 'Test-Password-1!';
export const TEST_DOMAIN = 'test.contoso.test';

export interface TestSeedUser {
  upn: string;
  displayName: string;
  manager?: string | null;
  jobTitle?: string;
  department?: string;
  accountEnabled?: boolean;
  userType?: 'Member' | 'Guest';
  employeeHireDate?: string;
  appRoles?: ('TapBroker.Approver' | 'TapBroker.Auditor' | 'TapBroker.Admin')[];
  directoryRoles?: string[];
}

/**
 * The application permissions the broker needs for every feature (least privilege per call; the
 * README's permission list). Tests that take one away pass their own list.
 */
export const BROKER_GRAPH_PERMISSIONS = [
  'User.Read.All',
  'UserAuthenticationMethod.ReadWrite.All',
  'Policy.Read.AuthenticationMethod',
  'RoleManagement.Read.Directory',
  'GroupMember.Read.All',
  'AdministrativeUnit.Read.All',
  'Application.Read.All',
] as const;

/** A seed in the contract's format (docs/api-contract.md#seed-file); users given by short names `x` → `x@test.contoso.test`. */
export function buildTestSeed(users: TestSeedUser[], options: { brokerPermissions?: string[] } = {}): Record<string, unknown> {
  const upn = (name: string) => (name.includes('@') ? name : `${name}@${TEST_DOMAIN}`);
  return {
    tenantId: TEST_TENANT_ID,
    portal: { clientId: TEST_PORTAL_CLIENT_ID, apiClientId: TEST_API_CLIENT_ID, scope: 'access_as_user', redirectUris: ['http://localhost:3000'] },
    broker: {
      clientId: TEST_BROKER_CLIENT_ID,
      clientSecret: TEST_BROKER_SECRET,
      graphPermissions: options.brokerPermissions ?? [...BROKER_GRAPH_PERMISSIONS],
    },
    automation: { clientId: TEST_AUTOMATION_CLIENT_ID, clientSecret: TEST_AUTOMATION_SECRET, graphPermissions: ['User.ReadWrite.All'] },
    tapPolicy: { state: 'enabled', defaultLifetimeInMinutes: 60, minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480, defaultLength: 8, isUsableOnce: false },
    users: users.map((u) => ({
      userPrincipalName: upn(u.upn),
      displayName: u.displayName,
      password: TEST_PASSWORD,
      manager: u.manager === undefined || u.manager === null ? null : upn(u.manager),
      jobTitle: u.jobTitle ?? null,
      department: u.department ?? null,
      accountEnabled: u.accountEnabled ?? true,
      userType: u.userType ?? 'Member',
      employeeHireDate: u.employeeHireDate ?? null,
      directoryRoles: u.directoryRoles ?? [],
      appRoles: u.appRoles ?? [],
    })),
  };
}

export interface LocalTenant {
  tenant: RunningTenant;
  url: string;
  /** Full API scope, `api://<api client id>/access_as_user`. */
  apiScope: string;
  /** The user's object id in the tenant. */
  userId(name: string): string;
  /**
   * An access token for the portal API obtained with the password grant (ROPC), like the SPA would
   * get; `client: 'automation'` asks as the seed's automation app instead (another `azp`).
   */
  getUserToken(name: string, options?: { scope?: string; client?: 'portal' | 'automation' }): Promise<string>;
  /** An app-only token (client credentials) for `scope`, as the broker or automation client. */
  getAppToken(scope: string, client?: 'broker' | 'automation'): Promise<string>;
  close(): Promise<void>;
}

const PORTAL_VARS = [
  'ENTRA_AUTHORITY_HOST',
  'ENTRA_TENANT_ID',
  'PORTAL_CLIENT_ID',
  'API_CLIENT_ID',
  'API_SCOPE',
  'BROKER_CLIENT_ID',
  'BROKER_CLIENT_SECRET',
  'BROKER_CERTIFICATE_PATH',
  'BROKER_CERTIFICATE_PASSWORD',
  'GRAPH_BASE_URL',
  'GRAPH_SCOPE',
  'GRAPH_BUDGET_PER_SECOND',
  'GRAPH_BUDGET_MAX_WAIT_SECONDS',
  'ALLOW_INSECURE_LOCAL_TENANT',
] as const;

export function getTestDataDir(): string {
  const dir = process.env.TEST_DATA_DIR;
  if (dir === undefined || dir === '') {
    throw new Error(
      'TEST_DATA_DIR is not set: run the tests with vitest (`npx vitest run <file>` or `npm test`), whose global setup lib/testing/vitest-global-setup.ts sets it and NODE_EXTRA_CA_CERTS.',
    );
  }
  return dir;
}

async function postToken(url: string, form: Record<string, string>): Promise<string> {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(form) });
  const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!response.ok || body.access_token === undefined) {
    throw new Error(`token request failed: ${response.status} ${body.error ?? ''} ${body.error_description ?? ''}`);
  }
  return body.access_token;
}

/**
 * Starts the tenant with `seed` on a free port and sets the portal's environment variables for
 * it (resetting the memoized configuration); `close()` stops it and restores the variables.
 * The Graph budget is off: it keeps its count in the process-wide database (`getDb()`), which
 * most tests never open — they pass their own. Budget tests point `getDb()` at a test database
 * and set GRAPH_BUDGET_PER_SECOND themselves.
 */
export async function startLocalTenant(seed: Record<string, unknown>): Promise<LocalTenant> {
  const tenant = await startTenant({ port: 0, dataDir: getTestDataDir(), seed, faults: {} });
  const saved = Object.fromEntries(PORTAL_VARS.map((name) => [name, process.env[name]]));
  const apiScope = `api://${TEST_API_CLIENT_ID}/access_as_user`;
  for (const name of PORTAL_VARS) delete process.env[name];
  Object.assign(process.env, {
    ENTRA_AUTHORITY_HOST: tenant.url,
    ENTRA_TENANT_ID: TEST_TENANT_ID,
    PORTAL_CLIENT_ID: TEST_PORTAL_CLIENT_ID,
    API_CLIENT_ID: TEST_API_CLIENT_ID,
    API_SCOPE: apiScope,
    BROKER_CLIENT_ID: TEST_BROKER_CLIENT_ID,
    BROKER_CLIENT_SECRET: TEST_BROKER_SECRET,
    GRAPH_BASE_URL: `${tenant.url}/graph`,
    GRAPH_BUDGET_PER_SECOND: '0',
  });
  resetEnvForTests();
  const tokenUrl = `${tenant.url}/${TEST_TENANT_ID}/oauth2/v2.0/token`;

  return {
    tenant,
    url: tenant.url,
    apiScope,
    userId(name) {
      const upn = name.includes('@') ? name : `${name}@${TEST_DOMAIN}`;
      const id = tenant.ctx.directory.usersByUpn.get(upn.toLowerCase());
      if (id === undefined) throw new Error(`no test user ${upn}`);
      return id;
    },
    getUserToken(name, options = {}) {
      return postToken(tokenUrl, {
        grant_type: 'password',
        ...(options.client === 'automation'
          ? { client_id: TEST_AUTOMATION_CLIENT_ID, client_secret: TEST_AUTOMATION_SECRET }
          : { client_id: TEST_PORTAL_CLIENT_ID }),
        scope: options.scope ?? apiScope,
        username: name.includes('@') ? name : `${name}@${TEST_DOMAIN}`,
        password: TEST_PASSWORD,
      });
    },
    getAppToken(scope, client = 'broker') {
      return postToken(tokenUrl, {
        grant_type: 'client_credentials',
        client_id: client === 'broker' ? TEST_BROKER_CLIENT_ID : TEST_AUTOMATION_CLIENT_ID,
        client_secret: client === 'broker' ? TEST_BROKER_SECRET : TEST_AUTOMATION_SECRET,
        scope,
      });
    },
    async close() {
      await tenant.close();
      for (const name of PORTAL_VARS) {
        const value = saved[name];
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      resetEnvForTests();
    },
  };
}

/**
 * A token the tenant issued (e.g. from `getUserToken`), re-signed with the tenant's own signing
 * key with `acrs` set to `authContexts`: what a sign-in that satisfied those Conditional Access
 * authentication contexts would carry, every other claim unchanged. The password grant cannot
 * prove a context (as in Entra), so API tests of step-up take its token and add the proof here.
 * `issuedSecondsAgo` moves `iat` back (and `nbf` with it): a proof that old.
 */
export async function withAuthContexts(token: string, authContexts: string[], options: { issuedSecondsAgo?: number } = {}): Promise<string> {
  const key = await ensureSigningKey(getTestDataDir());
  const header = decodeProtectedHeader(token);
  if (header.kid !== key.kid) throw new Error('withAuthContexts: the token was not signed by the local tenant of TEST_DATA_DIR');
  const claims = decodeJwt(token);
  if (options.issuedSecondsAgo !== undefined) {
    const iat = Math.floor(Date.now() / 1000) - options.issuedSecondsAgo;
    claims.iat = iat;
    if (claims.nbf !== undefined) claims.nbf = iat;
  }
  return new SignJWT({ ...claims, acrs: authContexts })
    .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: key.kid })
    .sign(key.privateKey);
}
