/**
 * The cap on one requester's requests waiting for approval, through the real `requestTap` against
 * the local tenant and a migrated database: the refusal (429, audited, nothing stored), who it
 * does not touch, a decision freeing a slot, and parallel requests at the cap — on PGlite and on
 * PostgreSQL, where connections really run in parallel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { approveTapRequest } from '@/lib/broker/approve-tap-request';
import { getPendingCapDecision } from '@/lib/broker/pending-cap';
import { requestTap } from '@/lib/broker/request-tap';
import { BrokerError } from '@/lib/core/errors';
import type { PrismaClient } from '@/lib/db/generated/client';
import { DB_KINDS, useTestDatabases } from '@/lib/testing/audit';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';
import { actorsFor, capturingContext, graphRoundTrips, lifecycleSeed, storePolicy } from '@/lib/testing/tap-requests';

let local: LocalTenant;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();
const JUSTIFICATION = 'Lost phone, needs to register a new authenticator';

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeed());
  actor = actorsFor(local);
});

afterAll(async () => {
  await local?.close();
});

async function request(db: PrismaClient, requester: string, target: string) {
  return requestTap(await actor(requester), { targetUserId: local.userId(target), justification: JUSTIFICATION }, capture.ctx(), { db });
}

/** The refusal `request` threw, or a failure saying it did not throw one. */
async function refusal(db: PrismaClient, requester: string, target: string): Promise<BrokerError> {
  const error = await request(db, requester, target).then(
    () => new Error('the request was stored'),
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof BrokerError)) throw error;
  return error;
}

async function pendingOf(db: PrismaClient, requester: string): Promise<number> {
  return db.tapRequest.count({ where: { requesterId: (await actor(requester)).id, status: 'pending_approval' } });
}

async function refusedEvents(db: PrismaClient, requester: string) {
  return db.auditEvent.findMany({ where: { type: 'tap_request.refused', actorId: (await actor(requester)).id }, orderBy: { seq: 'asc' } });
}

describe('getPendingCapDecision', () => {
  it('lets one more wait while fewer than the limit do, and names both figures when not', () => {
    expect(getPendingCapDecision(0, 1)).toEqual({ ok: true, waiting: 0 });
    expect(getPendingCapDecision(9, 10)).toEqual({ ok: true, waiting: 9 });
    expect(getPendingCapDecision(10, 10)).toEqual({ ok: false, code: 'too-many-pending', waiting: 10, limit: 10 });
    // A cap lowered below what already waits: still refused, with the true count.
    expect(getPendingCapDecision(7, 3)).toEqual({ ok: false, code: 'too-many-pending', waiting: 7, limit: 3 });
  });
});

