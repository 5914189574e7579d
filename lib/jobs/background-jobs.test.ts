/**
 * The background loop as the portal starts it (instrumentation.ts): on the process-wide database
 * (`getDb()`, here an embedded PGlite folder), its boot run resolves what it finds at once and
 * clears the budget windows that have ended, and the audit chain is verified in full once.
 * Stopping it mid-run (graceful shutdown) is lib/jobs/graceful-shutdown.test.ts's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeDb, getDb } from '@/lib/db/client';
import { holdRate, takeFromRateWindow } from '@/lib/db/rate-window';
import { applyMigrations } from '@/lib/db/migrate';
import { openEmbeddedPglite } from '@/lib/db/embedded-pglite';
import { startBackgroundJobs, stopBackgroundJobs } from '@/lib/jobs/background-jobs';
import { resetEnvForTests } from '@/lib/env';
import { buildTestSeed, startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';

let local: LocalTenant;
let dataDir: string;
const saved = { DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR };

beforeAll(async () => {
  local = await startLocalTenant(buildTestSeed([{ upn: 'boss', displayName: 'Bo Boss' }, { upn: 'worker', displayName: 'Wo Rker', manager: 'boss' }]));
  dataDir = mkdtempSync(path.join(tmpdir(), 'tap-jobs-'));
  const embedded = await openEmbeddedPglite(dataDir);
  try {
    await applyMigrations({ pglite: embedded.pglite });
  } finally {
    await embedded.close();
  }
  delete process.env.DATABASE_URL;
  process.env.DATA_DIR = dataDir;
  resetEnvForTests();
  await closeDb();
});

afterAll(async () => {
  await stopBackgroundJobs();
  await closeDb();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetEnvForTests();
  await local?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('runs the reconciler once at start (an approval that lapsed meanwhile expires)', async () => {
  const db = await getDb();
  const lapsed = await db.tapRequest.create({
    data: {
      status: 'approved',
      requesterId: local.userId('boss'),
      targetUserId: local.userId('worker'),
      targetDisplayName: 'Wo Rker',
      justification: 'Arranged directly in the database',
      lifetimeInMinutes: 60,
      isUsableOnce: true,
      chain: [local.userId('boss')],
      depth: 1,
      policyVersion: 1,
      decidedBy: 'system',
      decidedAt: new Date(Date.now() - 2 * 86_400_000),
      approvalExpiresAt: new Date(Date.now() - 86_400_000),
    },
  });
  startBackgroundJobs();
  const deadline = Date.now() + 20_000;
  while ((await db.tapRequest.findUniqueOrThrow({ where: { id: lapsed.id } })).status !== 'expired') {
    if (Date.now() > deadline) throw new Error('the boot run did not expire the request');
    await delay(50);
  }
  // No full audit verification existed, so the boot run started one beside the reconciler.
  while ((await db.auditFullVerification.count({ where: { outcome: { not: 'running' } } })) === 0) {
    if (Date.now() > deadline) throw new Error('the boot run did not verify the audit chain');
    await delay(50);
  }
  await stopBackgroundJobs();
  expect(await db.auditEvent.count({ where: { requestId: lapsed.id, type: 'tap_request.expired' } })).toBe(1);
  const runs = await db.auditFullVerification.findMany();
  expect(runs).toHaveLength(1);
  expect(runs[0]).toMatchObject({ outcome: 'passed', firstBrokenSeq: null });
});

it('deletes the budget windows and holds that have ended, and only those, on its run', async () => {
  const db = await getDb();
  const hourAgo = new Date(Date.now() - 3_600_000);
  await db.rateWindow.create({ data: { key: 'api:ended', windowStart: hourAgo, hits: 7, expiresAt: new Date(hourAgo.getTime() + 60_000) } });
  await db.rateHold.create({ data: { key: 'graph:ended', until: hourAgo } });
  await takeFromRateWindow(db, 'api:running', { windowMs: 3_600_000, limit: 1 });
  await holdRate(db, 'graph:running', 3_600_000);

  startBackgroundJobs();
  // Stopping waits for the run that starting began.
  await stopBackgroundJobs();
  expect((await db.rateWindow.findMany()).map((w) => w.key)).toEqual(['api:running']);
  expect((await db.rateHold.findMany()).map((h) => h.key)).toEqual(['graph:running']);
});

it('syncs the org mirror on its boot run: the directory with its manager links', async () => {
  const db = await getDb();
  startBackgroundJobs();
  // Stopping would interrupt the sync (graceful shutdown): wait for its outcome first.
  const deadline = Date.now() + 20_000;
  while ((await db.orgMirrorState.findUnique({ where: { id: 1 } }))?.status !== 'ok') {
    if (Date.now() > deadline) throw new Error('the boot run did not sync the org mirror');
    await delay(50);
  }
  await stopBackgroundJobs();
  const users = await db.orgMirrorUser.findMany({ orderBy: { userPrincipalName: 'asc' }, select: { id: true, managerId: true } });
  expect(users).toEqual([
    { id: local.userId('boss'), managerId: null },
    { id: local.userId('worker'), managerId: local.userId('boss') },
  ]);
  expect(await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ status: 'ok', users: 2, leaseOwner: null });
});
