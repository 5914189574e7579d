/**
 * Starts the whole local stack — the local tenant (in this process), the database migrations and
 * the portal (`next start` or `next dev` in a child process) wired to the tenant — for `npm start`
 * and for the test orchestrator. The portal gets exactly the configuration it would get against
 * the real cloud, with local values: authority host, Graph base URL, client ids and secret.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ensureCertificate } from '../../tenant/cert';
import { getEffectiveAppRoles } from '../../tenant/directory';
import { startTenant, type RunningTenant } from '../../tenant/server';
import type { Directory } from '../../tenant/types';
import { migrateDatabase } from '../../lib/db/migrate';
import { ENV_KEYS, REPLACED_ENV_KEYS } from './setup-entra/plan';

/**
 * The portal's Entra ID and Graph settings for the local tenant at `url` — what `.env` names for a
 * real tenant (README, "Configuration"): authority, the three registrations, the scope and Graph.
 */
export function getLocalTenantPortalEnv(url: string, dir: Pick<Directory, 'tenantId' | 'portal' | 'broker'>): Record<string, string> {
  return {
    ENTRA_AUTHORITY_HOST: url,
    ENTRA_TENANT_ID: dir.tenantId,
    PORTAL_CLIENT_ID: dir.portal.clientId,
    API_CLIENT_ID: dir.portal.apiClientId,
    API_SCOPE: `api://${dir.portal.apiClientId}/${dir.portal.scope}`,
    BROKER_CLIENT_ID: dir.broker.clientId,
    BROKER_CLIENT_SECRET: dir.broker.clientSecret,
    GRAPH_BASE_URL: `${url}/graph`,
  };
}

/**
 * The environment a local stack's portal runs with: `env` over this process's, and every key
 * `npm run setup:entra` writes into `.env` for a real tenant present — blank when the stack has no
 * value for it. `next start` fills in each variable left undefined from a `.env` in the repository,
 * and Next counts a blank one as set (lib/env.ts reads it as unset), so a real tenant's
 * certificate path or mailbox never slips into a local stack.
 */
export function getLocalPortalProcessEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.DATABASE_URL;
  const blanks = Object.fromEntries([...ENV_KEYS, ...REPLACED_ENV_KEYS].map((key) => [key, '']));
  return { ...blanks, ...base, ...env };
}

export const repoRoot = path.resolve(__dirname, '..', '..');
export const demoSeedPath = path.join(repoRoot, 'tenant', 'demo-org.json');

export interface StackOptions {
  portalPort: number;
  tenantPort: number;
  dataDir: string;
  /** Seed file path; the bundled demo org when absent. */
  seedPath?: string;
  /** PostgreSQL URL; the embedded database in `dataDir` when absent. */
  databaseUrl?: string;
  dev?: boolean;
  /** Where the portal's stdout/stderr go: inherited by default, or a callback per chunk. */
  onPortalOutput?: (chunk: string) => void;
  logLevel?: string;
  /**
   * Notification mail through the local tenant's sendMail (default true; see
   * `localMailEnv`). The e2e run turns it off: the dispatcher's Graph calls (address look-ups,
   * sendMail) run in the background right after commits and would land in the tenant's request
   * counts that specs assert round trips with.
   */
  notifications?: boolean;
  /**
   * Runs after the migrations and before the portal starts (the portal then holds the embedded
   * database for good): `npm start` sets the demo's policy defaults here. The test stacks pass none.
   */
  beforePortal?: () => Promise<void>;
  /** More portal configuration (e.g. the e2e run's budgets), on top of what the stack sets. */
  env?: Record<string, string>;
}

export interface Stack {
  portalUrl: string;
  tenantUrl: string;
  tenantId: string;
  certPath: string;
  spkiSha256: string;
  seedPath: string;
  /** The environment the portal was started with (no secrets are printed from it). */
  portalEnv: Record<string, string>;
  /** The portal's process id, for tests that read what it costs (memory). */
  portalPid: number;
  stop(): Promise<void>;
}

type SeedJson = {
  portal: { redirectUris: string[] };
  [key: string]: unknown;
};

