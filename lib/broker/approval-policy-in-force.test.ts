/**
 * Decisions follow the policy in force: an automatic approval stands only while the current
 * policy would still give it. Real use cases against the local tenant and a fresh migrated
 * database per test (PGlite, or PostgreSQL with TEST_DATABASE_URL); every outcome re-read from
 * the database, Graph and the audit trail.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { approveTapRequest } from '@/lib/broker/approve-tap-request';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { issueTap } from '@/lib/broker/issue-tap';
import { requestTap } from '@/lib/broker/request-tap';
import {
  actorsFor,
  auditTypesFor,
  capturingContext,
  graphRoundTrips,
  graphTapMethods,
  lifecycleSeed,
  moveUser,
  storePolicy,
  tapCreates,
} from '@/lib/testing/tap-requests';
import { updatePolicy } from '@/lib/broker/update-policy';
import type { PrismaClient, TapRequest } from '@/lib/db/generated/client';
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
  actor = actorsFor(local);
});

beforeEach(async () => {
  testDb = await createTestDb();
  db = testDb.prisma;
  await storePolicy(db, { maxIssuancesPerManagerPerDay: 1000 });
});

afterEach(async () => {
  await testDb?.close();
});

afterAll(async () => {
  await local?.close();
});

const opts = () => ({ db });

async function request(requester: string, target: string) {
  return requestTap(await actor(requester), { targetUserId: local.userId(target), justification: JUSTIFICATION }, capture.ctx(), opts());
}

async function rows(): Promise<Map<string, TapRequest>> {
  return new Map((await db.tapRequest.findMany()).map((row) => [row.id, row]));
}

/** Every row but `changed` is exactly as before; `changed` differ only in status (and updatedAt). */
async function expectOnlyStatusChanged(before: Map<string, TapRequest>, changed: Record<string, string>) {
  const after = await rows();
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [id, row] of before) {
    const now = after.get(id)!;
    if (id in changed) {
      const { status, updatedAt: _a, ...rest } = now;
      const { status: _was, updatedAt: _b, ...restBefore } = row;
      expect(status, id).toBe(changed[id]);
      expect(rest, id).toEqual(restBefore);
    } else {
      expect(now, id).toEqual(row);
    }
  }
}

async function currentPolicyInput(patch: Record<string, unknown>) {
  const { version: _version, ...fields } = await getCurrentPolicy(db);
  return { ...fields, ...patch };
}

