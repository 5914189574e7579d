/**
 * `npm test`: every test, on a fresh machine, in one command.
 *
 *   1. typecheck and lint;
 *   2. unit and integration tests (vitest), with the local tenant started in-process by the tests
 *      and a throwaway PostgreSQL 15 cluster for the database tests;
 *   3. the round-trip counts (`npm run bench -- --short`): Graph round trips per create, issue,
 *      reportee walk and mirror sync page, and SQL statements per create and issue, on a small
 *      generated org, against the committed maxima in
 *      scripts/bench/round-trips.json — a count that rises fails the step;
 *   4. a production build of the portal;
 *   5. the end-to-end suite (Playwright: Chromium and black-box API tests) against the whole stack,
 *      once with the embedded database and once with PostgreSQL;
 *   6. the short load and fault campaign (`npm run campaign -- --short`): three standalone
 *      instances behind HAProxy on PostgreSQL, under load while instances, PostgreSQL, Graph and
 *      the balancer fail in turn; each of its checks counts as one test.
 *
 * Flags: `--only=static,unit,bench,e2e,campaign` runs a subset; `--db=pglite|postgres` limits the e2e runs;
 * `--spec=e2e/ui/a.spec.ts,…` runs only those Playwright files (and the mail and setup stacks only
 * when one of them is under e2e/mail or e2e/setup).
 * The last line is `N passed, N failed` over every test that ran.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureCertificate } from '../tenant/cert';
import { startTenant } from '../tenant/server';
import { writeBareSeed } from './lib/bare-seed';
import { startPgCluster } from './pg-cluster';
import { checkForLeakedPasses } from './lib/leak-check';
import { demoSeedPath, isBuildStale, repoRoot, runNextBuild, startStack, type Stack } from './lib/stack';

type Phase = 'static' | 'unit' | 'bench' | 'e2e' | 'campaign';
const args = process.argv.slice(2);
const only = new Set<Phase>(
  (args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',') ?? ['static', 'unit', 'bench', 'e2e', 'campaign']) as Phase[],
);
const dbModes = (args.find((a) => a.startsWith('--db='))?.slice('--db='.length).split(',') ?? ['pglite', 'postgres']) as (
  | 'pglite'
  | 'postgres'
)[];
const specs = args.find((a) => a.startsWith('--spec='))?.slice('--spec='.length).split(',') ?? [];
const runsMainSpecs = specs.length === 0 || specs.some((s) => s.includes('api/') || s.includes('ui/'));
const runsMailSpecs = specs.length === 0 || specs.some((s) => s.includes('mail/'));
const runsSetupSpecs = specs.length === 0 || specs.some((s) => s.includes('setup/'));

/**
 * The e2e portal's configuration beyond the stack's. The per-user API budget is above the default
 * (120 a minute), because one worker runs many specs as the same demo users back to back; the
 * abuse spec reads it to flood past it. The org mirror's sync is off: nothing reads the mirror yet,
 * and its background delta rounds would land in the Graph round-trip counts specs assert
 * (lib/broker/sync-org-mirror.test.ts tests it against the local tenant).
 */
const E2E_PORTAL_BUDGETS = { API_BUDGET_PER_USER: '300', API_BUDGET_WINDOW_SECONDS: '60', ORG_MIRROR_SYNC_SECONDS: '0' };

const totals = { passed: 0, failed: 0 };
const failures: string[] = [];

