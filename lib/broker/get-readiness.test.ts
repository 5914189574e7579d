/**
 * Readiness (`GET /api/health/ready`, `getReadiness`) against the local tenant and real test
 * databases: ready when every check is ok; 503 naming the check when the database is down or
 * hangs, a shipped migration is not recorded (a database migrated with all but the last one) or
 * was changed, the broker's credential is refused, or the process is draining. No answer carries
 * a secret or an error text.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getReadiness } from '@/lib/broker/get-readiness';
import { readinessSchema } from '@/lib/contract/session';
import { clearDraining, markDraining } from '@/lib/core/draining';
import { closeDb, getDb } from '@/lib/db/client';
import { PrismaClient } from '@/lib/db/generated/client';
import { applyMigrations, getDefaultMigrationsDir } from '@/lib/db/migrate';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { buildTestSeed, startLocalTenant, TEST_BROKER_SECRET, type LocalTenant } from '@/lib/testing/local-tenant';
import { loadRouteHandler, useFreshRouteDatabase } from '@/lib/testing/route-harness';
import { withEnv } from '@/lib/testing/with-env';

let local: LocalTenant;
let db: TestDb;

beforeAll(async () => {
  local = await startLocalTenant(buildTestSeed([{ upn: 'boss', displayName: 'Bo Boss' }]));
  db = await createTestDb();
});

afterAll(async () => {
  await db?.close();
  await local?.close();
});

afterEach(() => {
  clearDraining();
});

const READY = { status: 'ready', checks: { database: 'ok', migrations: 'ok', graph: 'ok' } };

describe('getReadiness', () => {
  it('is ready when the database answers, every migration is recorded and the broker gets its token', async () => {
    expect(await getReadiness({ db: db.prisma })).toEqual(READY);
  });

  it('says migrations pending on a database migrated with all but the last migration, failed once one was changed', async () => {
    const shipped = getDefaultMigrationsDir();
    const names = readdirSync(shipped).filter((entry) => statSync(path.join(shipped, entry)).isDirectory()).sort();
    const partialDir = mkdtempSync(path.join(tmpdir(), 'readiness-migrations-'));
    for (const name of names.slice(0, -1)) cpSync(path.join(shipped, name), path.join(partialDir, name), { recursive: true });
    const pglite = await PGlite.create('memory://');
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    try {
      await applyMigrations({ pglite }, { migrationsDir: partialDir });
      expect(await getReadiness({ db: prisma })).toEqual({ status: 'not-ready', checks: { database: 'ok', migrations: 'pending', graph: 'ok' } });

      await applyMigrations({ pglite });
      expect(await getReadiness({ db: prisma })).toEqual(READY);

      await pglite.query(`UPDATE "_prisma_migrations" SET checksum = repeat('0', 64) WHERE migration_name = $1`, [names[0]]);
      expect(await getReadiness({ db: prisma })).toEqual({ status: 'not-ready', checks: { database: 'ok', migrations: 'failed', graph: 'ok' } });
    } finally {
      await prisma.$disconnect();
      await pglite.close();
      rmSync(partialDir, { recursive: true, force: true });
    }
  });

  it('says graph failed when the local tenant refuses the broker credential, and names no secret', async () => {
    const refusedSecret = 'not-the-broker-secret-value';
    const readiness = await withEnv({ BROKER_CLIENT_SECRET: refusedSecret }, () => getReadiness({ db: db.prisma }));
    expect(readiness).toEqual({ status: 'not-ready', checks: { database: 'ok', migrations: 'ok', graph: 'failed' } });
    expect(JSON.stringify(readiness)).not.toContain(refusedSecret);
    expect(JSON.stringify(readiness)).not.toContain(TEST_BROKER_SECRET);
    // The right credential again: ready, so the failure was the refusal and nothing else.
    expect(await getReadiness({ db: db.prisma })).toEqual(READY);
  });

  it('says draining, without checking anything, once the process drains', async () => {
    markDraining();
    expect(await getReadiness({ db: db.prisma })).toEqual({ status: 'draining', checks: { database: 'draining', migrations: 'draining', graph: 'draining' } });
  });
});

describe('GET /api/health/ready', () => {
  let dropFreshDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    dropFreshDatabase = await useFreshRouteDatabase();
    // Opened before the first probe: opening the embedded database can take longer than a check may.
    await getDb();
  });

  afterAll(async () => {
    await dropFreshDatabase?.();
  });

  async function ready(): Promise<{ status: number; body: unknown }> {
    const handler = await loadRouteHandler('health/ready', 'GET');
    const response = await handler(new Request('http://localhost:3000/api/health/ready'), { params: Promise.resolve({}) });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body: unknown = await response.json();
    expect(readinessSchema.safeParse(body).success).toBe(true);
    return { status: response.status, body };
  }

  it('answers 200 ready without a token', async () => {
    expect(await ready()).toEqual({ status: 200, body: READY });
  });

  it('answers 503 draining at once when the process drains', async () => {
    markDraining();
    expect(await ready()).toEqual({ status: 503, body: { status: 'draining', checks: { database: 'draining', migrations: 'draining', graph: 'draining' } } });
  });

  it('answers 503 database failed when the database refuses connections', async () => {
    // Nothing listens on the discard port: the connection is refused at once.
    const result = await withDatabaseUrl('postgres://nobody:nothing@127.0.0.1:9/none', ready);
    expect(result).toEqual({ status: 503, body: { status: 'not-ready', checks: { database: 'failed', migrations: 'failed', graph: 'ok' } } });
  });

  it('answers 503 database failed when the database accepts connections and never answers (bounded by the check timeout)', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const result = await withDatabaseUrl(`postgres://nobody:nothing@127.0.0.1:${port}/none`, ready, () => {
        for (const socket of sockets) socket.destroy();
      });
      expect(result).toEqual({ status: 503, body: { status: 'not-ready', checks: { database: 'failed', migrations: 'failed', graph: 'ok' } } });
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

/** Runs `fn` with the process-wide database pointed at `url`; `release` lets a hung connection go before it is closed. */
async function withDatabaseUrl<T>(url: string, fn: () => Promise<T>, release?: () => void): Promise<T> {
  await closeDb();
  try {
    return await withEnv({ DATABASE_URL: url }, fn);
  } finally {
    release?.();
    await closeDb();
  }
}