describe('issue re-judges an automatic approval under the policy in force', () => {
  it('auto-approved, then the policy wants an approver for every pass: 409, expired with the reason, no Graph write', async () => {
    const created = await request('mgr', 'report');
    expect(created).toMatchObject({ status: 'approved', decidedBy: 'system', depth: 1 });
    const approvedUnder = created.policyVersion;
    await storePolicy(db, { requireApproval: 'always' });
    const inForce = (await getCurrentPolicy(db)).version;
    const other = await request('mgr', 'report2'); // pending under the new policy: must stay so
    expect(other.status).toBe('pending_approval');

    const before = await rows();
    const eventsBefore = await db.auditEvent.count();
    const trips = graphRoundTrips(local);
    const creates = tapCreates(local);
    await expect(issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({
      code: 'conflict',
      status: 409,
      detail: expect.stringContaining('Make a new request: an approver must approve it'),
    });
    // One read (the facts), no create.
    expect(graphRoundTrips(local) - trips).toBe(1);
    expect(tapCreates(local)).toBe(creates);
    expect(await graphTapMethods(local, local.userId('report'))).toEqual([]);

    await expectOnlyStatusChanged(before, { [created.id]: 'expired' });
    expect(await db.auditEvent.count()).toBe(eventsBefore + 1);
    const event = await db.auditEvent.findFirstOrThrow({ where: { requestId: created.id, type: 'tap_request.expired' } });
    expect(event).toMatchObject({ actorId: 'system', targetId: local.userId('report') });
    expect(event.data).toMatchObject({
      previousStatus: 'approved',
      reason: 'policy-tightened',
      policyVersion: inForce,
      approvedUnderPolicyVersion: approvedUnder,
      requireApproval: 'always',
      chain: [local.userId('mgr')],
      depth: 1,
    });

    // Expired for good: a second attempt is a plain conflict and changes nothing.
    await expect(issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'conflict' });
    expect(await auditTypesFor(db, created.id)).toEqual(['tap_request.created', 'tap_request.approved', 'tap_request.expired']);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it('auto-approved as a direct report, then moved one level down (indirect-only): 409, reason reporting-line-changed', async () => {
    const created = await request('mgr', 'report3');
    expect(created).toMatchObject({ status: 'approved', decidedBy: 'system', depth: 1 });
    await moveUser(local, 'report3', 'report');
    try {
      const creates = tapCreates(local);
      await expect(issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'conflict' });
      expect(tapCreates(local)).toBe(creates);
      expect((await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).status).toBe('expired');
      const event = await db.auditEvent.findFirstOrThrow({ where: { requestId: created.id, type: 'tap_request.expired' } });
      expect(event.data).toMatchObject({ reason: 'reporting-line-changed', requireApproval: 'indirect-only', depth: 2, chain: [local.userId('report'), local.userId('mgr')] });
    } finally {
      await moveUser(local, 'report3', 'mgr');
    }
  });

  it('an approver’s approval stands under a stricter policy, and an automatic one under an unchanged policy: both issue', async () => {
    const byApprover = await request('mgr', 'deep');
    expect(byApprover.status).toBe('pending_approval');
    await approveTapRequest(await actor('approver'), { id: byApprover.id }, capture.ctx(), opts());
    const auto = await request('mgr', 'report4');
    expect(auto).toMatchObject({ status: 'approved', decidedBy: 'system' });
    await storePolicy(db, { approvalValidityMinutes: 60 }); // a new version, same approval rule

    const issuedAuto = await issueTap(await actor('mgr'), { id: auto.id }, capture.ctx(), opts());
    expect(issuedAuto.methodId).toEqual(expect.any(String));
    await storePolicy(db, { requireApproval: 'always' });
    const issuedApproved = await issueTap(await actor('mgr'), { id: byApprover.id }, capture.ctx(), opts());
    expect(issuedApproved.methodId).toEqual(expect.any(String));
    expect((await db.tapRequest.findMany({ where: { id: { in: [auto.id, byApprover.id] } } })).map((r) => r.status)).toEqual(['issued', 'issued']);
  });
});

describe('a policy change that tightens approval expires the automatic approvals it would not give', () => {
  it('in the same transaction as the new version, each audited; pending and approver-approved requests untouched', async () => {
    // Under "always": one pending request, and one an approver approved at depth 2.
    await storePolicy(db, { requireApproval: 'always' });
    const pending = await request('mgr', 'report4');
    const approvedByApprover = await request('ceo', 'report');
    await approveTapRequest(await actor('approver'), { id: approvedByApprover.id }, capture.ctx(), opts());
    // Under "never": automatic approvals at depth 1 and 2.
    await storePolicy(db, { requireApproval: 'never' });
    const autoDirect = await request('mgr', 'report');
    const autoIndirect = await request('mgr', 'deep');
    expect([pending.status, autoDirect.status, autoIndirect.status]).toEqual(['pending_approval', 'approved', 'approved']);
    const autoVersion = autoIndirect.policyVersion;

    const ceo = await actor('ceo');
    const before = await rows();
    const headBefore = (await db.auditEvent.findFirstOrThrow({ orderBy: { seq: 'desc' } })).seq;
    const saved = await updatePolicy(ceo, await currentPolicyInput({ requireApproval: 'indirect-only' }), capture.ctx(), opts());

    await expectOnlyStatusChanged(before, { [autoIndirect.id]: 'expired' });
    const added = await db.auditEvent.findMany({ where: { seq: { gt: headBefore } }, orderBy: { seq: 'asc' } });
    expect(added.map((e) => [e.type, e.requestId])).toEqual([
      ['policy.updated', null],
      ['tap_request.expired', autoIndirect.id],
    ]);
    expect(added[0]!.data).toMatchObject({ toVersion: saved.version, details: { expiredRequestIds: [autoIndirect.id] } });
    expect(added[1]).toMatchObject({ actorId: ceo.id, targetId: local.userId('deep') });
    expect(added[1]!.data).toMatchObject({
      previousStatus: 'approved',
      reason: 'policy-tightened',
      policyVersion: saved.version,
      approvedUnderPolicyVersion: autoVersion,
      requireApproval: 'indirect-only',
      depth: 2,
      chain: [local.userId('report'), local.userId('mgr')],
    });
    // The version and the expiry are one commit: the event's policy version is the stored one.
    expect((await getCurrentPolicy(db)).version).toBe(saved.version);

    // Tighter still: the direct report's automatic approval goes too; the rest stay.
    const before2 = await rows();
    const always = await updatePolicy(ceo, await currentPolicyInput({ requireApproval: 'always' }), capture.ctx(), opts());
    await expectOnlyStatusChanged(before2, { [autoDirect.id]: 'expired' });
    const last = await db.auditEvent.findFirstOrThrow({ where: { requestId: autoDirect.id, type: 'tap_request.expired' } });
    expect(last.data).toMatchObject({ reason: 'policy-tightened', policyVersion: always.version, requireApproval: 'always', depth: 1 });

    // Loosening expires nothing, and an expired request cannot be issued.
    const before3 = await rows();
    await updatePolicy(ceo, await currentPolicyInput({ requireApproval: 'never' }), capture.ctx(), opts());
    await expectOnlyStatusChanged(before3, {});
    const creates = tapCreates(local);
    await expect(issueTap(await actor('mgr'), { id: autoIndirect.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'conflict' });
    expect(tapCreates(local)).toBe(creates);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it('an unchanged or loosened approval rule expires nothing', async () => {
    const auto = await request('mgr', 'report');
    const ceo = await actor('ceo');
    const before = await rows();
    const saved = await updatePolicy(ceo, await currentPolicyInput({ maxDepth: 3 }), capture.ctx(), opts());
    await expectOnlyStatusChanged(before, {});
    const event = await db.auditEvent.findFirstOrThrow({ where: { type: 'policy.updated' }, orderBy: { seq: 'desc' } });
    expect(event.data).toMatchObject({ toVersion: saved.version, details: { expiredRequestIds: [] } });
    expect(await db.auditEvent.count({ where: { requestId: auto.id, type: 'tap_request.expired' } })).toBe(0);
  });
});
