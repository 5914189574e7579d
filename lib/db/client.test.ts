import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { checkDbHealth, closeDb, getDb, openDb, type PrismaClient } from '@/lib/db/client';
import { getDbConfigFromEnv } from '@/lib/db/config';
import { getLockPath } from '@/lib/db/embedded-lock';
import { migrateDatabase, readMigrations } from '@/lib/db/migrate';
import { createScratchPostgresDatabase, createTestDb } from '@/lib/testing/db';
import { getTestPostgresServer, type TestPostgresServer } from '@/lib/testing/postgres-server';

const execFileAsync = promisify(execFile);

const dirs: string[] = [];
function tempDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tap-db-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const POLICY = {
  maxDepth: 2,
  requireApproval: 'indirect_only',
  defaultLifetimeInMinutes: 60,
  maxLifetimeInMinutes: 480,
  isUsableOnce: true,
  approvalValidityMinutes: 1440,
  maxIssuancesPerManagerPerDay: 10,
  createdBy: 'system',
} as const;

/** Writes a policy, a request referring to it and an audit event, then reads all three back. */
async function roundTrip(prisma: PrismaClient): Promise<void> {
  const policy = await prisma.policyVersion.create({ data: POLICY });
  expect(policy.version).toBeGreaterThanOrEqual(1);

  const request = await prisma.tapRequest.create({
    data: {
      status: 'pending_approval',
      requesterId: 'manager-id',
      targetUserId: 'target-id',
      targetDisplayName: 'Adele Vance',
      justification: 'Lost her phone; needs to register a new authenticator.',
      lifetimeInMinutes: 60,
      isUsableOnce: true,
      chain: ['direct-manager-id', 'manager-id'],
      depth: 2,
      policyVersion: policy.version,
    },
  });
  expect(request.id).toMatch(/^[0-9a-f-]{36}$/);

  await prisma.auditEvent.create({
    data: {
      seq: 1n,
      type: 'tap_request.created',
      actorId: 'manager-id',
      targetId: 'target-id',
      requestId: request.id,
      data: { chain: request.chain, policyVersion: policy.version },
      prevHash: '0'.repeat(64),
      hash: 'a'.repeat(64),
    },
  });

  const readPolicy = await prisma.policyVersion.findUniqueOrThrow({ where: { version: policy.version } });
  expect(readPolicy).toEqual(policy);
  expect(readPolicy.requireApproval).toBe('indirect_only');

  const readRequest = await prisma.tapRequest.findUniqueOrThrow({ where: { id: request.id }, include: { policy: true } });
  expect(readRequest.chain).toEqual(['direct-manager-id', 'manager-id']);
  expect(readRequest.status).toBe('pending_approval');
  expect(readRequest.policy.maxDepth).toBe(2);

  const events = await prisma.auditEvent.findMany({ where: { requestId: request.id } });
  expect(events).toHaveLength(1);
  expect(events[0]?.seq).toBe(1n);
  expect(events[0]?.data).toEqual({ chain: ['direct-manager-id', 'manager-id'], policyVersion: policy.version });

  // The contract's spelling is what the database stores.
  const raw = await prisma.$queryRaw<{ require_approval: string }[]>`SELECT require_approval::text FROM policy_version`;
  expect(raw.map((row) => row.require_approval)).toContain('indirect-only');
}

