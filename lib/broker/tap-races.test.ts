/**
 * Races, on PGlite and on PostgreSQL (where connections really run in parallel): many parallel
 * issue calls give one pass, parallel approvals one decision, and parallel issues by one manager
 * cannot overrun the quota.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, useTestDatabases } from '@/lib/testing/audit';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { approveTapRequest } from '@/lib/broker/approve-tap-request';
import { issueTap } from '@/lib/broker/issue-tap';
import { requestTap } from '@/lib/broker/request-tap';
import { actorsFor, auditTypesFor, capturingContext, graphTapMethods, lifecycleSeed, storePolicy, tapCreates } from '@/lib/testing/tap-requests';
import type { TestDb } from '@/lib/testing/db';
import { startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';

let local: LocalTenant;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();
const JUSTIFICATION = 'Replacement phone, needs to enrol again';

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeed());
  actor = actorsFor(local);
});

afterAll(async () => {
  await local?.close();
});

describe('request-lifecycle races', () => {
  const databases = useTestDatabases();

  describe.each(DB_KINDS)('on %s', (kind) => {
    let testDb: TestDb;
    beforeAll(async () => {
      testDb = await databases.open(kind);
    });
    afterAll(async () => {
      await testDb?.close();
    });

    it('8 parallel issue calls: exactly one pass (one create in Graph), the other seven 409', async () => {
      const db = testDb.prisma;
      const mgr = await actor('mgr');
      const created = await requestTap(mgr, { targetUserId: local.userId('report'), justification: JUSTIFICATION }, capture.ctx(), { db });
      const creates = tapCreates(local);
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => issueTap(mgr, { id: created.id }, capture.ctx(), { db })));
      const fulfilled = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(7);
      for (const error of rejected) expect(error).toMatchObject({ code: 'conflict', status: 409 });
      expect(tapCreates(local) - creates).toBe(1);
      expect((await graphTapMethods(local, local.userId('report'))).map((m) => m.id)).toEqual([fulfilled[0]?.methodId]);
      expect(await auditTypesFor(db, created.id)).toEqual(['tap_request.created', 'tap_request.approved', 'tap.issue_started', 'tap.issued']);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
    });

    it('5 parallel approvals: one decision, the other four 409', async () => {
      const db = testDb.prisma;
      const created = await requestTap(await actor('mgr'), { targetUserId: local.userId('deep'), justification: JUSTIFICATION }, capture.ctx(), { db });
      expect(created.status).toBe('pending_approval');
      const approvers = await Promise.all(['approver', 'approver2', 'ceo', 'approvermgr', 'approver'].map((name) => actor(name)));
      const results = await Promise.allSettled(approvers.map((a) => approveTapRequest(a, { id: created.id }, capture.ctx(), { db })));
      const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'conflict' });
      const row = await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } });
      expect(row).toMatchObject({ status: 'approved', decidedBy: winners[0]?.decidedBy });
      expect(await auditTypesFor(db, created.id)).toEqual(['tap_request.created', 'tap_request.approved']);
    });

    it('one manager issuing several requests at once cannot overrun a quota of 2', async () => {
      const db = testDb.prisma;
      await storePolicy(db, { maxIssuancesPerManagerPerDay: 2 });
      const mgr = await actor('approvermgr');
      const requests = [];
      for (const target of ['approverreport', 'approverreport', 'approverreport', 'approverreport']) {
        requests.push(await requestTap(mgr, { targetUserId: local.userId(target), justification: JUSTIFICATION }, capture.ctx(), { db }));
      }
      const results = await Promise.allSettled(requests.map((r) => issueTap(mgr, { id: r.id }, capture.ctx(), { db })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'rate-limited', status: 429 });
      expect(await db.tapRequest.count({ where: { requesterId: mgr.id, status: 'issued' } })).toBe(2);
      expect(await db.auditEvent.count({ where: { actorId: mgr.id, type: 'tap_request.refused' } })).toBe(2);
    });
  });
});
