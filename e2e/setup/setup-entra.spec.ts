/**
 * A tenant with no TAP Broker registration becomes a working portal with two commands: `npm run
 * setup:entra` (signed in non-interactively as the seed's administrator) registers the API, the
 * SPA and the broker through Graph and writes the portal's environment; `npm start` with that
 * environment runs the doctor and starts the portal without a local tenant of its own; a manager
 * then signs in in Chromium and gets a pass. A second `setup:entra` changes nothing.
 *
 * Its stack (scripts/test.ts) is only the local tenant, started from the bare seed
 * (scripts/lib/bare-seed.ts); the portal is this spec's own child process, as the point is what
 * the written configuration alone starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { expect, test } from '@playwright/test';
import { JUSTIFICATION } from '../support/portal-api';
import { recordIssuedPass } from '../support/issued-passes';
import { portalUrl, tenantId, tenantUrl } from '../support/env';
import { loadSeed, userByUpn } from '../support/seed';
import { signIn } from '../support/sign-in';

const repoRoot = path.resolve(__dirname, '..', '..');
const tsx = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const seed = loadSeed();
const adminUpn = process.env.E2E_SETUP_ADMIN_UPN ?? '';
const adminPassword = process.env.E2E_SETUP_ADMIN_PASSWORD ?? '';
const dataDir = process.env.E2E_SETUP_DATA_DIR ?? '';

interface Finished {
  code: number | null;
  output: string;
}

function runScript(script: string, args: string[], env: Record<string, string>): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, script, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

function setupEntra(workDir: string, ...more: string[]): Promise<Finished> {
  return runScript(
    'scripts/setup-entra.ts',
    [
      ...more,
      `--tenant-id=${tenantId}`,
      `--authority-host=${tenantUrl}`,
      `--graph-base-url=${tenantUrl}/graph`,
      `--portal-url=${portalUrl}`,
      `--username=${adminUpn}`,
      `--env-path=${path.join(workDir, '.env')}`,
      `--certificate-path=${path.join(workDir, 'broker.pem')}`,
      '--assign-approvers=kim.akers@contoso.test',
    ],
    { SETUP_ENTRA_PASSWORD: adminPassword },
  );
}

/** Starts `npm start` with exactly the written environment; resolves once the portal says it runs. */
function startPortal(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    for (const key of ['PORTAL_URL', 'TENANT_URL', 'TENANT_ID', 'DATABASE_URL']) delete base[key];
    const child = spawn(process.execPath, [tsx, 'scripts/start.ts'], { cwd: repoRoot, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (c: string) => {
      output += c;
      if (output.includes('TAP Broker is running')) resolve({ child, output: () => output });
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`npm start exited (${code}) before the portal ran:\n${output}`)));
  });
}

function stopPortal(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

test('from a tenant without registrations: setup:entra, npm start, a manager gets a pass; a second setup changes nothing', async ({ page }) => {
  test.setTimeout(240_000);
  expect(adminUpn, 'E2E_SETUP_ADMIN_UPN is set by scripts/test.ts').not.toBe('');
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'tapbroker-setup-'));

  // The plan alone: printed, and nothing written anywhere (the real run below still creates everything).
  const dryRun = await setupEntra(workDir, '--dry-run');
  expect(dryRun.code, dryRun.output).toBe(0);
  expect(dryRun.output).toMatch(/create application TAP Broker API/i);
  expect(existsSync(path.join(workDir, '.env'))).toBe(false);
  expect(existsSync(path.join(workDir, 'broker.pem'))).toBe(false);

  const first = await setupEntra(workDir);
  expect(first.code, first.output).toBe(0);
  expect(first.output).toMatch(/create application TAP Broker API/i);
  expect(first.output).toMatch(/create application TAP Broker portal/i);
  expect(first.output).toMatch(/create application TAP Broker service/i);
  expect(first.output).toMatch(/RoleManagement\.Read\.Directory/);
  expect(first.output).toMatch(/kim\.akers@contoso\.test/);
  expect(first.output).not.toContain(adminPassword);

  const written = parseEnv(readFileSync(path.join(workDir, '.env'), 'utf8')) as Record<string, string>;
  expect(written.ENTRA_TENANT_ID).toBe(tenantId);
  expect(written.ENTRA_AUTHORITY_HOST).toBe(tenantUrl);
  expect(written.API_SCOPE).toBe(`api://${written.API_CLIENT_ID}/access_as_user`);
  expect(written.BROKER_CLIENT_SECRET).toBeUndefined();
  // The private key stays on this machine, readable by its owner only.
  expect(statSync(path.join(workDir, 'broker.pem')).mode & 0o077).toBe(0);
  const pem = readFileSync(path.join(workDir, 'broker.pem'), 'utf8');
  expect(pem).toContain('PRIVATE KEY');
  expect(first.output).not.toContain(pem.split('\n')[1] ?? '(no key line)');

  const portal = await startPortal({
    ...written,
    PORT: new URL(portalUrl).port,
    DATA_DIR: dataDir,
    ALLOW_INSECURE_LOCAL_TENANT: 'true',
    NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? '',
    NEXT_TELEMETRY_DISABLED: '1',
  });
  try {
    // The doctor ran first and found nothing failing; no local tenant was started.
    expect(portal.output()).toMatch(/doctor/i);
    expect(portal.output()).not.toMatch(/✗/);
    expect(portal.output()).not.toMatch(/Local tenant \(Entra ID/);

    const manager = userByUpn(seed, 'bianca.pisani@contoso.test');
    await signIn(page, manager);
    const row = page.getByTestId('reportee-row').filter({ visible: true }).filter({ hasText: 'lee.gu@contoso.test' });
    await expect(row).toHaveCount(1);
    await row.getByRole('button', { name: 'Request pass' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/justification/i).fill(JUSTIFICATION);
    await dialog.getByRole('button', { name: 'Submit request' }).click();
    await dialog.getByRole('button', { name: 'Get pass' }).click();
    const shown = page.getByTestId('tap-pass');
    await expect(shown).toBeVisible();
    const pass = (await shown.innerText()).trim();
    recordIssuedPass(pass);
    expect(pass).toMatch(/^\S{8,48}$/);
  } finally {
    await stopPortal(portal.child);
  }

  const second = await setupEntra(workDir);
  expect(second.code, second.output).toBe(0);
  expect(second.output).toMatch(/No change: everything is in place\./);
  expect(second.output).not.toMatch(/create application/i);
  expect(parseEnv(readFileSync(path.join(workDir, '.env'), 'utf8'))).toEqual(written);
});
