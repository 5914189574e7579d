/**
 * `npm run bench [-- --only=reportees|mirror|export|verify|issue|team]`: benchmarks that print figures (tests
 * never assert wall-clock times). All run unless `--only` picks one. Each section's measured process
 * reports its figures as rows beside their same-run references (scripts/bench/bench-rows.ts); the
 * run ends with one table of them, the machine and the load average before and after, and a run of
 * every section writes that table to docs/bench.md (an `--only` run leaves the file alone).
 *
 * `npm run bench -- --short [--update]`: the CI version, a step of `npm test` — Graph round trips
 * counted on a small org against the maxima in scripts/bench/round-trips.json
 * (scripts/bench/round-trips-bench.ts); exits 1 when one rose. `--update` rewrites the maxima.
 *
 *   reportees — the org-chart walk behind GET /api/reportees on a generated org
 *               (`--users`, default 100000) with added Graph latency per round trip
 *               (`--latency` ms, default 40, roughly a real Graph call): reportees found, levels,
 *               Graph HTTP round trips, requests carried inside `$batch`, wall time, peak RSS.
 *
 *   export    — the audit compliance export (GET /api/audit/export and its manifest) over
 *               `--events` (default 1000000) chained audit events in a throwaway PostgreSQL
 *               cluster, for each of `--formats` (default csv,jsonl): rows/s beside a same-run
 *               `COPY audit_event TO STDOUT (FORMAT csv)` by psql and their ratio (target >= 0.8),
 *               and the peak RSS of the exporting process (target <= 256 MB); then `npm run audit:verify` on the file
 *               with its manifest and the pinned public key (rows/s, peak RSS). Before the
 *               export, the chain verification on the same trail: the background full run
 *               from seq 1 beside GET /api/audit/verify from its checkpoint (target < 1 s).
 *               `--heap` (MB,
 *               default 0 = Node's default, as the portal runs) caps the exporting process's V8 old space.
 *
 *   mirror    — the org mirror sync (Graph users delta into org_mirror_user) of a generated org
 *               (`--users`, default 100000) at `--latency` ms per Graph round trip (default 40),
 *               into a throwaway PostgreSQL cluster: the first round, one after manager moves, one
 *               with no changes — pages, changes, Graph round trips, seconds, peak RSS; then the
 *               team list read from the mirror for the reportees bench's managers (first 100,
 *               everyone, JSON size, Graph round trips: zero).
 *   verify    — `npm run audit:verify` (worker threads, one per core) on a generated export of
 *               `--verify-events` (default 200000) events in each of `--formats`: rows/s beside a
 *               same-run reference, a Node loop hashing each line of the same file with SHA-256,
 *               their ratio (target >= 0.5) and the load average.
 *   issue     — the built portal over HTTP on PostgreSQL with the local tenant (64 managers): request → pass
 *               at `--latency` ms per Graph round trip (default 100, `--pairs` sequential pairs,
 *               default 30) beside its floor (round trips × latency), the broker's own time per
 *               create and per issue, and issuances/s at each of `--concurrency` (default
 *               8,16,32,64) for `--seconds` (default 10) beside the local tenant's own cost
 *               (scripts/bench/issue-bench.ts).
 *   team      — the team page in Chromium for a manager of 5,000 (the built portal, embedded
 *               database): time to first rows and to everyone loaded beside the API calls alone,
 *               scroll-through frame time and rows in the DOM beside a plain static list of the
 *               same 5,000 names (scripts/bench/team-view-bench.ts).
 *
 * The measured code runs in a child process that trusts the local tenant's certificate through
 * NODE_EXTRA_CA_CERTS (read by Node only at start-up), exactly as `npm start` runs the portal.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureCertificate } from '../tenant/cert';
import { startPgCluster } from './pg-cluster';
import { describeMachine, loadAverage, renderBenchTable, type BenchRow } from './bench/bench-rows';
import { isBuildStale, repoRoot, runNextBuild } from './lib/stack';

function arg(name: string, fallback: number): number {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = hit ? Number(hit.slice(name.length + 3)) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer`);
  return value;
}

function run(args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited with ${code}`))));
    child.on('error', reject);
  });
}

async function benchReportees() {
  const users = arg('users', 100_000);
  const latency = arg('latency', 40);
  const work = await mkdtemp(path.join(os.tmpdir(), 'tapbroker-bench-'));
  try {
    const seedPath = path.join(work, `org-${users}.json`);
    const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
    await run([tsx, 'tenant/generate.ts', '--users', String(users), '--out', seedPath]);
    const cert = await ensureCertificate(work);
    await run(
      ['--conditions=react-server', '--import', 'tsx', 'scripts/bench/reportees-bench.ts', seedPath, work, String(latency)],
      { NODE_EXTRA_CA_CERTS: cert.certPath, LOG_LEVEL: 'warn' },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function benchMirror() {
  const users = arg('users', 100_000);
  const latency = arg('latency', 40);
  const work = await mkdtemp(path.join(os.tmpdir(), 'tapbroker-mirror-bench-'));
  const cluster = await startPgCluster({ database: 'tap_mirror_bench' });
  try {
    const seedPath = path.join(work, `org-${users}.json`);
    const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
    await run([tsx, 'tenant/generate.ts', '--users', String(users), '--out', seedPath]);
    const cert = await ensureCertificate(work);
    await run(
      ['--conditions=react-server', '--import', 'tsx', 'scripts/bench/org-mirror-bench.ts', seedPath, work, String(latency), cluster.url],
      { NODE_EXTRA_CA_CERTS: cert.certPath, LOG_LEVEL: 'warn' },
    );
  } finally {
    await cluster.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function benchExport() {
  const events = arg('events', 1_000_000);
  const formatsArg = process.argv.find((a) => a.startsWith('--formats='))?.slice('--formats='.length) ?? 'csv,jsonl';
  const formats = formatsArg.split(',').filter((f) => f === 'csv' || f === 'jsonl');
  const work = await mkdtemp(path.join(os.tmpdir(), 'tapbroker-export-bench-'));
  const cluster = await startPgCluster();
  try {
    const env = { LOG_LEVEL: 'warn' };
    const bench = ['--conditions=react-server', '--import', 'tsx', 'scripts/bench/audit-export-bench.ts'];
    await run([...bench, 'seed', cluster.url, String(events)], env);
    await run([...bench, 'verify', cluster.url], env);
    // Measured as the portal runs, with Node's default heap; `--heap=<MB>` caps V8's old space
    // (V8 grows its heap lazily while garbage is plentiful; a cap shows the live set is small).
    const heap = arg('heap', 0);
    const heapFlags = heap === 0 ? [] : [`--max-old-space-size=${heap}`];
    console.log(`export bench: ${events} events, exporting process with ${heap === 0 ? "Node's default heap" : `--max-old-space-size=${heap}`}`);
    for (const format of formats) {
      await run([...heapFlags, ...bench, 'export', cluster.url, work, format], env);
      const file = path.join(work, `export.${format}`);
      await run(['--import', 'tsx', 'scripts/audit-verify.ts', file, `${file}.manifest.json`, '--key', path.join(work, 'public-key.pem')]);
      await rm(file, { force: true });
    }
  } finally {
    await cluster.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function benchIssue() {
  const latency = arg('latency', 100);
  const pairs = arg('pairs', 30);
  const seconds = arg('seconds', 10);
  const concurrency = process.argv.find((a) => a.startsWith('--concurrency='))?.slice('--concurrency='.length) ?? '8,16,32,64';
  if (!/^\d+(,\d+)*$/.test(concurrency)) throw new Error('--concurrency must be a comma-separated list of whole numbers');
  if (isBuildStale()) await runNextBuild();
  const work = await mkdtemp(path.join(os.tmpdir(), 'tapbroker-issue-bench-'));
  const cluster = await startPgCluster({ database: 'tap_issue_bench' });
  try {
    const cert = await ensureCertificate(work);
    await run(['--import', 'tsx', 'scripts/bench/issue-bench.ts', work, cluster.url, String(latency), String(pairs), String(seconds), concurrency], {
      NODE_EXTRA_CA_CERTS: cert.certPath,
      LOG_LEVEL: 'warn',
    });
  } finally {
    await cluster.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function benchTeam() {
  if (isBuildStale()) await runNextBuild();
  const work = await mkdtemp(path.join(os.tmpdir(), 'tapbroker-team-bench-'));
  try {
    const cert = await ensureCertificate(work);
    await run(['--import', 'tsx', 'scripts/bench/team-view-bench.ts', work], { NODE_EXTRA_CA_CERTS: cert.certPath, LOG_LEVEL: 'warn' });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function benchVerify() {
  const events = arg('verify-events', 200_000);
  const formats = process.argv.find((a) => a.startsWith('--formats='))?.slice('--formats='.length) ?? 'csv,jsonl';
  await run(['--conditions=react-server', '--import', 'tsx', 'scripts/bench/audit-verify-bench.ts', String(events), formats]);
}

/** The short run CI uses: Graph round trips counted on a small org, against committed maxima. */
async function benchRoundTrips(update: boolean) {
  const work = await mkdtemp(path.join(os.tmpdir(), 'tapbroker-round-trips-'));
  try {
    const seedPath = path.join(work, 'org-2000.json');
    const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
    await run([tsx, 'tenant/generate.ts', '--users', '2000', '--out', seedPath]);
    const cert = await ensureCertificate(work);
    await run(
      ['--conditions=react-server', '--import', 'tsx', 'scripts/bench/round-trips-bench.ts', seedPath, work, ...(update ? ['--update'] : [])],
      { NODE_EXTRA_CA_CERTS: cert.certPath, LOG_LEVEL: 'warn' },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const SECTIONS = ['reportees', 'mirror', 'export', 'verify', 'issue', 'team'] as const;

/** Prints the rows the sections reported with the machine and load average; a full run writes docs/bench.md. */
async function printTable(rowsFile: string, startedAt: Date, loadBefore: string, write: boolean) {
  const text = existsSync(rowsFile) ? readFileSync(rowsFile, 'utf8') : '';
  const rows = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as BenchRow);
  const table = [
    `Measured ${startedAt.toISOString()} on ${describeMachine()}.`,
    '',
    `Load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAverage()}.`,
    '',
    renderBenchTable(rows),
  ].join('\n');
  console.log(`\n${table}\n`);
  if (!write) return;
  const file = path.join(repoRoot, 'docs', 'bench.md');
  await writeFile(
    file,
    [
      '# Benchmark figures',
      '',
      'Written by `npm run bench` (every section; a run with `--only=` prints its rows and leaves this file alone).',
      'Each figure stands beside a reference measured in the same run on the same machine, and their ratio: the',
      'machine is shared, so the ratio is what carries over. What each row means: [README.md#benchmarks](../README.md#benchmarks).',
      '',
      table,
      '',
    ].join('\n'),
  );
  console.log(`written to ${path.relative(repoRoot, file)}`);
}

async function main() {
  if (process.argv.includes('--short')) return benchRoundTrips(process.argv.includes('--update'));
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (only !== undefined && !(SECTIONS as readonly string[]).includes(only)) throw new Error(`--only must be one of ${SECTIONS.join(', ')}`);
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const work = await mkdtemp(path.join(os.tmpdir(), 'tapbroker-bench-rows-'));
  // Every section's measured process appends its rows here (scripts/bench/bench-rows.ts).
  const rowsFile = path.join(work, 'rows.jsonl');
  process.env.BENCH_ROWS_FILE = rowsFile;
  try {
    if (only === undefined || only === 'reportees') await benchReportees();
    if (only === undefined || only === 'mirror') await benchMirror();
    if (only === undefined || only === 'export') await benchExport();
    if (only === undefined || only === 'verify') await benchVerify();
    if (only === undefined || only === 'issue') await benchIssue();
    if (only === undefined || only === 'team') await benchTeam();
    await printTable(rowsFile, startedAt, loadBefore, only === undefined);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
