/**
 * The approver's queue re-judged now: real requests in a migrated database, the local tenant's
 * Graph, and directory changes made after the requests were filed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePendingRequests } from '@/lib/broker/evaluate-pending-requests';
import { requestTap } from '@/lib/broker/request-tap';
import { actorsFor, capturingContext, graphRoundTrips, lifecycleSeed, moveUser, storePolicy } from '@/lib/testing/tap-requests';
import type { PrismaClient } from '@/lib/db/generated/client';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';
import { updateUser } from '@/tenant/directory';

let local: LocalTenant;
let testDb: TestDb;
let db: PrismaClient;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeed());
  testDb = await createTestDb();
  db = testDb.prisma;
  actor = actorsFor(local);
  // Every request waits for an approver, so the queue has direct reports in it too.
  await storePolicy(db, { requireApproval: 'always' });
});

afterAll(async () => {
  await testDb?.close();
  await local?.close();
});

async function request(requester: string, target: string): Promise<string> {
  const created = await requestTap(
    await actor(requester),
    { targetUserId: local.userId(target), justification: 'Lost phone, needs to register a new authenticator' },
    capture.ctx(),
    { db },
  );
  expect(created.status).toBe('pending_approval');
  return created.id;
}

describe('evaluatePendingRequests', () => {
  it('re-judges every pending request against Graph now, in one batched round, and changes nothing', async () => {
    const stillFine = await request('mgr', 'report');
    const deepOk = await request('mgr', 'deep');
    const movedAway = await request('mgr', 'report2');
    const disabledSince = await request('mgr', 'report3');
    await moveUser(local, 'report2', 'other');
    updateUser(local.tenant.ctx.directory, local.userId('report3'), { accountEnabled: false });
    try {
      const rowsBefore = await db.tapRequest.findMany({ orderBy: { id: 'asc' } });
      const eventsBefore = await db.auditEvent.count();
      const before = graphRoundTrips(local);
      const { evaluations } = await evaluatePendingRequests(await actor('approver'), capture.ctx(), { db });
      // 4 targets × 6 reads + 3 shared (TAP policy, portal app roles, owners of role-assignable
      // groups) = 27 items: two $batch requests, in flight together (one round).
      expect(graphRoundTrips(local) - before).toBe(2);
      const byId = new Map(evaluations.map((e) => [e.requestId, e]));
      expect(byId.get(stillFine)).toEqual({ requestId: stillFine, approvable: true, code: null, reasons: [], depth: 1 });
      expect(byId.get(deepOk)).toEqual({ requestId: deepOk, approvable: true, code: null, reasons: [], depth: 2 });
      expect(byId.get(movedAway)).toEqual({ requestId: movedAway, approvable: false, code: 'not-in-reporting-chain', reasons: [], depth: null });
      expect(byId.get(disabledSince)).toEqual({ requestId: disabledSince, approvable: false, code: 'target-ineligible', reasons: ['account-disabled'], depth: 1 });
      // Informational only: nothing stored, nothing audited.
      expect(await db.tapRequest.findMany({ orderBy: { id: 'asc' } })).toEqual(rowsBefore);
      expect(await db.auditEvent.count()).toBe(eventsBefore);
    } finally {
      await moveUser(local, 'report2', 'mgr');
      updateUser(local.tenant.ctx.directory, local.userId('report3'), { accountEnabled: true });
    }
  });

  it('is for approvers only', async () => {
    await expect(evaluatePendingRequests(await actor('mgr'), capture.ctx(), { db })).rejects.toMatchObject({ code: 'forbidden', status: 403 });
    await expect(evaluatePendingRequests(await actor('auditor'), capture.ctx(), { db })).rejects.toMatchObject({ code: 'forbidden' });
  });
});
