/**
 * The incremental audit verification (GET /api/audit/verify) and the background full run, on
 * PGlite and PostgreSQL: what a call re-reads, what it cannot see, and what the full run adds.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { appendAuditEvent, type AuditEventInput } from '@/lib/audit/append-audit-event';
import { claimFullAuditVerification, runFullAuditVerification, storeAuditCheckpoint, FULL_VERIFICATION_STALE_MS } from '@/lib/audit/full-audit-verification';
import { verifyAuditChainIncrementally } from '@/lib/audit/verify-audit-chain-incrementally';
import { auditVerificationSchema } from '@/lib/contract/audit';
import type { PrismaClient } from '@/lib/db/generated/client';
import { DB_KINDS, TEST_CONTEXT, useTestDatabases } from '@/lib/testing/audit';
import type { TestDb } from '@/lib/testing/db';

const ACTOR = 'a0000000-0000-4000-8000-000000000001';

function denied(n: number): AuditEventInput<'tap_request.denied'> {
  return { type: 'tap_request.denied', actorId: ACTOR, data: { decidedBy: ACTOR, reason: `reason ${n}`, policyVersion: 1 }, context: TEST_CONTEXT };
}

async function appendMany(prisma: PrismaClient, count: number): Promise<void> {
  for (let n = 1; n <= count; n += 1) await prisma.$transaction((tx) => appendAuditEvent(tx, denied(n)));
}

/** As a table owner could: with the append-only trigger off. */
async function behindTheTriggersBack(prisma: PrismaClient, statement: string): Promise<void> {
  await prisma.$executeRawUnsafe('ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only');
  try {
    await prisma.$executeRawUnsafe(statement);
  } finally {
    await prisma.$executeRawUnsafe('ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only');
  }
}

async function checkpoints(prisma: PrismaClient) {
  return prisma.auditCheckpoint.findMany({ orderBy: { id: 'asc' }, select: { seq: true, hash: true, kind: true } });
}

async function verify(prisma: PrismaClient, pageSize?: number) {
  const answer = await verifyAuditChainIncrementally(prisma, { pageSize });
  expect(auditVerificationSchema.safeParse(answer).success).toBe(true);
  return answer;
}

