/**
 * `npm run bench`: benchmarks that print figures (tests never assert wall-clock times).
 *
 *   reportees — the org-chart walk behind GET /api/reportees on a generated org
 *               (`--users`, default 100000) with added Graph latency per round trip
 *               (`--latency` ms, default 40, roughly a real Graph call): reportees found, levels,
 *               Graph HTTP round trips, requests carried inside `$batch`, wall time, peak RSS.
 *
 * The measured code runs in a child process that trusts the local tenant's certificate through
 * NODE_EXTRA_CA_CERTS (read by Node only at start-up), exactly as `npm start` runs the portal.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureCertificate } from '../tenant/cert';
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

async function main() {
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

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
