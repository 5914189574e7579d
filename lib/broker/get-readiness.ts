import 'server-only';
import { isDraining } from '@/lib/core/draining';
import { resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { checksumMatches, getDefaultMigrationsDir, readMigrations, type MigrationFile } from '@/lib/db/migrate';
import { getBrokerGraphToken } from '@/lib/graph/client';
import type { Readiness, ReadinessCheckState } from '@/lib/contract/session';
import { logger, type Logger } from '@/lib/log';

/**
 * Readiness (`GET /api/health/ready`): whether this instance should get traffic from the load
 * balancer — unlike liveness (`GET /api/health`), which only says whether the process should be
 * restarted. An instance is ready when its database answers, every migration this build ships is
 * recorded there as finished with the same checksum (a rolling update whose new instances start
 * before the migration ran stays out of rotation), the broker can get a Graph token (msal-node's
 * cached one counts: no Graph call is made), and it is not draining (lib/core/draining.ts).
 *
 * Each check is bounded by {@link READINESS_CHECK_TIMEOUT_MS}, so a hung dependency answers 503 in
 * about that time instead of holding the probe until the balancer's own timeout. The answer names
 * only the state of each check; the reason goes to the log, never to the caller.
 */

/** The most one check may take; a check still running then counts as failed. */
export const READINESS_CHECK_TIMEOUT_MS = 2_000;

export interface GetReadinessOptions extends UseCaseOptions {
  /** Where this build's migrations are; defaults to `<cwd>/prisma/migrations`, as the migration runner. */
  migrationsDir?: string;
  timeoutMs?: number;
  log?: Logger;
}

class CheckTimeoutError extends Error {
  override readonly name = 'CheckTimeoutError';
}

/** `check`'s answer, or a rejection once `timeoutMs` passed; the check itself is left to settle. */
async function within<T>(timeoutMs: number, check: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeoutError(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([check(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// The migrations a build ships do not change while it runs: read the folder once per process.
const migrationsByDir = new Map<string, MigrationFile[]>();

function getShippedMigrations(dir: string): MigrationFile[] {
  let migrations = migrationsByDir.get(dir);
  if (migrations === undefined) {
    migrations = readMigrations(dir);
    migrationsByDir.set(dir, migrations);
  }
  return migrations;
}

interface RecordedMigration {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * `pending` while a shipped migration is not recorded (yet); `failed` when one is recorded as
 * failed or with another checksum — waiting does not fix either. Migrations recorded but not
 * shipped (a newer release ran them) do not matter: the runner accepts them too.
 */
async function checkMigrations(options: GetReadinessOptions): Promise<ReadinessCheckState> {
  const shipped = getShippedMigrations(options.migrationsDir ?? getDefaultMigrationsDir());
  const db = await resolveDb(options);
  const [table] = await db.$queryRaw<{ present: boolean }[]>`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`;
  if (table?.present !== true) return shipped.length === 0 ? 'ok' : 'pending';
  const rows = await db.$queryRaw<RecordedMigration[]>`
    SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`;
  const recorded = new Map(rows.map((row) => [row.migration_name, row]));
  let state: ReadinessCheckState = 'ok';
  for (const migration of shipped) {
    const row = recorded.get(migration.name);
    if (row === undefined) state = 'pending';
    else if (row.finished_at === null || !checksumMatches(row.checksum, migration.sql)) return 'failed';
  }
  return state;
}

async function checkDatabase(options: GetReadinessOptions): Promise<ReadinessCheckState> {
  const db = await resolveDb(options);
  await db.$queryRaw`SELECT 1`;
  return 'ok';
}

// Probes come every few seconds from every balancer; while the token endpoint hangs, they share
// one acquisition instead of piling up one per probe.
let graphProbe: Promise<string> | null = null;

async function checkGraph(): Promise<ReadinessCheckState> {
  graphProbe ??= getBrokerGraphToken().finally(() => {
    graphProbe = null;
  });
  await graphProbe;
  return 'ok';
}

/** Runs one check within the timeout; any failure is `failed`, its reason logged (never answered). */
async function runCheck(name: string, check: () => Promise<ReadinessCheckState>, timeoutMs: number, log: Logger): Promise<ReadinessCheckState> {
  try {
    return await within(timeoutMs, check);
  } catch (error) {
    log.warn({ check: name, err: error }, 'readiness check failed');
    return 'failed';
  }
}

/**
 * Whether this instance is ready for traffic (see the module comment). While draining, nothing is
 * checked — the database may be closing — and every check reads `draining`. Never throws.
 */
export async function getReadiness(options: GetReadinessOptions = {}): Promise<Readiness> {
  if (isDraining()) return { status: 'draining', checks: { database: 'draining', migrations: 'draining', graph: 'draining' } };
  const log = (options.log ?? logger).child({ component: 'readiness' });
  const timeoutMs = options.timeoutMs ?? READINESS_CHECK_TIMEOUT_MS;
  const [database, migrations, graph] = await Promise.all([
    runCheck('database', () => checkDatabase(options), timeoutMs, log),
    runCheck('migrations', () => checkMigrations(options), timeoutMs, log),
    runCheck('graph', checkGraph, timeoutMs, log),
  ]);
  // A draining that began while the checks ran wins: the balancer must stop routing at once.
  if (isDraining()) return { status: 'draining', checks: { database: 'draining', migrations: 'draining', graph: 'draining' } };
  const checks = { database, migrations, graph };
  const ready = database === 'ok' && migrations === 'ok' && graph === 'ok';
  return { status: ready ? 'ready' : 'not-ready', checks };
}
