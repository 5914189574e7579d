/**
 * The doctor's runner and report, shared by `npm run doctor` (scripts/doctor.ts) and `npm start`
 * against a real tenant (scripts/start.ts): runs the checks in a child process
 * (scripts/lib/doctor-checks.ts), prints them one aligned line each, and turns them into an exit code.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { healthDetailsSchema, type HealthCheck } from '../../lib/contract/session';

const repoRoot = path.resolve(__dirname, '..', '..');

/**
 * Runs every check once in a child process under `--conditions=react-server` (the broker's core
 * loads only so), with `env` (default: this process's). The child's Graph budget is off: it is
 * counted in the database, which the child opens once for the policy and must not hold twice.
 */
export function runDoctorChecks(options: { user?: string; env?: NodeJS.ProcessEnv } = {}): Promise<HealthCheck[]> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), GRAPH_BUDGET_PER_SECOND: '0', LOG_LEVEL: 'silent' };
    const args = ['--conditions=react-server', '--import', 'tsx', path.join('scripts', 'lib', 'doctor-checks.ts'), ...(options.user === undefined ? [] : ['--user', options.user])];
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`the configuration checks stopped with exit code ${code}`));
      const parsed = healthDetailsSchema.safeParse(parseJson(last));
      if (!parsed.success) return reject(new Error(`unexpected output from the configuration checks: ${last.slice(0, 200)}`));
      resolve(parsed.data.checks);
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const MARKS: Record<HealthCheck['status'], string> = { ok: '✓', warn: '!', fail: '✗' };

/**
 * The report a person reads: one line per check — mark (✓ ok, ! warn, ✗ fail), id padded to the
 * longest, detail — then `fix: …` indented under it when there is one, and a summary line.
 */
export function formatDoctorReport(checks: readonly HealthCheck[]): string {
  const width = Math.max(0, ...checks.map((check) => check.id.length));
  const lines = checks.flatMap((check) => [
    `${MARKS[check.status]} ${check.id.padEnd(width)}  ${check.detail}`,
    ...(check.fix === null ? [] : [`  ${''.padEnd(width)}  fix: ${check.fix}`]),
  ]);
  return [...lines, '', summarize(checks)].join('\n');
}

function summarize(checks: readonly HealthCheck[]): string {
  const count = (status: HealthCheck['status']) => checks.filter((check) => check.status === status).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const verdict = count('fail') > 0 ? 'the configuration has faults: fix each ✗ above' : 'the configuration works';
  return `${plural(checks.length, 'check')}: ${count('ok')} ok, ${plural(count('warn'), 'warning')}, ${plural(count('fail'), 'failure')} — ${verdict}.`;
}

/** 1 when any check fails, else 0 (warnings do not fail a start). */
export function getDoctorExitCode(checks: readonly HealthCheck[]): 0 | 1 {
  return checks.some((check) => check.status === 'fail') ? 1 : 0;
}

/** `--json`: the checks in the shape of `GET /api/health/details`. */
export function formatDoctorJson(checks: readonly HealthCheck[]): string {
  return JSON.stringify({ checks }, null, 2);
}
