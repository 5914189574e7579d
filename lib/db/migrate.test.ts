import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  applyMigrations,
  computeChecksum,
  getDefaultMigrationsDir,
  MigrationError,
  readMigrations,
} from '@/lib/db/migrate';
import { getMigrationList, loadSchemaEngine } from '@/lib/db/schema-engine';
import { createScratchPostgresDatabase } from '@/lib/testing/db';
import { getTestPostgresServer, type TestPostgresServer } from '@/lib/testing/postgres-server';

const NO_FILTERS = { externalTables: [], externalEnums: [] };

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

const tempDirs: string[] = [];
function copyMigrations(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tap-migrations-'));
  tempDirs.push(dir);
  cpSync(getDefaultMigrationsDir(), dir, { recursive: true });
  return dir;
}
function addMigration(dir: string, name: string, sql: string): void {
  mkdirSync(path.join(dir, name));
  writeFileSync(path.join(dir, name, 'migration.sql'), sql);
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

async function listTables(pglite: PGlite): Promise<string[]> {
  const { rows } = await pglite.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  return rows.map((row) => row.table_name);
}

async function readHistory(pglite: PGlite): Promise<MigrationRow[]> {
  return (await pglite.query<MigrationRow>('SELECT * FROM "_prisma_migrations" ORDER BY migration_name')).rows;
}

describe('applyMigrations on PGlite', () => {
  let pglite: PGlite;
  afterEach(async () => {
    await pglite.close();
  });

  test('applies every migration once, records it as Prisma does, and re-running is a no-op', async () => {
    pglite = await PGlite.create('memory://');
    const migrations = readMigrations();
    expect(migrations.map((migration) => migration.name)).toContain('0001_init');

    const first = await applyMigrations({ pglite });
    expect(first).toEqual({ applied: migrations.map((migration) => migration.name), unknown: [] });
    expect(await listTables(pglite)).toEqual(['_prisma_migrations', 'audit_checkpoint', 'audit_event', 'audit_full_verification', 'audit_head', 'audit_pending', 'notification', 'org_mirror_staging', 'org_mirror_state', 'org_mirror_user', 'policy_version', 'rate_hold', 'rate_window', 'recorded_name', 'tap_request']);

    const history = await readHistory(pglite);
    expect(history).toHaveLength(migrations.length);
    const init = history.find((row) => row.migration_name === '0001_init');
    const initFile = readFileSync(path.join(getDefaultMigrationsDir(), '0001_init', 'migration.sql'));
    expect(init?.checksum).toBe(computeChecksum(initFile.toString('utf8')));
    expect(init?.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(init?.finished_at).toBeInstanceOf(Date);
    expect(init?.rolled_back_at).toBeNull();
    expect(init?.applied_steps_count).toBe(1);

    const second = await applyMigrations({ pglite });
    expect(second).toEqual({ applied: [], unknown: [] });
    expect(await readHistory(pglite)).toEqual(history);
  });

  test('refuses to run when an applied migration was edited, and changes nothing', async () => {
    pglite = await PGlite.create('memory://');
    const dir = copyMigrations();
    await applyMigrations({ pglite }, { migrationsDir: dir });
    const before = await readHistory(pglite);

    const file = path.join(dir, '0001_init', 'migration.sql');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n-- an innocent-looking edit\n`);
    addMigration(dir, '0002_later', 'CREATE TABLE later_table (id int);');

    await expect(applyMigrations({ pglite }, { migrationsDir: dir })).rejects.toThrow(
      /migration 0001_init was already applied but its migration\.sql has changed/,
    );
    expect(await readHistory(pglite)).toEqual(before);
    expect(await listTables(pglite)).not.toContain('later_table');
  });

  test('accepts the same file checked out with CRLF line endings', async () => {
    pglite = await PGlite.create('memory://');
    const dir = copyMigrations();
    await applyMigrations({ pglite }, { migrationsDir: dir });
    const file = path.join(dir, '0001_init', 'migration.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
    expect(await applyMigrations({ pglite }, { migrationsDir: dir })).toEqual({ applied: [], unknown: [] });
  });

  test('rolls a failing migration back completely and applies it once fixed', async () => {
    pglite = await PGlite.create('memory://');
    const dir = copyMigrations();
    await applyMigrations({ pglite }, { migrationsDir: dir });
    const before = (await readHistory(pglite)).map((row) => row.migration_name);
    addMigration(dir, '9999_broken', 'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n');

    await expect(applyMigrations({ pglite }, { migrationsDir: dir })).rejects.toThrow(
      /migration 9999_broken failed and was rolled back: .*no_such_table/,
    );
    expect(await listTables(pglite)).not.toContain('half_done');
    expect((await readHistory(pglite)).map((row) => row.migration_name)).toEqual(before);

    writeFileSync(path.join(dir, '9999_broken', 'migration.sql'), 'CREATE TABLE half_done (id int);\n');
    expect(await applyMigrations({ pglite }, { migrationsDir: dir })).toEqual({ applied: ['9999_broken'], unknown: [] });
    expect(await listTables(pglite)).toContain('half_done');
  });

  test('reports migrations the database knows and this checkout does not', async () => {
    pglite = await PGlite.create('memory://');
    const newer = copyMigrations();
    addMigration(newer, '0002_from_a_newer_release', 'CREATE TABLE newer (id int);');
    await applyMigrations({ pglite }, { migrationsDir: newer });
    expect(await applyMigrations({ pglite })).toEqual({ applied: [], unknown: ['0002_from_a_newer_release'] });
  });

  test('refuses to continue past a migration that failed under the Prisma CLI', async () => {
    pglite = await PGlite.create('memory://');
    await applyMigrations({ pglite });
    // What `prisma migrate deploy` leaves behind when a migration fails: a row never finished.
    await pglite.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ('00000000-0000-0000-0000-000000000000', $1, '0002_failed_elsewhere', now(), 0)`,
      ['0'.repeat(64)],
    );
    await expect(applyMigrations({ pglite })).rejects.toThrow(/0002_failed_elsewhere failed earlier/);
  });
});

describe("Prisma's own schema engine recognises the history we write", () => {
  test('our _prisma_migrations table has exactly the shape the engine creates', async () => {
    const ours = await PGlite.create('memory://');
    const prismas = await loadSchemaEngine();
    try {
      await applyMigrations({ pglite: ours });
      const { appliedMigrationNames } = await prismas.engine.applyMigrations({
        migrationsList: getMigrationList(),
        filters: NO_FILTERS,
      });
      expect(appliedMigrationNames).toEqual(readMigrations().map((migration) => migration.name));

      const shape = async (db: PGlite) =>
        (
          await db.query(
            `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
               FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
          )
        ).rows;
      expect(await shape(ours)).toEqual(await shape(prismas.pglite));

      // Same checksums for the same files, too.
      const checksums = async (db: PGlite) =>
        (await db.query('SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name')).rows;
      expect(await checksums(ours)).toEqual(await checksums(prismas.pglite));
    } finally {
      await prismas.close();
      await ours.close();
    }
  });

  test('after our runner, the engine finds nothing to apply, nothing edited, nothing failed', async () => {
    const pglite = await PGlite.create('memory://');
    await applyMigrations({ pglite });
    const { engine, close } = await loadSchemaEngine({ pglite });
    try {
      const diagnosis = await engine.diagnoseMigrationHistory({
        migrationsList: getMigrationList(),
        optInToShadowDatabase: false,
        filters: NO_FILTERS,
      });
      expect(diagnosis).toMatchObject({
        history: null,
        failedMigrationNames: [],
        editedMigrationNames: [],
        hasMigrationsTable: true,
      });
      // What `prisma migrate deploy` would do here: nothing.
      const deploy = await engine.applyMigrations({ migrationsList: getMigrationList(), filters: NO_FILTERS });
      expect(deploy.appliedMigrationNames).toEqual([]);
    } finally {
      await close();
      await pglite.close();
    }
  });
});

describe('applyMigrations on PostgreSQL', () => {
  let server: TestPostgresServer;
  beforeAll(async () => {
    server = await getTestPostgresServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  }

  test('applies, records, re-applies as a no-op and refuses an edited migration', async () => {
    const scratch = await createScratchPostgresDatabase(server.url);
    try {
      const dir = copyMigrations();
      const names = readMigrations(dir).map((migration) => migration.name);
      expect(await applyMigrations({ url: scratch.url }, { migrationsDir: dir })).toEqual({ applied: names, unknown: [] });
      expect(await applyMigrations({ url: scratch.url }, { migrationsDir: dir })).toEqual({ applied: [], unknown: [] });

      const tables = await withClient(scratch.url, async (client) =>
        (
          await client.query<{ table_name: string }>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
          )
        ).rows.map((row) => row.table_name),
      );
      expect(tables).toEqual(['_prisma_migrations', 'audit_checkpoint', 'audit_event', 'audit_full_verification', 'audit_head', 'audit_pending', 'notification', 'org_mirror_staging', 'org_mirror_state', 'org_mirror_user', 'policy_version', 'rate_hold', 'rate_window', 'recorded_name', 'tap_request']);

      const file = path.join(dir, '0001_init', 'migration.sql');
      writeFileSync(file, readFileSync(file, 'utf8').replace('CREATE TABLE "audit_event"', 'CREATE TABLE  "audit_event"'));
      await expect(applyMigrations({ url: scratch.url }, { migrationsDir: dir })).rejects.toBeInstanceOf(MigrationError);
      const count = await withClient(scratch.url, async (client) =>
        Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM "_prisma_migrations"')).rows[0]?.n),
      );
      expect(count).toBe(names.length);
    } finally {
      await scratch.drop();
    }
  });

  test('concurrent runners apply each migration exactly once', async () => {
    const scratch = await createScratchPostgresDatabase(server.url);
    try {
      const results = await Promise.all([1, 2, 3, 4].map(() => applyMigrations({ url: scratch.url })));
      const appliedByAll = results.flatMap((result) => result.applied).sort();
      expect(appliedByAll).toEqual(readMigrations().map((migration) => migration.name));
      const rows = await withClient(scratch.url, async (client) =>
        (await client.query<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations"')).rows,
      );
      expect(rows).toHaveLength(appliedByAll.length);
    } finally {
      await scratch.drop();
    }
  });
});
