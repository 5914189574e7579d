/**
 * `npm start`: builds the portal if needed, applies migrations, starts the local tenant and the
 * portal wired to it, and prints the URL and the demo accounts with their passwords and
 * authenticator secrets. `npm run dev` does the same with `next dev`. Configuration: PORT,
 * TENANT_PORT, TENANT_SEED, DATABASE_URL, DATA_DIR (README).
 *
 * When the environment, after `.env` (variables already set win), names ENTRA_AUTHORITY_HOST, it
 * is a real tenant: the doctor (scripts/lib/doctor.ts) runs first and any failure stops the start
 * with its report; then the portal alone starts with that environment, no local tenant.
 *
 * When the seed defines the authentication context `c1` (the demo org does, protected by a second
 * factor), the first start also turns the policy's step-up on for issue with it — only while the
 * stored policy is still the built-in version 1, as `system`, audited. The test stacks
 * (scripts/test.ts) never do this: they keep the default, no step-up, unless a test sets it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { migrateDatabase } from '../lib/db/migrate';
import { formatDoctorReport, getDoctorExitCode, runDoctorChecks } from './lib/doctor';
import { demoSeedPath, isBuildStale, repoRoot, runNextBuild, spawnPortal, startStack, stopChild, waitForPortal } from './lib/stack';

/** The authentication context the demo turns on for issue. */
const DEMO_AUTH_CONTEXT_ID = 'c1';

function portFrom(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port number (1-65535), got "${raw}"`);
  }
  return port;
}

type DemoSeed = {
  demoAccounts?: { password?: string; signInAs?: { user: string; why: string }[] };
  authContexts?: { id?: unknown }[];
  users?: { userPrincipalName?: unknown; mfa?: { totpSecret?: unknown } }[];
};

function readDemoSeed(seedPath: string): DemoSeed {
  return JSON.parse(readFileSync(seedPath, 'utf8')) as DemoSeed;
}

/** The base32 secret of the user's authenticator app in the seed, if any. */
function totpSecretOf(seed: DemoSeed, upn: string): string | null {
  const user = seed.users?.find((u) => typeof u.userPrincipalName === 'string' && u.userPrincipalName.toLowerCase() === upn.toLowerCase());
  const secret = user?.mfa?.totpSecret;
  return typeof secret === 'string' && secret !== '' ? secret : null;
}

function printDemoAccounts(seed: DemoSeed) {
  const accounts = seed.demoAccounts?.signInAs ?? [];
  if (accounts.length === 0) return;
  const password = seed.demoAccounts?.password;
  console.log('\n  Demo accounts:');
  for (const a of accounts) {
    const secret = totpSecretOf(seed, a.user);
    console.log(`    ${a.user.padEnd(32)} ${password ? `password ${password}   ` : ''}${secret ? `authenticator (TOTP) secret ${secret}` : 'no authenticator app'}`);
    console.log(`    ${''.padEnd(32)} ${a.why}`);
  }
  console.log('\n  When the sign-in asks for a code, add the secret to an authenticator app, or get the current');
  console.log('  codes: npm run totp -- <upn>');
}

interface StepUpState {
  changed: boolean;
  stepUpAuthContextId: string | null;
  stepUpRequiredFor: string[];
}

/**
 * Turns step-up on for the demo (see the file comment) in a child process: the broker's core
 * loads only under the `react-server` condition, and the embedded database must be released
 * again before the portal opens it.
 */
function enableDemoStepUp(dataDir: string, databaseUrl: string | undefined): Promise<StepUpState> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    if (databaseUrl) env.DATABASE_URL = databaseUrl;
    else delete env.DATABASE_URL;
    const child = spawn(
      process.execPath,
      ['--conditions=react-server', '--import', 'tsx', path.join('scripts', 'lib', 'enable-demo-step-up.ts'), DEMO_AUTH_CONTEXT_ID],
      { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`could not set the demo's step-up policy (exit code ${code})`));
      try {
        resolve(JSON.parse(last) as StepUpState);
      } catch {
        reject(new Error(`unexpected output while setting the demo's step-up policy: ${last.slice(0, 200)}`));
      }
    });
  });
}

function printStepUp(state: StepUpState) {
  if (state.stepUpAuthContextId === null) {
    console.log('\n  Step-up: off (the policy asks for no second factor; an admin can turn it on in the policy console).');
    return;
  }
  console.log(
    `\n  Step-up: ${state.stepUpRequiredFor.join(', ')} ask${state.stepUpRequiredFor.length === 1 ? 's' : ''} for a second factor ` +
      `(authentication context ${state.stepUpAuthContextId})${state.changed ? ' — turned on now, as policy version 2 saved by "system"' : ''}.`,
  );
}