function run(cmd: string, cmdArgs: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, cmdArgs, { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function countStep(name: string, code: number) {
  if (code === 0) totals.passed += 1;
  else {
    totals.failed += 1;
    failures.push(name);
  }
}

/** Adds a vitest JSON report's test counts to the totals. */
function addVitestReport(file: string, label: string, exitCode: number) {
  if (!existsSync(file)) {
    totals.failed += 1;
    failures.push(`${label} (no report; exit code ${exitCode})`);
    return;
  }
  const report = JSON.parse(readFileSync(file, 'utf8')) as { numPassedTests: number; numFailedTests: number; numTotalTests: number };
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  if (report.numFailedTests > 0 || exitCode !== 0) failures.push(`${label} (${report.numFailedTests} failed, exit code ${exitCode})`);
  if (report.numFailedTests === 0 && exitCode !== 0) totals.failed += 1;
}

/** Adds a Playwright JSON report's test counts to the totals. */
function addPlaywrightReport(file: string, label: string, exitCode: number) {
  if (!existsSync(file)) {
    totals.failed += 1;
    failures.push(`${label} (no report; exit code ${exitCode})`);
    return;
  }
  const report = JSON.parse(readFileSync(file, 'utf8')) as { stats: { expected: number; unexpected: number; flaky: number; skipped: number } };
  totals.passed += report.stats.expected;
  // A flaky test (passed only on retry) counts as failed: retries must not hide flakiness.
  const bad = report.stats.unexpected + report.stats.flaky + report.stats.skipped;
  totals.failed += bad;
  if (bad > 0 || exitCode !== 0) failures.push(`${label} (${bad} failed, exit code ${exitCode})`);
  if (bad === 0 && exitCode !== 0) totals.failed += 1;
}

async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}"`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs the Playwright suite (`projects`) against `stack`, with what every spec reads about it. */
function runPlaywright(projects: string[], stack: Stack, env: Record<string, string>): Promise<number> {
  return run(process.execPath, [path.join(repoRoot, 'node_modules/@playwright/test/cli.js'), 'test', '-c', 'e2e/playwright.config.ts', ...projects, ...specs.map((s) => path.resolve(repoRoot, s))], {
    PORTAL_URL: stack.portalUrl,
    TENANT_URL: stack.tenantUrl,
    TENANT_ID: stack.tenantId,
    TENANT_SPKI: stack.spkiSha256,
    TENANT_SEED_PATH: stack.seedPath,
    NODE_EXTRA_CA_CERTS: stack.certPath,
    E2E_PORTAL_PID: String(stack.portalPid),
    E2E_API_BUDGET_PER_USER: E2E_PORTAL_BUDGETS.API_BUDGET_PER_USER,
    E2E_API_BUDGET_WINDOW_SECONDS: E2E_PORTAL_BUDGETS.API_BUDGET_WINDOW_SECONDS,
    ...env,
  });
}

/**
 * `setup:entra` end to end: only the local tenant runs here, from a seed with no registration of
 * the portal's; the spec runs setup:entra and then `npm start` with what it wrote.
 */
async function runSetupSpecs(work: string, reports: string): Promise<void> {
  console.log('\n== end-to-end (Playwright): setup:entra on a tenant without app registrations ==');
  const dataDir = path.join(work, 'e2e-setup');
  await mkdir(dataDir, { recursive: true });
  const cert = await ensureCertificate(dataDir);
  const seedPath = path.join(work, 'bare-seed.json');
  const admin = writeBareSeed(demoSeedPath, seedPath);
  const tenant = await startTenant({ port: await freePort(), dataDir, seed: JSON.parse(readFileSync(seedPath, 'utf8')) as object });
  const passesFile = path.join(work, 'issued-passes-setup.txt');
  const out = path.join(reports, 'playwright-setup.json');
  const stack: Stack = {
    portalUrl: `http://localhost:${await freePort()}`,
    tenantUrl: tenant.url,
    tenantId: tenant.ctx.directory.tenantId,
    certPath: cert.certPath,
    spkiSha256: cert.spkiSha256,
    seedPath,
    portalEnv: {},
    portalPid: 0,
    stop: () => tenant.close(),
  };
  let code: number;
  try {
    code = await runPlaywright(['--project=setup'], stack, {
      E2E_SETUP_ADMIN_UPN: admin.adminUpn,
      E2E_SETUP_ADMIN_PASSWORD: admin.adminPassword,
      E2E_SETUP_DATA_DIR: dataDir,
      E2E_ISSUED_PASSES_FILE: passesFile,
      PLAYWRIGHT_JSON_OUTPUT_NAME: out,
    });
  } finally {
    await stack.stop();
  }
  addPlaywrightReport(out, 'playwright (setup)', code);
  const leak = await checkForLeakedPasses({ passesFile, portalLog: '', dataDir });
  console.log(`leak check (setup): ${leak.passesChecked} issued passes searched for in ${leak.rowsScanned} database rows`);
  for (const l of leak.leaks) console.log(`  LEAK: ${l}`);
  countStep('leak check (setup)', leak.leaks.length === 0 ? 0 : 1);
}

/**
 * `npm run campaign -- --short` (it builds first when the build is stale); each row of its table
 * counts as one test, read from its last line, `N passed, M failed`.
 */
async function runShortCampaign(): Promise<void> {
  console.log('\n== load and fault campaign (npm run campaign -- --short) ==');
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'scripts/campaign.ts', '--short'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      process.stdout.write(chunk);
      output.push(chunk);
    });
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    child.on('error', reject);
  });
  const last = /(\d+) passed, (\d+) failed\s*$/.exec(output.join(''));
  if (last === null) {
    countStep(`campaign (no result line; exit code ${code})`, 1);
    return;
  }
  const [passed, failed] = [Number(last[1]), Number(last[2])];
  totals.passed += passed;
  totals.failed += failed;
  if (failed > 0 || code !== 0) failures.push(`campaign (${failed} failed, exit code ${code})`);
  if (failed === 0 && code !== 0) totals.failed += 1;
}

