import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { createPostgresPrismaClient } from '@/lib/db/binary-copy-out';
import { PrismaClient } from '@/lib/db/generated/client';
import { applyMigrations } from '@/lib/db/migrate';

/**
 * Throwaway migrated databases for tests: in-memory PGlite, or a scratch database on a real
 * PostgreSQL server.
 */

export interface TestDb {
  readonly kind: 'pglite' | 'postgres';
  readonly prisma: PrismaClient;
  /** Set for `kind: 'pglite'`: the in-memory instance, for raw SQL in tests. */
  readonly pglite?: PGlite;
  /** Set for `kind: 'postgres'`: the URL of the throwaway database. */
  readonly url?: string;
  /** Disconnects and discards the database. */
  close(): Promise<void>;
}

export interface CreateTestDbOptions {
  /**
   * Defaults to `postgres` when `TEST_DATABASE_URL` is set (the test orchestrator sets it to run
   * every suite against a real PostgreSQL too), else `pglite`.
   */
  kind?: 'pglite' | 'postgres';
}

/**
 * A fresh, fully migrated database for one test file: an in-memory PGlite, or a new database
 * created on the PostgreSQL server named by `TEST_DATABASE_URL` and dropped on `close()`.
 */
export async function createTestDb(options: CreateTestDbOptions = {}): Promise<TestDb> {
  const kind = options.kind ?? (process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
  return kind === 'postgres' ? createPostgresTestDb() : createPgliteTestDb();
}

// PGlite's in-memory initdb costs seconds; restoring a dump of a migrated database costs a fraction
// of that, so each test worker builds the migrated template once and clones it per test database.
let pgliteTemplate: Promise<File | Blob> | undefined;

function getPgliteTemplate(): Promise<File | Blob> {
  pgliteTemplate ??= (async () => {
    const pglite = await PGlite.create('memory://');
    try {
      await applyMigrations({ pglite });
      return await pglite.dumpDataDir('none');
    } finally {
      await pglite.close();
    }
  })();
  pgliteTemplate.catch(() => {
    pgliteTemplate = undefined;
  });
  return pgliteTemplate;
}

async function createPgliteTestDb(): Promise<TestDb> {
  const pglite = await PGlite.create('memory://', { loadDataDir: await getPgliteTemplate() });
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    kind: 'pglite',
    prisma,
    pglite,
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

/**
 * Creates an empty database on the server of `serverUrl` (default `TEST_DATABASE_URL`, whose
 * user must be allowed to CREATE DATABASE); returns its URL and a function that drops it.
 */
export async function createScratchPostgresDatabase(
  serverUrl: string | undefined = process.env.TEST_DATABASE_URL,
): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = serverUrl;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  // Random, lowercase and prefixed: the name goes into DDL, which cannot take a bind parameter.
  const name = `tap_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  };
}

/** A fresh, migrated database on the PostgreSQL server at `serverUrl` (default: TEST_DATABASE_URL's). */
export async function createPostgresTestDb(serverUrl?: string): Promise<TestDb> {
  const scratch = await createScratchPostgresDatabase(serverUrl);
  try {
    await applyMigrations({ url: scratch.url });
  } catch (error) {
    await scratch.drop();
    throw error;
  }
  // Built as lib/db/client.ts builds the app's, so the code paths that read by COPY take them here too.
  const prisma = createPostgresPrismaClient(scratch.url);
  return {
    kind: 'postgres',
    prisma,
    url: scratch.url,
    close: async () => {
      await prisma.$disconnect();
      await scratch.drop();
    },
  };
}

async function withAdminClient(url: string, run: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}