describe('the pending cap on one database', () => {
  let testDb: TestDb;
  let db: PrismaClient;

  beforeAll(async () => {
    testDb = await createTestDb({ kind: 'pglite' });
    db = testDb.prisma;
  });

  afterAll(async () => {
    await testDb?.close();
  });

  it('"always": at the cap, refused with 429 before Graph is asked, audited, nothing stored; other requesters are not touched', async () => {
    await storePolicy(db, { requireApproval: 'always', maxPendingRequestsPerRequester: 2, maxIssuancesPerManagerPerDay: 1000 });
    const policyVersion = (await db.policyVersion.findFirstOrThrow({ orderBy: { version: 'desc' } })).version;
    expect((await request(db, 'mgr', 'report')).status).toBe('pending_approval');
    expect((await request(db, 'mgr', 'report2')).status).toBe('pending_approval');

    const rowsBefore = await db.tapRequest.count();
    const graphBefore = graphRoundTrips(local);
    const error = await refusal(db, 'mgr', 'report3');
    expect(graphRoundTrips(local)).toBe(graphBefore);
    expect(error).toMatchObject({ code: 'rate-limited', status: 429, retryAfterSeconds: undefined, reasons: undefined });
    expect(error.detail).toBe('You already have 2 requests waiting for approval, the most the policy allows; wait until an approver decides one.');
    expect(await db.tapRequest.count()).toBe(rowsBefore);
    expect(await pendingOf(db, 'mgr')).toBe(2);

    const events = await refusedEvents(db, 'mgr');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ targetId: local.userId('report3'), requestId: null });
    expect(events[0]?.data).toEqual({
      stage: 'create',
      code: 'rate-limited',
      reasons: ['too-many-pending'],
      details: { waiting: 2, limit: 2 },
      policyVersion,
      context: expect.any(Object),
    });

    // Per requester: another manager's requests still wait, up to their own cap.
    expect((await request(db, 'approvermgr', 'approverreport')).status).toBe('pending_approval');
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it('a decision frees a slot: the next request waits again', async () => {
    await storePolicy(db, { requireApproval: 'always', maxPendingRequestsPerRequester: 2 });
    expect(await pendingOf(db, 'mgr')).toBe(2);
    const [oldest] = await db.tapRequest.findMany({ where: { requesterId: (await actor('mgr')).id, status: 'pending_approval' }, orderBy: { createdAt: 'asc' } });
    await approveTapRequest(await actor('approver'), { id: oldest!.id }, capture.ctx(), { db });
    expect((await request(db, 'mgr', 'report3')).status).toBe('pending_approval');
    expect((await refusal(db, 'mgr', 'report4')).code).toBe('rate-limited');
  });

  it('"indirect-only": a direct report, approved at once, is never held to the cap; a deep one is refused after Graph with the chain as evidence', async () => {
    await storePolicy(db, { requireApproval: 'indirect_only', maxPendingRequestsPerRequester: 2 });
    const mgr = await actor('mgr');
    expect(await pendingOf(db, 'mgr')).toBe(2);

    const direct = await request(db, 'mgr', 'report4');
    expect(direct).toMatchObject({ status: 'approved', decidedBy: 'system', depth: 1 });

    const rowsBefore = await db.tapRequest.count();
    const eventsBefore = (await refusedEvents(db, 'mgr')).length;
    const graphBefore = graphRoundTrips(local);
    const error = await refusal(db, 'mgr', 'deep');
    // Whether it would wait is known only from the depth Graph reports.
    expect(graphRoundTrips(local) - graphBefore).toBe(1);
    expect(error).toMatchObject({ code: 'rate-limited', status: 429, retryAfterSeconds: undefined });
    expect(await db.tapRequest.count()).toBe(rowsBefore);
    const events = await refusedEvents(db, 'mgr');
    expect(events).toHaveLength(eventsBefore + 1);
    expect(events.at(-1)).toMatchObject({ targetId: local.userId('deep'), requestId: null });
    expect(events.at(-1)?.data).toMatchObject({
      stage: 'create',
      code: 'rate-limited',
      reasons: ['too-many-pending'],
      details: { waiting: 2, limit: 2 },
      chain: [local.userId('report'), mgr.id],
      depth: 2,
    });
  });

  it('"never": nothing waits, so the cap never refuses', async () => {
    await storePolicy(db, { requireApproval: 'never', maxPendingRequestsPerRequester: 1 });
    expect(await pendingOf(db, 'mgr')).toBe(2);
    expect(await request(db, 'mgr', 'deep')).toMatchObject({ status: 'approved', depth: 2 });
    expect(await pendingOf(db, 'mgr')).toBe(2);
  });
});

describe('parallel requests at the cap', () => {
  const databases = useTestDatabases();

  describe.each(DB_KINDS)('on %s', (kind) => {
    let testDb: TestDb;
    beforeAll(async () => {
      testDb = await databases.open(kind);
    });
    afterAll(async () => {
      await testDb?.close();
    });

    it('8 parallel requests with 1 waiting and a cap of 3: exactly 2 more wait, the other 6 are refused and audited', async () => {
      const db = testDb.prisma;
      // "indirect-only" and deep targets: the pre-check before Graph does not run, so only the
      // check in the insert's transaction stands between the parallel requests and the cap.
      await storePolicy(db, { requireApproval: 'indirect_only', maxPendingRequestsPerRequester: 3, maxIssuancesPerManagerPerDay: 1000 });
      expect((await request(db, 'mgr', 'deep')).status).toBe('pending_approval');
      const mgr = await actor('mgr');

      const results = await Promise.allSettled(Array.from({ length: 8 }, () => request(db, 'mgr', 'deep')));
      const stored = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(stored).toHaveLength(2);
      for (const request of stored) expect(request.status).toBe('pending_approval');
      expect(refused).toHaveLength(6);
      for (const error of refused) expect(error).toMatchObject({ code: 'rate-limited', status: 429 });

      expect(await db.tapRequest.count({ where: { requesterId: mgr.id } })).toBe(3);
      expect(await pendingOf(db, 'mgr')).toBe(3);
      const events = await refusedEvents(db, 'mgr');
      expect(events).toHaveLength(6);
      for (const event of events) expect(event.data).toMatchObject({ reasons: ['too-many-pending'], details: { waiting: 3, limit: 3 } });
      expect(await db.auditEvent.count({ where: { type: 'tap_request.created', actorId: mgr.id } })).toBe(3);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
    });
  });
});