async function main() {
  const work = await mkdtemp(path.join(os.tmpdir(), 'tapbroker-test-'));
  const reports = path.join(work, 'reports');
  const node = process.execPath;
  let cluster: Awaited<ReturnType<typeof startPgCluster>> | undefined;
  try {
    if (only.has('static')) {
      console.log('\n== typecheck ==');
      countStep('typecheck', await run(node, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '--noEmit']));
      console.log('\n== lint ==');
      countStep('lint', await run(node, [path.join(repoRoot, 'node_modules/eslint/bin/eslint.js'), '.', '--max-warnings=0']));
    }

    const needsPg = only.has('unit') || (only.has('e2e') && dbModes.includes('postgres'));
    if (needsPg) {
      console.log('\n== starting a throwaway PostgreSQL 15 cluster ==');
      cluster = await startPgCluster();
    }

    if (only.has('unit')) {
      console.log('\n== unit and integration tests (vitest) ==');
      const dataDir = path.join(work, 'unit-data');
      const cert = await ensureCertificate(dataDir);
      const out = path.join(reports, 'vitest.json');
      const code = await run(
        node,
        [path.join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'unit', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`],
        { NODE_EXTRA_CA_CERTS: cert.certPath, TEST_DATA_DIR: dataDir, ...(cluster ? { TEST_DATABASE_URL: cluster.url } : {}) },
      );
      addVitestReport(out, 'vitest', code);
    }

    if (only.has('bench')) {
      console.log('\n== round-trip counts (npm run bench -- --short) ==');
      countStep('round-trip counts', await run(node, [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'scripts/bench.ts', '--short']));
    }

    if (only.has('e2e')) {
      if (isBuildStale()) {
        console.log('\n== next build ==');
        await runNextBuild();
      }
      for (const mode of runsMainSpecs ? dbModes : []) {
        console.log(`\n== end-to-end (Playwright) with ${mode === 'pglite' ? 'the embedded database' : 'PostgreSQL'} ==`);
        const dataDir = path.join(work, `e2e-${mode}`);
        const databaseUrl = mode === 'postgres' && cluster ? await createDatabase(cluster.url, 'tapbroker_e2e') : undefined;
        const portalLog: string[] = [];
        const stack = await startStack({
          portalPort: await freePort(),
          tenantPort: await freePort(),
          dataDir,
          databaseUrl,
          onPortalOutput: (chunk) => portalLog.push(chunk),
          // Background notification mail would skew the Graph round-trip counts specs assert.
          notifications: false,
          env: E2E_PORTAL_BUDGETS,
        });
        const out = path.join(reports, `playwright-${mode}.json`);
        const passesFile = path.join(work, `issued-passes-${mode}.txt`);
        let code: number;
        try {
          code = await runPlaywright(['--project=api', '--project=browser'], stack, {
            E2E_DB_MODE: mode,
            ...(databaseUrl ? { E2E_DATABASE_URL: databaseUrl } : {}),
            E2E_ISSUED_PASSES_FILE: passesFile,
            PLAYWRIGHT_JSON_OUTPUT_NAME: out,
          });
        } finally {
          await stack.stop();
        }
        const portalLogText = portalLog.join('');
        writeFileSync(path.join(work, `portal-${mode}.log`), portalLogText);
        addPlaywrightReport(out, `playwright (${mode})`, code);

        // Every pass the suite was shown must appear nowhere the product keeps anything.
        const leak = await checkForLeakedPasses({ passesFile, portalLog: portalLogText, databaseUrl, dataDir });
        console.log(
          `leak check (${mode}): ${leak.passesChecked} issued passes searched for in ${leak.rowsScanned} database rows and ${portalLogText.length} bytes of portal log`,
        );
        for (const l of leak.leaks) console.log(`  LEAK: ${l}`);
        countStep(`leak check (${mode})`, leak.leaks.length === 0 ? 0 : 1);
        if (code !== 0) console.log(`portal log: ${path.join(work, `portal-${mode}.log`)}`);
      }

      // Approver mail needs a portal that sends it; the main stacks do not (see above).
      if (runsMailSpecs) {
        console.log('\n== end-to-end (Playwright): notification mail ==');
        const portalLog: string[] = [];
        const mailStack = await startStack({
          portalPort: await freePort(),
          tenantPort: await freePort(),
          dataDir: path.join(work, 'e2e-mail'),
          onPortalOutput: (chunk) => portalLog.push(chunk),
          notifications: true,
          env: { ...E2E_PORTAL_BUDGETS, MAIL_DIGEST_MINUTES: '1' },
        });
        const out = path.join(reports, 'playwright-mail.json');
        let code: number;
        try {
          code = await runPlaywright(['--project=mail'], mailStack, {
            E2E_APPROVER_ADDRESSES: mailStack.portalEnv.APPROVER_NOTIFICATION_ADDRESSES ?? '',
            PLAYWRIGHT_JSON_OUTPUT_NAME: out,
          });
        } finally {
          await mailStack.stop();
        }
        writeFileSync(path.join(work, 'portal-mail.log'), portalLog.join(''));
        addPlaywrightReport(out, 'playwright (mail)', code);
      }

      if (runsSetupSpecs) await runSetupSpecs(work, reports);
    }

    if (only.has('campaign') && specs.length === 0) await runShortCampaign();
  } finally {
    if (cluster) await cluster.stop();
    if (failures.length === 0) await rm(work, { recursive: true, force: true });
    else console.log(`\nKept ${work} for inspection.`);
  }

  if (failures.length > 0) console.log(`\nFailed: ${failures.join('; ')}`);
  console.log(`\n${totals.passed} passed, ${totals.failed} failed`);
  process.exit(totals.failed > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  console.log(`\n${totals.passed} passed, ${totals.failed + 1} failed`);
  process.exit(1);
});
