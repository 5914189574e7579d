import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { DbConfig } from '@/lib/db/config';
import { openEmbeddedPglite } from '@/lib/db/embedded-pglite';

/**
 * Where migrations are applied: an open PGlite instance (embedded or in-memory) or a PostgreSQL
 * connection string. For PostgreSQL the runner opens its own connection, because the advisory
 * lock it takes is bound to the session.
 */
export type MigrationTarget = { pglite: PGlite } | { url: string };

export interface MigrationFile {
  /** The folder name, e.g. `0001_init`; also the `migration_name` recorded in the database. */
  name: string;
  sql: string;
  /** Hex SHA-256 of the file's bytes, as Prisma records it. */
  checksum: string;
}

export interface ApplyMigrationsResult {
  /** Names of the migrations this call applied, in order. */
  applied: string[];
  /** Migrations recorded in the database that this checkout does not have (a newer release ran). */
  unknown: string[];
}

export interface ApplyMigrationsOptions {
  /** Defaults to `<cwd>/prisma/migrations`; bundlers move code around, the repo layout stays. */
  migrationsDir?: string;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** The key `prisma migrate` itself locks, so our runner and the Prisma CLI exclude each other. */
const PRISMA_ADVISORY_LOCK_KEY = 72707369;

// The exact shape Prisma's schema engine creates, so `prisma migrate status/deploy` recognise the
// history we write (lib/db/migrate.test.ts compares it with the table the engine itself creates).
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function getDefaultMigrationsDir(): string {
  return path.resolve(process.cwd(), 'prisma', 'migrations');
}

export function computeChecksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/**
 * Reads `<dir>/<name>/migration.sql` for every migration folder, sorted by name. The reads are
 * marked `turbopackIgnore`: the readiness route imports this, and a directory Turbopack cannot
 * resolve statically makes it trace the whole project — local data, keys and `.env` included —
 * into the standalone output. scripts/lib/standalone.ts copies `prisma/migrations` there instead.
 */
export function readMigrations(migrationsDir: string = getDefaultMigrationsDir()): MigrationFile[] {
  const names = readdirSync(/*turbopackIgnore: true*/ migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return names.map((name) => {
    const sql = readFileSync(/*turbopackIgnore: true*/ path.join(migrationsDir, name, 'migration.sql'), 'utf8');
    return { name, sql, checksum: computeChecksum(sql) };
  });
}

interface Session {
  query<R>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Runs a script that may hold several statements (simple query protocol). */
  exec(sql: string): Promise<void>;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
}

/**
 * Applies every migration in `prisma/migrations` that the database has not recorded, in name
 * order, each in its own transaction together with its `_prisma_migrations` row, so a failed
 * migration leaves no trace and can be fixed and re-run.
 *
 * Refuses to run when an applied migration's file changed (checksum mismatch) or when the history
 * holds a migration that failed under the Prisma CLI and was never resolved. On PostgreSQL it
 * holds Prisma's advisory lock for the whole run, so concurrent starts apply each migration once.
 * Migrations must therefore be transaction-safe (no `CREATE INDEX CONCURRENTLY`).
 */
export async function applyMigrations(
  target: MigrationTarget,
  options: ApplyMigrationsOptions = {},
): Promise<ApplyMigrationsResult> {
  const migrations = readMigrations(options.migrationsDir);
  if ('pglite' in target) {
    const db = target.pglite;
    // PGlite is single-connection and, through the lock file in lib/db/client.ts, single-process:
    // nothing else can run migrations on it at the same time.
    return applyWithSession(
      {
        query: async <R>(sql: string, params?: unknown[]) => (await db.query<R>(sql, params)).rows,
        exec: async (sql) => {
          await db.exec(sql);
        },
      },
      migrations,
    );
  }

  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
    try {
      return await applyWithSession(
        {
          query: async <R>(sql: string, params?: unknown[]) =>
            (await client.query(sql, params)).rows as R[],
          exec: async (sql) => {
            await client.query(sql);
          },
        },
        migrations,
      );
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

/**
 * Applies migrations to the database a {@link DbConfig} names, opening (and for PGlite, locking)
 * it for the duration. This is what `npm run db:migrate` and `npm start` run.
 */
export async function migrateDatabase(
  config: DbConfig,
  options: ApplyMigrationsOptions = {},
): Promise<ApplyMigrationsResult> {
  if (config.kind === 'postgres') return applyMigrations({ url: config.url }, options);
  const embedded = await openEmbeddedPglite(config.dataDir);
  try {
    return await applyMigrations({ pglite: embedded.pglite }, options);
  } finally {
    await embedded.close();
  }
}

async function applyWithSession(
  session: Session,
  migrations: MigrationFile[],
): Promise<ApplyMigrationsResult> {
  await session.exec(CREATE_MIGRATIONS_TABLE);
  const rows = await session.query<AppliedRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at, migration_name',
  );
  const live = rows.filter((row) => row.rolled_back_at === null);

  const failed = live.filter((row) => row.finished_at === null);
  if (failed.length > 0) {
    throw new MigrationError(
      `migration ${failed.map((row) => row.migration_name).join(', ')} failed earlier and was not resolved; ` +
        'fix the database, then mark it with `prisma migrate resolve`',
    );
  }

  const appliedByName = new Map(live.map((row) => [row.migration_name, row]));
  for (const migration of migrations) {
    const row = appliedByName.get(migration.name);
    if (row && !checksumMatches(row.checksum, migration.sql)) {
      throw new MigrationError(
        `migration ${migration.name} was already applied but its migration.sql has changed ` +
          `(recorded checksum ${row.checksum}, file ${migration.checksum}); ` +
          'never edit an applied migration — add a new one',
      );
    }
  }

  const known = new Set(migrations.map((migration) => migration.name));
  const unknown = live.map((row) => row.migration_name).filter((name) => !known.has(name));

  const applied: string[] = [];
  for (const migration of migrations) {
    if (appliedByName.has(migration.name)) continue;
    const startedAt = new Date();
    await session.exec('BEGIN');
    try {
      await session.exec(migration.sql);
      await session.query(
        `INSERT INTO "_prisma_migrations"
           (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
         VALUES ($1, $2, now(), $3, NULL, NULL, $4, 1)`,
        [randomUUID(), migration.checksum, migration.name, startedAt],
      );
      await session.exec('COMMIT');
    } catch (error) {
      await session.exec('ROLLBACK');
      const reason = error instanceof Error ? error.message : String(error);
      throw new MigrationError(`migration ${migration.name} failed and was rolled back: ${reason}`, {
        cause: error,
      });
    }
    applied.push(migration.name);
  }
  return { applied, unknown };
}

/**
 * Whether `recorded` (a `_prisma_migrations.checksum`) is the checksum of `sql`. Prisma compares
 * checksums of the file as it is on disk; a checkout with CRLF line endings (Windows, autocrlf)
 * must not count as an edit, so both spellings are accepted.
 */
export function checksumMatches(recorded: string, sql: string): boolean {
  return (
    recorded === computeChecksum(sql) ||
    recorded === computeChecksum(sql.replace(/\r\n/g, '\n')) ||
    recorded === computeChecksum(sql.replace(/\r?\n/g, '\r\n'))
  );
}