/** The seed as the tenant will load it, with the portal's actual origin registered as a redirect URI. */
export function readSeedForPortal(seedPath: string, portalUrl: string): SeedJson {
  const seed = JSON.parse(readFileSync(seedPath, 'utf8')) as SeedJson;
  // Registering the origin the portal really listens on is what an admin does in the app
  // registration; the tenant still refuses every redirect URI that is not registered.
  if (seed.portal && Array.isArray(seed.portal.redirectUris) && !seed.portal.redirectUris.includes(portalUrl)) {
    seed.portal.redirectUris = [...seed.portal.redirectUris, portalUrl];
  }
  return seed;
}

const buildInputs = ['app', 'components', 'lib', 'public', 'next.config.js', 'package-lock.json', 'postcss.config.mjs', 'tsconfig.json'];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p)) {
    if (entry === 'generated' || entry === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

/** True when `.next` is missing or older than any source that goes into the build. */
export function isBuildStale(): boolean {
  const buildId = path.join(repoRoot, '.next', 'BUILD_ID');
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  return buildInputs.some((input) => newestMtime(path.join(repoRoot, input)) > built);
}

const require_ = createRequire(__filename);
export const nextBin = require_.resolve('next/dist/bin/next');

export function runNextBuild(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, 'build'], { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`next build failed with exit code ${code}`))));
    child.on('error', reject);
  });
}

/** Until `GET <url><healthPath>` answers 2xx; throws when `child` exits first or time runs out. */
export async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number, healthPath = '/api/health'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Polling a readiness endpoint is synchronisation on an observable condition, not a sleep.
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the portal exited with ${child.exitCode ?? child.signalCode} before it was ready`);
    }
    try {
      const res = await fetch(`${url}${healthPath}`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the portal did not answer ${healthPath} at ${url} within ${timeoutMs} ms`);
}

/**
 * `next start` (or `next dev`) on loopback `port` with exactly `env` (plus NODE_ENV), its output
 * inherited or handed to `onOutput`.
 */
export function spawnPortal(opts: { port: number; dev: boolean; env: NodeJS.ProcessEnv; onOutput?: ((chunk: string) => void) | undefined }): ChildProcess {
  const args = [nextBin, opts.dev ? 'dev' : 'start', '-p', String(opts.port), '-H', '127.0.0.1'];
  const portal = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...opts.env, NODE_ENV: opts.dev ? 'development' : 'production' },
    stdio: opts.onOutput ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
  });
  if (opts.onOutput) {
    portal.stdout?.setEncoding('utf8').on('data', opts.onOutput);
    portal.stderr?.setEncoding('utf8').on('data', opts.onOutput);
  }
  return portal;
}

/** Until the portal answers `GET /api/health` on loopback (browsers resolve `localhost` to it). */
export function waitForPortal(portal: ChildProcess, port: number, dev: boolean): Promise<void> {
  return waitForHealth(`http://127.0.0.1:${port}`, portal, dev ? 180_000 : 60_000);
}

/** The local tenant of a stack, started in this process with the portal's origin registered. */
export interface LocalTenant {
  tenant: RunningTenant;
  cert: Awaited<ReturnType<typeof ensureCertificate>>;
  seedPath: string;
  dataDir: string;
}

/**
 * Starts the local tenant from `seedPath` (the demo org when absent) with its certificate and keys
 * in `dataDir`, registering `portalUrl` — where people open the portal — as a redirect URI.
 */
export async function startLocalTenant(opts: { dataDir: string; tenantPort: number; portalUrl: string; seedPath?: string | undefined }): Promise<LocalTenant> {
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const cert = await ensureCertificate(dataDir);
  const seedPath = path.resolve(opts.seedPath ?? demoSeedPath);
  const seed = readSeedForPortal(seedPath, opts.portalUrl);
  const tenant = await startTenant({ port: opts.tenantPort, dataDir, seed });
  return { tenant, cert, seedPath, dataDir };
}

/**
 * The configuration every local stack's portal runs with (before `getLocalPortalProcessEnv`):
 * wired to the local tenant, reached at `portalUrl`, on `databaseUrl` or the embedded database in
 * the tenant's data folder, `extra` last.
 */
