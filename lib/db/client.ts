import { PrismaPGlite } from 'pglite-prisma-adapter';
import { createPostgresPrismaClient } from '@/lib/db/binary-copy-out';
import { getDbConfigFromEnv, type DbConfig } from '@/lib/db/config';
import { openEmbeddedPglite } from '@/lib/db/embedded-pglite';
import { PrismaClient } from '@/lib/db/generated/client';

/**
 * The app's database: PostgreSQL or embedded PGlite as configured, one Prisma client per process.
 */

export { PrismaClient };
export type Db = PrismaClient;
export { getDbConfigFromEnv, type DbConfig } from '@/lib/db/config';

export interface OpenDb {
  readonly config: DbConfig;
  readonly prisma: PrismaClient;
  /** Disconnects, closes PGlite and releases the embedded lock. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a Prisma client on the configured database. Migrations are not applied here: `npm start`
 * and `npm run db:migrate` apply them (lib/db/migrate.ts) before the server opens the database.
 */
export async function openDb(config: DbConfig): Promise<OpenDb> {
  if (config.kind === 'postgres') {
    const prisma = createPostgresPrismaClient(config.url);
    let closing: Promise<void> | undefined;
    return { config, prisma, close: () => (closing ??= prisma.$disconnect()) };
  }
  const embedded = await openEmbeddedPglite(config.dataDir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(embedded.pglite) });
  let closing: Promise<void> | undefined;
  return {
    config,
    prisma,
    close: () =>
      (closing ??= (async () => {
        try {
          await prisma.$disconnect();
        } finally {
          await embedded.close();
        }
      })()),
  };
}

interface DbHolder {
  opening?: Promise<OpenDb>;
}

// On globalThis so that Next.js dev-mode module reloads reuse the open database (and its lock)
// instead of opening a second PGlite on the same folder in the same process.
const HOLDER_KEY = Symbol.for('tap-broker.lib.db');
function getHolder(): DbHolder {
  const store = globalThis as typeof globalThis & { [HOLDER_KEY]?: DbHolder };
  return (store[HOLDER_KEY] ??= {});
}

/**
 * The process-wide Prisma client for the database named by `DATABASE_URL` / `DATA_DIR`, opened on
 * first use. A failed open is not cached, so a later call retries (e.g. after the other process
 * holding the embedded database stopped).
 */
export async function getDb(): Promise<PrismaClient> {
  const holder = getHolder();
  if (!holder.opening) {
    const opening = (async () => openDb(getDbConfigFromEnv()))();
    holder.opening = opening;
    opening.catch(() => {
      if (holder.opening === opening) holder.opening = undefined;
    });
  }
  return (await holder.opening).prisma;
}

/** Closes the process-wide client, if open; the next `getDb()` opens a new one. */
export async function closeDb(): Promise<void> {
  const holder = getHolder();
  const opening = holder.opening;
  holder.opening = undefined;
  if (!opening) return;
  let db: OpenDb;
  try {
    db = await opening;
  } catch {
    return;
  }
  await db.close();
}

/**
 * `SELECT 1` against the process-wide database, for GET /api/health. Never throws: any failure,
 * including a configuration error or the embedded database being held by another process, or no
 * answer within `timeoutMs`, is `false`.
 */
export async function checkDbHealth(timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
  });
  const probe = (async () => {
    const db = await getDb();
    await db.$queryRaw`SELECT 1`;
    return true;
  })().catch(() => false);
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