describe('Prisma client round trip', () => {
  let server: TestPostgresServer;
  const savedTestUrl = process.env.TEST_DATABASE_URL;
  beforeAll(async () => {
    server = await getTestPostgresServer();
    process.env.TEST_DATABASE_URL = server.url;
  });
  afterAll(async () => {
    if (savedTestUrl === undefined) delete process.env.TEST_DATABASE_URL;
    else process.env.TEST_DATABASE_URL = savedTestUrl;
    await server.stop();
  });

  test('through @prisma/adapter-pg (createTestDb with TEST_DATABASE_URL), dropping the database on close', async () => {
    const db = await createTestDb();
    expect(db.kind).toBe('postgres');
    const name = new URL(db.url ?? '').pathname.slice(1);
    expect(name).toMatch(/^tap_test_[0-9a-f]{12}$/);
    try {
      await roundTrip(db.prisma);
    } finally {
      await db.close();
    }
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      expect(rows).toEqual([]);
    } finally {
      await admin.end();
    }
  });

  test('through the PGlite adapter (createTestDb, in memory)', async () => {
    const db = await createTestDb({ kind: 'pglite' });
    try {
      expect(db.kind).toBe('pglite');
      await roundTrip(db.prisma);
    } finally {
      await db.close();
    }
  });

  test('through @prisma/adapter-pg on PostgreSQL (openDb)', async () => {
    const scratch = await createScratchPostgresDatabase(server.url);
    try {
      await migrateDatabase({ kind: 'postgres', url: scratch.url });
      const db = await openDb({ kind: 'postgres', url: scratch.url });
      try {
        await roundTrip(db.prisma);
      } finally {
        await db.close();
      }
    } finally {
      await scratch.drop();
    }
  });

  test('two test databases are independent', async () => {
    const a = await createTestDb({ kind: 'pglite' });
    const b = await createTestDb({ kind: 'pglite' });
    try {
      // Each starts with the built-in policy that migration 0002 stores as version 1.
      await a.prisma.policyVersion.create({ data: POLICY });
      expect(await a.prisma.policyVersion.count()).toBe(2);
      expect(await b.prisma.policyVersion.count()).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('the embedded database in DATA_DIR', () => {
  const savedEnv = { DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR };
  afterEach(async () => {
    await closeDb();
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  test('persists across close and reopen, and holds the lock only while open', async () => {
    const dataDir = tempDataDir();
    const names = readMigrations().map((migration) => migration.name);
    expect(await migrateDatabase({ kind: 'pglite', dataDir })).toEqual({ applied: names, unknown: [] });
    expect(existsSync(getLockPath(dataDir))).toBe(false);

    const first = await openDb({ kind: 'pglite', dataDir });
    expect(readFileSync(getLockPath(dataDir), 'utf8').trim()).toBe(String(process.pid));
    await first.prisma.policyVersion.create({ data: POLICY });
    await first.close();
    expect(existsSync(getLockPath(dataDir))).toBe(false);

    const second = await openDb({ kind: 'pglite', dataDir });
    try {
      // The built-in version 1 (migration 0002) and ours.
      expect(await second.prisma.policyVersion.count()).toBe(2);
    } finally {
      await second.close();
    }
  });

  test('another process cannot open it while we have it open', async () => {
    const dataDir = tempDataDir();
    await migrateDatabase({ kind: 'pglite', dataDir });
    const db = await openDb({ kind: 'pglite', dataDir });
    try {
      const tsx = path.resolve('node_modules/tsx/dist/cli.mjs');
      const outcome = await execFileAsync(process.execPath, [tsx, 'scripts/db-migrate.ts'], {
        env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
        timeout: 60_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
      );
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toContain(
        `the embedded database in ${dataDir} is already open by process ${process.pid}; stop it or set DATABASE_URL`,
      );
      // Still ours and still working (holding only the built-in policy, version 1).
      expect(await db.prisma.policyVersion.count()).toBe(1);
    } finally {
      await db.close();
    }
  });

  test('getDb is a process-wide singleton and checkDbHealth answers true', async () => {
    const dataDir = tempDataDir();
    await migrateDatabase({ kind: 'pglite', dataDir });
    delete process.env.DATABASE_URL;
    process.env.DATA_DIR = dataDir;

    const [a, b] = await Promise.all([getDb(), getDb()]);
    expect(a).toBe(b);
    expect(await checkDbHealth()).toBe(true);
    await closeDb();
    expect(existsSync(getLockPath(dataDir))).toBe(false);
    const c = await getDb();
    expect(c).not.toBe(a);
    expect(await c.policyVersion.count()).toBe(1);
  });

  test('checkDbHealth answers false, without throwing, when the database is unreachable or misconfigured', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    process.env.DATABASE_URL = 'postgres://nobody@127.0.0.1:1/none';
    expect(await checkDbHealth()).toBe(false);
    await closeDb();

    process.env.DATABASE_URL = 'mysql://127.0.0.1/none';
    expect(await checkDbHealth()).toBe(false);
    await expect(getDb()).rejects.toThrow(/DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//);
  });
});

describe('getDbConfigFromEnv', () => {
  test('PostgreSQL when DATABASE_URL is set, else PGlite in DATA_DIR (default ./data)', () => {
    expect(getDbConfigFromEnv({ DATABASE_URL: 'postgresql://u@h/db' })).toEqual({
      kind: 'postgres',
      url: 'postgresql://u@h/db',
    });
    expect(getDbConfigFromEnv({ DATABASE_URL: '', DATA_DIR: '/srv/tap' })).toEqual({ kind: 'pglite', dataDir: '/srv/tap' });
    expect(getDbConfigFromEnv({})).toEqual({ kind: 'pglite', dataDir: path.resolve('data') });
    expect(() => getDbConfigFromEnv({ DATABASE_URL: 'file:./dev.db' })).toThrow(/postgres:\/\//);
  });
});