export function getLocalStackPortalEnv(
  local: LocalTenant,
  opts: { portalUrl: string; databaseUrl?: string | undefined; logLevel?: string | undefined; notifications?: boolean | undefined; extra?: Record<string, string> | undefined },
): Record<string, string> {
  const portalEnv: Record<string, string> = {
    DATA_DIR: local.dataDir,
    LOG_LEVEL: opts.logLevel ?? 'info',
    ...getLocalTenantPortalEnv(local.tenant.url, local.tenant.ctx.directory),
    // The portal runs in production mode against a tenant on localhost: say so explicitly.
    ALLOW_INSECURE_LOCAL_TENANT: 'true',
    // Trust exactly the local tenant's certificate; TLS verification stays on.
    NODE_EXTRA_CA_CERTS: local.cert.certPath,
    NEXT_TELEMETRY_DISABLED: '1',
    // Mails link here; people with no one to ask are pointed at the helpdesk.
    PORTAL_URL: opts.portalUrl,
    HELPDESK_CONTACT: 'mailto:helpdesk@contoso.test',
  };
  if (opts.databaseUrl) portalEnv.DATABASE_URL = opts.databaseUrl;
  if (opts.notifications !== false) Object.assign(portalEnv, localMailEnv(local.tenant.ctx.directory));
  Object.assign(portalEnv, opts.extra);
  return portalEnv;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const portalUrl = `http://localhost:${opts.portalPort}`;
  const local = await startLocalTenant({ dataDir: opts.dataDir, tenantPort: opts.tenantPort, portalUrl, seedPath: opts.seedPath });
  const { tenant, cert, dataDir } = local;

  let portal: ChildProcess | undefined;
  try {
    await migrateDatabase(opts.databaseUrl ? { kind: 'postgres', url: opts.databaseUrl } : { kind: 'pglite', dataDir });
    await opts.beforePortal?.();

    const portalEnv: Record<string, string> = {
      PORT: String(opts.portalPort),
      ...getLocalStackPortalEnv(local, { portalUrl, databaseUrl: opts.databaseUrl, logLevel: opts.logLevel, notifications: opts.notifications, extra: opts.env }),
    };

    portal = spawnPortal({ port: opts.portalPort, dev: opts.dev ?? false, env: getLocalPortalProcessEnv(portalEnv), onOutput: opts.onPortalOutput });
    await waitForPortal(portal, opts.portalPort, opts.dev ?? false);

    const child = portal;
    return {
      portalUrl,
      tenantUrl: tenant.url,
      tenantId: tenant.ctx.directory.tenantId,
      certPath: cert.certPath,
      spkiSha256: cert.spkiSha256,
      seedPath: local.seedPath,
      portalEnv,
      portalPid: child.pid ?? 0,
      async stop() {
        await stopChild(child);
        await tenant.close();
      },
    };
  } catch (err) {
    if (portal) await stopChild(portal);
    await tenant.close();
    throw err;
  }
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killTimer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Notifications for the local tenant — when the seed grants the broker `Mail.Send` and
 * has a `tap-broker@…` mailbox, the portal sends as it, and the approvers (app role Approver or
 * Admin, enabled accounts) hear about waiting requests. Otherwise notifications stay off.
 */
export function localMailEnv(dir: Directory): Record<string, string> {
  if (!dir.broker.graphPermissions.some((p) => p.toLowerCase() === 'mail.send')) return {};
  const users = [...dir.users.values()];
  const mailbox = users.find((u) => u.userPrincipalName.toLowerCase().startsWith('tap-broker@'));
  if (mailbox === undefined) return {};
  const approvers = users
    .filter((u) => u.accountEnabled && getEffectiveAppRoles(dir, u).some((r) => r === 'TapBroker.Approver' || r === 'TapBroker.Admin'))
    .map((u) => u.mail ?? u.userPrincipalName);
  return {
    MAIL_SENDER: mailbox.userPrincipalName,
    ...(approvers.length > 0 ? { APPROVER_NOTIFICATION_ADDRESSES: approvers.join(',') } : {}),
  };
}
