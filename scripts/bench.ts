/**
 * `npm run bench [-- --only=reportees|export|mirror|verify]`: benchmarks that print figures (tests never
 * assert wall-clock times). All run unless `--only` picks one.
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
 *               with no changes — pages, changes, Graph round trips, seconds, peak RSS.
 *   verify    — `npm run audit:verify` (worker threads, one per core) on a generated export of
 *               `--verify-events` (default 200000) events in each of `--formats`: rows/s beside a
 *               same-run reference, a Node loop hashing each line of the same file with SHA-256,
 *               their ratio (target >= 0.5) and the load average.
 *
 * The measured code runs in a child process that trusts the local tenant's certificate through
 * NODE_EXTRA_CA_CERTS (read by Node only at start-up), exactly as `npm start` runs the portal.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureCertificate } from '../tenant/cert';
import { startPgCluster } from './pg-cluster';
import { repoRoot } from './lib/stack';

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

async function benchVerify() {
  const events = arg('verify-events', 200_000);
  const formats = process.argv.find((a) => a.startsWith('--formats='))?.slice('--formats='.length) ?? 'csv,jsonl';
  await run(['--conditions=react-server', '--import', 'tsx', 'scripts/bench/audit-verify-bench.ts', String(events), formats]);
}

async function main() {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (only !== undefined && !['reportees', 'export', 'mirror', 'verify'].includes(only)) throw new Error('--only must be reportees, export, mirror or verify');
  if (only === undefined || only === 'reportees') await benchReportees();
  if (only === undefined || only === 'mirror') await benchMirror();
  if (only === undefined || only === 'export') await benchExport();
  if (only === undefined || only === 'verify') await benchVerify();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
