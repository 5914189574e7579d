/**
 * A person's pass state across requests: the team list's `currentRequest`, a second issuance
 * that replaces our own earlier pass (recorded on both requests, never contradicted by the
 * tracking job), and withdrawing a request before it is issued (including its races). Real use
 * cases against the local tenant and a fresh migrated database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { approveTapRequest } from '@/lib/broker/approve-tap-request';
import { getPassStatuses } from '@/lib/broker/get-pass-status';
import { getTapRequest } from '@/lib/broker/get-tap-request';
import { issueTap } from '@/lib/broker/issue-tap';
import { listReportees } from '@/lib/broker/list-reportees';
import { listTapRequests } from '@/lib/broker/list-tap-requests';
import { countPendingRequests } from '@/lib/broker/pending-cap';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { recordPassOutcomes } from '@/lib/broker/record-pass-outcomes';
import { requestTap } from '@/lib/broker/request-tap';
import { revokeTap } from '@/lib/broker/revoke-tap';
import { withdrawTapRequest } from '@/lib/broker/withdraw-tap-request';
import { actorsFor, auditTypesFor, capturingContext, graphTapMethods, lifecycleSeed, storePolicy } from '@/lib/testing/tap-requests';
import type { PrismaClient } from '@/lib/db/generated/client';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';

let local: LocalTenant;
let testDb: TestDb;
let db: PrismaClient;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();
const JUSTIFICATION = 'Lost phone, needs to register a new authenticator';

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeed());
  testDb = await createTestDb();
  db = testDb.prisma;
  actor = actorsFor(local);
  await storePolicy(db, { maxIssuancesPerManagerPerDay: 1000 });
});

afterAll(async () => {
  await testDb?.close();
  await local?.close();
});

async function request(requester: string, target: string) {
  return requestTap(await actor(requester), { targetUserId: local.userId(target), justification: JUSTIFICATION }, capture.ctx(), { db });
}

async function issue(requester: string, id: string) {
  return issueTap(await actor(requester), { id }, capture.ctx(), { db });
}

async function eventData(requestId: string, type: string): Promise<Record<string, unknown>> {
  const event = await db.auditEvent.findFirstOrThrow({ where: { requestId, type } });
  return event.data as Record<string, unknown>;
}

describe('currentRequest on the team list', () => {
  async function currentOf(caller: string, target: string, now?: Date) {
    const list = await listReportees(await actor(caller), { db, policy: await getCurrentPolicy(db), useMirror: false, ...(now ? { now } : {}) });
    const person = list.reportees.find((p) => p.id === local.userId(target));
    expect(person).toBeDefined();
    return person?.currentRequest;
  }

  it('shows the newest open request or live pass, for the caller and for a manager above, and nothing once it is over', async () => {
    expect(await currentOf('mgr', 'report4')).toBeUndefined();

    const pending = await request('mgr', 'deep'); // indirect: waits for an approver
    expect(await currentOf('mgr', 'deep')).toEqual({ requestId: pending.id, status: 'pending_approval', isUsableOnce: true, requestedByCaller: true });
    expect(await currentOf('ceo', 'deep')).toMatchObject({ requestId: pending.id, requestedByCaller: false });

    const created = await request('mgr', 'report4');
    expect(await currentOf('mgr', 'report4')).toMatchObject({ requestId: created.id, status: 'approved' });
    const issued = await issue('mgr', created.id);
    expect(await currentOf('mgr', 'report4')).toEqual({
      requestId: created.id,
      status: 'issued',
      expiresDateTime: issued.expiresDateTime,
      isUsableOnce: true,
      requestedByCaller: true,
    });
    // Past its expiry the pass is not live, whatever the job has recorded.
    expect(await currentOf('mgr', 'report4', new Date(Date.parse(issued.expiresDateTime) + 1000))).toBeUndefined();

    await revokeTap(await actor('mgr'), { id: created.id }, capture.ctx(), { db });
    expect(await currentOf('mgr', 'report4')).toBeUndefined();
    await withdrawTapRequest(await actor('mgr'), { id: pending.id }, capture.ctx(), { db });
    expect(await currentOf('mgr', 'deep')).toBeUndefined();
  });
});

describe('a second pass for the same person', () => {
  it('marks our earlier request replaced by the new one, in the same transaction as the issuance, and the tracking job does not contradict it', async () => {
    const first = await request('mgr', 'report3');
    const firstPass = await issue('mgr', first.id);
    const second = await request('mgr', 'report3');
    const secondPass = await issue('mgr', second.id);
    expect((await graphTapMethods(local, local.userId('report3'))).map((m) => m.id)).toEqual([secondPass.methodId]);

    const mgr = await actor('mgr');
    const old = await getTapRequest(mgr, { id: first.id }, { db });
    expect(old).toMatchObject({ status: 'issued', passOutcome: 'replaced', replacedByRequestId: second.id, replacedAt: expect.any(String) });
    expect(await auditTypesFor(db, first.id)).toEqual(['tap_request.created', 'tap_request.approved', 'tap.issue_started', 'tap.issued', 'tap.replaced']);
    expect(await eventData(first.id, 'tap.replaced')).toMatchObject({ methodId: firstPass.methodId, replacedByRequestId: second.id, previousOutcome: null });
    expect(await eventData(second.id, 'tap.issued')).toMatchObject({ replacedMethodId: firstPass.methodId, replacedRequestId: first.id });
    // Both events share the issuance's transaction: the replacement is recorded right before it.
    const [replaced, issuedEvent] = await Promise.all([
      db.auditEvent.findFirstOrThrow({ where: { requestId: first.id, type: 'tap.replaced' } }),
      db.auditEvent.findFirstOrThrow({ where: { requestId: second.id, type: 'tap.issued' } }),
    ]);
    expect(issuedEvent.seq).toBe(replaced.seq + BigInt(1));

    // The tracking job sees the first method gone, but its story is told: nothing more is recorded.
    await recordPassOutcomes(capture.ctx(), { db });
    expect(await auditTypesFor(db, first.id)).not.toContain('tap.outcome_observed');
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: first.id } })).toMatchObject({ passOutcome: 'replaced', replacedByRequestId: second.id });

    const statuses = await getPassStatuses(mgr, { scope: 'mine' }, capture.ctx(), { db });
    expect(statuses.statuses.find((s) => s.requestId === first.id)).toMatchObject({ state: 'replaced', revocable: false });
    expect(statuses.statuses.find((s) => s.requestId === second.id)).toMatchObject({ state: 'usable', revocable: true });
    await revokeTap(mgr, { id: second.id }, capture.ctx(), { db });
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it('the tracking job records a replacement the issuance did not (a pass issued before this release) as replaced, not removed', async () => {
    const first = await request('mgr', 'report2');
    const firstPass = await issue('mgr', first.id);
    const second = await request('mgr', 'report2');
    await issue('mgr', second.id);
    // As a row issued before replacements were recorded reads: no outcome yet, no event.
    await db.tapRequest.update({ where: { id: first.id }, data: { passOutcome: null, passOutcomeAt: null, replacedByRequestId: null } });

    await recordPassOutcomes(capture.ctx(), { db });
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: first.id } })).toMatchObject({ passOutcome: 'replaced', replacedByRequestId: second.id });
    const events = await db.auditEvent.findMany({ where: { requestId: first.id, type: { in: ['tap.replaced', 'tap.outcome_observed'] } }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => [e.type, e.actorId])).toEqual([
      ['tap.replaced', expect.any(String)],
      ['tap.replaced', 'system'],
    ]);
    expect(events[1]?.data).toMatchObject({ methodId: firstPass.methodId, replacedByRequestId: second.id });
    await revokeTap(await actor('mgr'), { id: second.id }, capture.ctx(), { db });
  });
});

describe('withdraw', () => {
  it('the requester withdraws a pending request: it leaves the queue and the pending cap; nobody else may, and it is final', async () => {
    const mgr = await actor('mgr');
    const pending = await request('mgr', 'deep');
    const waitingBefore = await countPendingRequests(db, mgr.id);
    const approver = await actor('approver');
    expect((await listTapRequests(approver, { scope: 'pending' }, { db })).requests.map((r) => r.id)).toContain(pending.id);

    await expect(withdrawTapRequest(approver, { id: pending.id }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(withdrawTapRequest(await actor('ceo'), { id: pending.id }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(withdrawTapRequest(await actor('outsider'), { id: pending.id }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'not-found' });
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: pending.id } })).toMatchObject({ status: 'pending_approval' });

    const withdrawn = await withdrawTapRequest(mgr, { id: pending.id, reason: '  Found the old phone  ' }, capture.ctx(), { db });
    expect(withdrawn).toMatchObject({ status: 'withdrawn', withdrawnAt: expect.any(String), withdrawReason: 'Found the old phone' });
    expect(await countPendingRequests(db, mgr.id)).toBe(waitingBefore - 1);
    expect((await listTapRequests(approver, { scope: 'pending' }, { db })).requests.map((r) => r.id)).not.toContain(pending.id);
    expect(await eventData(pending.id, 'tap_request.withdrawn')).toMatchObject({ previousStatus: 'pending_approval', reason: 'Found the old phone' });

    await expect(withdrawTapRequest(mgr, { id: pending.id }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'conflict' });
    await expect(approveTapRequest(approver, { id: pending.id }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'conflict' });
    expect(await auditTypesFor(db, pending.id)).toEqual(['tap_request.created', 'tap_request.withdrawn']);
  });

  it('an approved request can be withdrawn and then not issued; an issued one cannot be withdrawn (revoke it instead)', async () => {
    const mgr = await actor('mgr');
    const approved = await request('mgr', 'report');
    expect(approved.status).toBe('approved');
    const withdrawn = await withdrawTapRequest(mgr, { id: approved.id }, capture.ctx(), { db });
    expect(withdrawn).toMatchObject({ status: 'withdrawn' });
    expect(withdrawn.withdrawReason).toBeUndefined();
    await expect(issue('mgr', approved.id)).rejects.toMatchObject({ code: 'conflict' });
    expect(await graphTapMethods(local, local.userId('report'))).toEqual([]);

    const issuedRequest = await request('mgr', 'report');
    await issue('mgr', issuedRequest.id);
    await expect(withdrawTapRequest(mgr, { id: issuedRequest.id }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'conflict' });
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: issuedRequest.id } })).toMatchObject({ status: 'issued' });
    await revokeTap(mgr, { id: issuedRequest.id }, capture.ctx(), { db });
  });

  it('racing an approval or an issuance, exactly one wins and the trail tells only its story', async () => {
    const mgr = await actor('mgr');
    const approver = await actor('approver');
    const pending = await request('mgr', 'deep');
    const [withdrawal, approval] = await Promise.allSettled([
      withdrawTapRequest(mgr, { id: pending.id }, capture.ctx(), { db }),
      approveTapRequest(approver, { id: pending.id }, capture.ctx(), { db }),
    ]);
    const row = await db.tapRequest.findUniqueOrThrow({ where: { id: pending.id } });
    const types = await auditTypesFor(db, pending.id);
    expect([withdrawal.status, approval.status]).not.toEqual(['rejected', 'rejected']);
    if (approval.status === 'rejected') {
      // Withdrawn first: the approval's conditional update found nothing to approve.
      expect(approval.reason).toMatchObject({ code: 'conflict' });
      expect(row.status).toBe('withdrawn');
      expect(types).toEqual(['tap_request.created', 'tap_request.withdrawn']);
    } else if (withdrawal.status === 'rejected') {
      // Approved between the withdrawal's read and its update.
      expect(withdrawal.reason).toMatchObject({ code: 'conflict' });
      expect(row.status).toBe('approved');
      expect(types).toEqual(['tap_request.created', 'tap_request.approved']);
    } else {
      // Approved, then withdrawn from `approved`: both happened, in that order.
      expect(row.status).toBe('withdrawn');
      expect(types).toEqual(['tap_request.created', 'tap_request.approved', 'tap_request.withdrawn']);
      expect(await eventData(pending.id, 'tap_request.withdrawn')).toMatchObject({ previousStatus: 'approved' });
    }

    const approved = await request('mgr', 'report');
    const [withdrawal2, issuance] = await Promise.allSettled([
      withdrawTapRequest(mgr, { id: approved.id }, capture.ctx(), { db }),
      issue('mgr', approved.id),
    ]);
    expect([withdrawal2.status, issuance.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
    const row2 = await db.tapRequest.findUniqueOrThrow({ where: { id: approved.id } });
    const methods = await graphTapMethods(local, local.userId('report'));
    if (withdrawal2.status === 'fulfilled') {
      expect(row2.status).toBe('withdrawn');
      expect(methods).toEqual([]);
    } else {
      expect(row2.status).toBe('issued');
      expect(methods.map((m) => m.id)).toEqual([row2.methodId]);
      await revokeTap(mgr, { id: approved.id }, capture.ctx(), { db });
    }
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });
});