describe.each(DB_KINDS)('incremental audit verification on %s', (kind) => {
  const databases = useTestDatabases();
  let db: TestDb;
  afterEach(async () => {
    await db.close();
  });

  test('GET /api/audit/verify reports a data_canonical edited after the checkpoint, and the full run one before it', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 3);
    expect(await verify(db.prisma)).toMatchObject({ ok: true, count: 3, checkedFromSeq: 1 });
    await appendMany(db.prisma, 3);
    await behindTheTriggersBack(db.prisma, `UPDATE audit_event SET data_canonical = replace(data_canonical, '"policyVersion":1', '"policyVersion":2') WHERE seq = 5`);
    expect(await verify(db.prisma)).toMatchObject({ ok: false, count: 6, firstBrokenSeq: 5, checkpointSeq: 3 });
    await behindTheTriggersBack(db.prisma, `UPDATE audit_event SET data_canonical = replace(data_canonical, '"policyVersion":1', '"policyVersion":2') WHERE seq = 2`);
    expect(await runFullAuditVerification(db.prisma, { everyMs: 0 })).toMatchObject({ outcome: 'broken', firstBrokenSeq: 2n });
    expect(await verify(db.prisma)).toMatchObject({ ok: false, firstBrokenSeq: 2 });
  });

  test('a second call reads only the new events; an edit before the checkpoint shows only in the full run, and stays', async () => {
    db = await databases.open(kind);
    expect(await verify(db.prisma)).toMatchObject({ ok: true, count: 0, headHash: null, checkedFromSeq: 1, checkedCount: 0, lastFullVerification: null });
    expect(await checkpoints(db.prisma)).toEqual([]);

    await appendMany(db.prisma, 5);
    const first = await verify(db.prisma, 2);
    expect(first).toMatchObject({ ok: true, count: 5, checkedFromSeq: 1, checkedCount: 5 });
    expect(first.checkpointSeq).toBeUndefined();
    const head5 = await db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: 5n } });
    expect(await checkpoints(db.prisma)).toEqual([{ seq: 5n, hash: head5.hash, kind: 'incremental' }]);

    await appendMany(db.prisma, 3);
    await behindTheTriggersBack(db.prisma, `UPDATE audit_event SET data = jsonb_set(data, '{reason}', '"edited"') WHERE seq = 2`);
    const second = await verify(db.prisma, 2);
    // Seq 2 lies before the checkpoint: this call did not read it, so it cannot see the edit.
    expect(second).toMatchObject({ ok: true, count: 8, checkedFromSeq: 6, checkedCount: 3, checkpointSeq: 5 });
    expect(second.firstBrokenSeq).toBeUndefined();

    const run = await runFullAuditVerification(db.prisma, { everyMs: 0, pageSize: 3 });
    expect(run).toMatchObject({ outcome: 'broken', firstBrokenSeq: 2n, total: 8n, done: 8n });
    expect((await checkpoints(db.prisma)).filter((c) => c.kind === 'full')).toEqual([]);

    await appendMany(db.prisma, 2);
    const third = await verify(db.prisma);
    expect(third).toMatchObject({ ok: false, firstBrokenSeq: 2, count: 10, checkedFromSeq: 9, checkedCount: 2 });
    expect(third.lastFullVerification).toMatchObject({ outcome: 'broken', firstBrokenSeq: 2, total: 8, done: 8 });
    // Restoring the event does not clear the verdict: a full run found the break once.
    await behindTheTriggersBack(db.prisma, `UPDATE audit_event SET data = jsonb_set(data, '{reason}', '"reason 2"') WHERE seq = 2`);
    expect(await runFullAuditVerification(db.prisma, { everyMs: 0 })).toMatchObject({ outcome: 'passed' });
    expect(await verify(db.prisma)).toMatchObject({ ok: false, firstBrokenSeq: 2, lastFullVerification: { outcome: 'passed' } });
  });

  test('a break after the checkpoint is found at its seq, and no checkpoint moves past it', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 4);
    await verify(db.prisma);
    await appendMany(db.prisma, 4);
    await behindTheTriggersBack(db.prisma, "UPDATE audit_event SET actor_id = 'someone-else' WHERE seq = 6");
    for (const pageSize of [1, 3, 100]) {
      expect(await verify(db.prisma, pageSize)).toMatchObject({ ok: false, count: 8, firstBrokenSeq: 6, checkedFromSeq: 5, checkedCount: 4, checkpointSeq: 4 });
    }
    expect((await checkpoints(db.prisma)).map((c) => c.seq)).toEqual([4n]);
  });

  test('a checkpoint whose event no longer carries its hash, a cut-off tail, or a deleted earlier event is a broken chain', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 3);
    await verify(db.prisma);
    await db.prisma.$executeRawUnsafe(`UPDATE audit_checkpoint SET hash = '${'a'.repeat(64)}'`);
    expect(await verify(db.prisma)).toMatchObject({ ok: false, count: 3, firstBrokenSeq: 3, checkedCount: 0 });
    expect(await storeAuditCheckpoint(db.prisma, { seq: 3n, hash: 'b'.repeat(64) }, 'incremental')).toBe(false);

    await db.prisma.auditCheckpoint.deleteMany({});
    await verify(db.prisma);
    await behindTheTriggersBack(db.prisma, 'DELETE FROM audit_event WHERE seq = 3');
    expect(await verify(db.prisma)).toMatchObject({ ok: false, count: 2, firstBrokenSeq: 3 });

    await db.prisma.auditCheckpoint.deleteMany({});
    await appendMany(db.prisma, 3);
    await behindTheTriggersBack(db.prisma, 'DELETE FROM audit_event WHERE seq >= 3');
    // A clean cut moves the chain's head row back too; else the next append leaves a gap at 3.
    await db.prisma.$executeRawUnsafe(
      'UPDATE audit_head SET seq = e.seq, at = e.at, prev_hash = e.prev_hash, hash = e.hash FROM (SELECT * FROM audit_event ORDER BY seq DESC LIMIT 1) AS e',
    );
    await appendMany(db.prisma, 3);
    await verify(db.prisma);
    // An event before the checkpoint removed: the row count no longer matches the head.
    await behindTheTriggersBack(db.prisma, 'DELETE FROM audit_event WHERE seq = 2');
    expect(await verify(db.prisma)).toMatchObject({ ok: false, count: 4, firstBrokenSeq: 2, checkedCount: 0 });
  });

  test('the full run records its progress, runs once at a time, is taken over when stale, and its pass is a checkpoint', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 5);
    const t0 = new Date('2030-01-01T00:00:00.000Z');

    // A run stopped after two pages of two: its progress stays as recorded.
    const stop = new AbortController();
    let ticks = 0;
    const clock = () => {
      ticks += 1;
      if (ticks === 3) stop.abort();
      return new Date(t0.getTime() + ticks * 1000);
    };
    expect(await runFullAuditVerification(db.prisma, { everyMs: 0, pageSize: 2, now: clock, signal: stop.signal })).toBeNull();
    expect(await verify(db.prisma)).toMatchObject({
      ok: true,
      lastFullVerification: { outcome: 'interrupted', total: 5, done: 4, startedAt: '2030-01-01T00:00:01.000Z' },
      runningFullVerification: null,
    });

    // A live run shows its progress and keeps others out until its heartbeat is stale.
    const claimed = await claimFullAuditVerification(db.prisma, { everyMs: 0, now: () => t0 });
    expect(claimed).toMatchObject({ outcome: 'running', total: 5n, done: 0n });
    expect(await verify(db.prisma)).toMatchObject({ runningFullVerification: { total: 5, done: 0, startedAt: t0.toISOString() } });
    expect(await runFullAuditVerification(db.prisma, { everyMs: 0, now: () => new Date(t0.getTime() + FULL_VERIFICATION_STALE_MS - 1) })).toBeNull();
    const later = new Date(t0.getTime() + FULL_VERIFICATION_STALE_MS + 1);
    const run = await runFullAuditVerification(db.prisma, { everyMs: 0, now: () => later });
    expect(run).toMatchObject({ outcome: 'passed', total: 5n, done: 5n });
    expect(await db.prisma.auditFullVerification.findUniqueOrThrow({ where: { id: claimed?.id ?? 0n } })).toMatchObject({ outcome: 'interrupted' });

    // Not due again within the interval; the pass is the checkpoint the next call starts from.
    expect(await runFullAuditVerification(db.prisma, { everyMs: 60_000, now: () => new Date(later.getTime() + 59_000) })).toBeNull();
    const head = await db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: 5n } });
    expect((await checkpoints(db.prisma)).filter((c) => c.kind === 'full')).toEqual([{ seq: 5n, hash: head.hash, kind: 'full' }]);
    await appendMany(db.prisma, 1);
    expect(await verify(db.prisma)).toMatchObject({
      ok: true,
      count: 6,
      checkedFromSeq: 6,
      checkedCount: 1,
      checkpointSeq: 5,
      lastFullVerification: { outcome: 'passed', total: 5, done: 5, finishedAt: later.toISOString() },
      runningFullVerification: null,
    });
  });

  test('concurrent calls, appends and full runs leave only checkpoints that match their events', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 6);
    const prisma = db.prisma;
    const results = await Promise.all([
      ...Array.from({ length: 6 }, () => verifyAuditChainIncrementally(prisma, { pageSize: 2 })),
      ...Array.from({ length: 6 }, (_, n) => prisma.$transaction((tx) => appendAuditEvent(tx, denied(100 + n)))),
      ...Array.from({ length: 3 }, () => runFullAuditVerification(prisma, { everyMs: 0, pageSize: 2 })),
    ]);
    expect(results.slice(0, 6).every((r) => r !== null && 'ok' in r && r.ok)).toBe(true);
    expect(results.slice(12).filter((r) => r !== null)).toHaveLength(1);
    const mismatched = await prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*)::bigint AS n FROM audit_checkpoint c LEFT JOIN audit_event e ON e.seq = c.seq AND e.hash = c.hash WHERE e.seq IS NULL`;
    expect(mismatched[0]?.n).toBe(0n);
    expect((await checkpoints(prisma)).length).toBeGreaterThan(0);
    const after = await verify(prisma);
    expect(after).toMatchObject({ ok: true, count: 12 });
    expect(after).not.toHaveProperty('firstBrokenSeq');
  });
});