/** This process's environment over `.env` (when there is one), without changing this process's. */
function readEnvWithDotEnv(): NodeJS.ProcessEnv {
  const file = path.join(repoRoot, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/** Runs `stop`, then exits, on Ctrl+C or SIGTERM. */
function stopOnSignals(stop: () => Promise<void>) {
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

/**
 * A real tenant: the doctor first (its report always printed; any failure ends the start with
 * exit code 1), then the build if stale, the migrations and the portal alone with `env`.
 */
async function startAgainstRealTenant(env: NodeJS.ProcessEnv, dev: boolean) {
  console.log(`Checking the configuration against ${env.ENTRA_AUTHORITY_HOST} (npm run doctor)…\n`);
  const checks = await runDoctorChecks({ env });
  console.log(formatDoctorReport(checks));
  if (getDoctorExitCode(checks) !== 0) {
    console.error('\nNot starting: fix the failures above (npm run doctor checks again), or unset ENTRA_AUTHORITY_HOST for the local tenant.');
    process.exit(1);
  }
  if (!dev && isBuildStale()) {
    console.log('\nBuilding the portal (first start, or sources changed)…');
    await runNextBuild();
  }
  const port = portFrom('PORT', 3000, env);
  const dataDir = path.resolve(env.DATA_DIR || 'data');
  const databaseUrl = env.DATABASE_URL || undefined;
  await migrateDatabase(databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'pglite', dataDir });
  const portal = spawnPortal({ port, dev, env: { ...env, PORT: String(port), DATA_DIR: dataDir, NEXT_TELEMETRY_DISABLED: '1' } });
  await waitForPortal(portal, port, dev);
  console.log(`\n  TAP Broker is running: ${env.PORTAL_URL || `http://localhost:${port}`}`);
  console.log(`  Tenant: ${env.ENTRA_AUTHORITY_HOST}/${env.ENTRA_TENANT_ID} (no local tenant)`);
  console.log(`  Database: ${databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded, in ${path.join(dataDir, 'pglite')}`}`);
  console.log('\n  Press Ctrl+C to stop.\n');
  stopOnSignals(() => stopChild(portal));
}

async function main() {
  const dev = process.argv.includes('--dev');
  const env = readEnvWithDotEnv();
  if (env.ENTRA_AUTHORITY_HOST) {
    await startAgainstRealTenant(env, dev);
    return;
  }
  const portalPort = portFrom('PORT', 3000);
  const tenantPort = portFrom('TENANT_PORT', 8443);
  const dataDir = path.resolve(process.env.DATA_DIR || 'data');
  const seedPath = process.env.TENANT_SEED ? path.resolve(process.env.TENANT_SEED) : demoSeedPath;
  const databaseUrl = process.env.DATABASE_URL || undefined;

  if (!dev && isBuildStale()) {
    console.log('Building the portal (first start, or sources changed)…');
    await runNextBuild();
  }

  const seed = readDemoSeed(seedPath);
  const demoStepUp = (seed.authContexts ?? []).some((context) => context.id === DEMO_AUTH_CONTEXT_ID);
  let stepUp: StepUpState | undefined;
  const beforePortal = demoStepUp
    ? async () => {
        stepUp = await enableDemoStepUp(dataDir, databaseUrl);
      }
    : undefined;

  const stack = await startStack({ portalPort, tenantPort, dataDir, seedPath, databaseUrl, dev, beforePortal });

  console.log(`\n  TAP Broker is running: ${stack.portalUrl}`);
  console.log(`  Local tenant (Entra ID + Microsoft Graph stand-in): ${stack.tenantUrl}/ (tenant ${stack.tenantId})`);
  console.log(`  Database: ${databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded, in ${path.join(dataDir, 'pglite')}`}`);
  console.log(
    `\n  The local tenant uses a certificate generated on this machine (${stack.certPath}).` +
      `\n  The first time, your browser will ask you to accept it; the portal shows a link when it is needed.`,
  );
  if (stack.portalEnv.MAIL_SENDER) console.log(`  Mail the portal sends (notifications): ${stack.tenantUrl}/_tenant/mail.html`);
  if (seedPath === demoSeedPath) printDemoAccounts(seed);
  if (stepUp) printStepUp(stepUp);
  console.log('\n  Press Ctrl+C to stop.\n');
  stopOnSignals(() => stack.stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
