/**
 * The request lifecycle end to end, in-process: the real use cases against the local tenant
 * (Graph over HTTPS) and a fresh migrated database (PGlite, or PostgreSQL under the test
 * orchestrator). Every outcome is re-read from the database, Graph and the audit trail.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { approveTapRequest } from '@/lib/broker/approve-tap-request';
import { denyTapRequest } from '@/lib/broker/deny-tap-request';
import { getTapRequest } from '@/lib/broker/get-tap-request';
import { issueTap } from '@/lib/broker/issue-tap';
import { listTapRequests } from '@/lib/broker/list-tap-requests';
import { reconcileTapRequests } from '@/lib/broker/reconcile-tap-requests';
import { requestTap, type RequestTapInput } from '@/lib/broker/request-tap';
import { revokeTap } from '@/lib/broker/revoke-tap';
import {
  actorsFor,
  auditTypesFor,
  capturingContext,
  dumpDatabaseText,
  graphRoundTrips,
  graphTapMethods,
  lifecycleSeed,
  moveUser,
  setFaults,
  storePolicy,
  tapCreates,
} from '@/lib/testing/tap-requests';
import { withoutPrivileges } from '@/lib/testing/eligibility';
import type { PrismaClient } from '@/lib/db/generated/client';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';
import { updateUser } from '@/tenant/directory';
import { defaultFaults } from '@/tenant/faults';

let local: LocalTenant;
let testDb: TestDb;
let db: PrismaClient;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();
/** Every pass a test received: none may appear in the database, the audit trail or the logs. */
const passes: string[] = [];
const JUSTIFICATION = 'Lost phone, needs to register a new authenticator';

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeed());
  testDb = await createTestDb();
  db = testDb.prisma;
  actor = actorsFor(local);
  // The quota has its own test; elsewhere it must not interfere.
  await storePolicy(db, { maxIssuancesPerManagerPerDay: 1000 });
});

afterEach(() => {
  Object.assign(local.tenant.ctx.faults, defaultFaults());
});

afterAll(async () => {
  await testDb?.close();
  await local?.close();
});

const opts = () => ({ db });

async function request(requester: string, target: string, extra: Partial<RequestTapInput> = {}) {
  return requestTap(await actor(requester), { targetUserId: local.userId(target), justification: JUSTIFICATION, ...extra }, capture.ctx(), opts());
}

async function issue(requester: string, id: string) {
  const issued = await issueTap(await actor(requester), { id }, capture.ctx(), opts());
  passes.push(issued.temporaryAccessPass);
  return issued;
}

async function countRows(): Promise<{ requests: number; events: number }> {
  return { requests: await db.tapRequest.count(), events: await db.auditEvent.count() };
}

describe('request → issue → revoke (direct report, auto-approved)', () => {
  it('issues the pass once, in ≤ 2 Graph round trips, records it, and revokes it in Graph', async () => {
    const mgr = await actor('mgr');
    const reportId = local.userId('report');

    let before = graphRoundTrips(local);
    const created = await request('mgr', 'report');
    expect(graphRoundTrips(local) - before).toBe(1);
    expect(created).toMatchObject({
      status: 'approved',
      requesterId: mgr.id,
      targetUserId: reportId,
      targetDisplayName: 'Rita Report',
      justification: JUSTIFICATION,
      lifetimeInMinutes: 60,
      isUsableOnce: true,
      startDateTime: null,
      decidedBy: 'system',
      chain: [mgr.id],
      chainDisplayNames: ['Max Manager'],
      requesterDisplayName: 'Max Manager',
      targetUserPrincipalName: expect.stringMatching(/^report@/),
      depth: 1,
    });
    expect(Date.parse(created.approvalExpiresAt ?? '') - Date.parse(created.decidedAt ?? '')).toBe(1440 * 60_000);

    before = graphRoundTrips(local);
    const createsBefore = tapCreates(local);
    const issued = await issue('mgr', created.id);
    expect(graphRoundTrips(local) - before).toBe(2);
    expect(tapCreates(local) - createsBefore).toBe(1);
    expect(issued).toEqual({
      temporaryAccessPass: expect.stringMatching(/^\S{8,}$/),
      startDateTime: expect.any(String),
      lifetimeInMinutes: 60,
      isUsableOnce: true,
      expiresDateTime: expect.any(String),
      methodId: expect.any(String),
    });
    expect(Date.parse(issued.expiresDateTime) - Date.parse(issued.startDateTime)).toBe(60 * 60_000);
    expect((await graphTapMethods(local, reportId)).map((m) => m.id)).toEqual([issued.methodId]);

    const row = await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } });
    expect(row).toMatchObject({ status: 'issued', methodId: issued.methodId, replacedMethodId: null });
    expect(row.intentAt).not.toBeNull();
    expect(row.idempotencyKey).not.toBeNull();

    // Issue once: the second call is a conflict and creates nothing.
    const createsAfter = tapCreates(local);
    await expect(issueTap(mgr, { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'conflict', status: 409 });
    expect(tapCreates(local)).toBe(createsAfter);

    const view = await getTapRequest(mgr, { id: created.id }, opts());
    expect(view).toMatchObject({ status: 'issued', methodId: issued.methodId, expiresDateTime: new Date(issued.expiresDateTime).toISOString() });
    expect(JSON.stringify(view)).not.toContain(issued.temporaryAccessPass);

    const revoked = await revokeTap(mgr, { id: created.id }, capture.ctx(), opts());
    expect(revoked).toMatchObject({ status: 'revoked', revokedBy: mgr.id });
    expect(await graphTapMethods(local, reportId)).toEqual([]);
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: 'revoked', revokedMethodDeleted: true });
    await expect(revokeTap(mgr, { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'conflict' });

    expect(await auditTypesFor(db, created.id)).toEqual(['tap_request.created', 'tap_request.approved', 'tap.issue_started', 'tap.issued', 'tap.revoked']);
    const issuedEvent = await db.auditEvent.findFirstOrThrow({ where: { requestId: created.id, type: 'tap.issued' } });
    expect(issuedEvent.data).toMatchObject({ methodId: issued.methodId, chain: [mgr.id], context: { ip: '192.0.2.10', userAgent: 'vitest lifecycle' } });
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it('records the pass it replaced, and revoking an already-replaced pass leaves the newer one alone', async () => {
    const first = await request('mgr', 'report3');
    const firstPass = await issue('mgr', first.id);
    const second = await request('mgr', 'report3');
    const secondPass = await issue('mgr', second.id);
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: second.id } })).toMatchObject({ replacedMethodId: firstPass.methodId });

    // Graph replaced the first pass; revoking it deletes nothing and records that.
    const revoked = await revokeTap(await actor('mgr'), { id: first.id }, capture.ctx(), opts());
    expect(revoked.status).toBe('revoked');
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: first.id } })).toMatchObject({ revokedMethodDeleted: false });
    expect((await graphTapMethods(local, local.userId('report3'))).map((m) => m.id)).toEqual([secondPass.methodId]);
  });
});

describe('approval', () => {
  it('an indirect report waits for an approver; approval re-reads the chain in one round trip; then the requester issues', async () => {
    const mgr = await actor('mgr');
    const created = await request('mgr', 'deep');
    expect(created).toMatchObject({
      status: 'pending_approval',
      depth: 2,
      chain: [local.userId('report'), mgr.id],
      chainDisplayNames: ['Rita Report', 'Max Manager'],
    });
    expect(created.decidedBy).toBeUndefined();
    await expect(issueTap(mgr, { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'conflict' });

    const approver = await actor('approver');
    const before = graphRoundTrips(local);
    const approved = await approveTapRequest(approver, { id: created.id, comment: '  Checked with the team lead  ' }, capture.ctx(), opts());
    expect(graphRoundTrips(local) - before).toBe(1);
    expect(approved).toMatchObject({
      status: 'approved',
      decidedBy: approver.id,
      decidedByDisplayName: approver.displayName,
      decisionComment: 'Checked with the team lead',
    });
    expect(Date.parse(approved.approvalExpiresAt ?? '') - Date.parse(approved.decidedAt ?? '')).toBe(1440 * 60_000);

    // A decision is final.
    await expect(approveTapRequest(await actor('approver2'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'conflict' });
    await expect(denyTapRequest(await actor('approver2'), { id: created.id, reason: 'too late' }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'conflict' });

    // Only the requester may issue; anyone else learns nothing (404).
    await expect(issueTap(approver, { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'not-found' });
    await expect(issueTap(await actor('ceo'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'not-found' });
    await issue('mgr', created.id);
    expect(await auditTypesFor(db, created.id)).toEqual(['tap_request.created', 'tap_request.approved', 'tap.issue_started', 'tap.issued']);
  });

  it('an approver never approves their own request, nor a pass for themselves; an admin may approve', async () => {
    const own = await request('approvermgr', 'approverdeep');
    expect(own.status).toBe('pending_approval');
    const rows = await countRows();
    await expect(approveTapRequest(await actor('approvermgr'), { id: own.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'forbidden', status: 403 });
    await expect(denyTapRequest(await actor('approvermgr'), { id: own.id, reason: 'no' }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'forbidden' });
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: own.id } })).toMatchObject({ status: 'pending_approval', decidedBy: null });
    expect(await countRows()).toEqual({ requests: rows.requests, events: rows.events + 2 });
    const refusal = await db.auditEvent.findFirstOrThrow({ where: { requestId: own.id, type: 'tap_request.refused' } });
    expect(refusal.data).toMatchObject({ stage: 'approve', code: 'forbidden', reasons: ['own-request'] });
    // Neither a manager without the role.
    await expect(approveTapRequest(await actor('mgr'), { id: own.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'forbidden' });

    await storePolicy(db, { requireApproval: 'always' });
    try {
      // A pass for an approver is refused outright (portal-role); one filed before they became an
      // approver still cannot be decided by them, and another approver finds them ineligible now.
      const approver = await actor('approver');
      const restore = withoutPrivileges(local, 'approver');
      const forApprover = await request('ceo', 'approver').finally(restore);
      expect(forApprover.status).toBe('pending_approval');
      await expect(approveTapRequest(approver, { id: forApprover.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'forbidden' });
      const refusal2 = await db.auditEvent.findFirstOrThrow({ where: { requestId: forApprover.id, type: 'tap_request.refused' } });
      expect(refusal2.data).toMatchObject({ reasons: ['own-pass'] });
      await expect(approveTapRequest(await actor('approver2'), { id: forApprover.id }, capture.ctx(), opts())).rejects.toMatchObject({
        code: 'target-ineligible',
        reasons: ['portal-role'],
      });
    } finally {
      await storePolicy(db, { requireApproval: 'indirect_only' });
    }
    const byAdmin = await approveTapRequest(await actor('ceo'), { id: own.id }, capture.ctx(), opts());
    expect(byAdmin).toMatchObject({ status: 'approved', decidedBy: (await actor('ceo')).id });
  });

  it('deny needs a reason, is final, and the request can then not be issued', async () => {
    const created = await request('mgr', 'deep');
    const approver = await actor('approver');
    await expect(denyTapRequest(approver, { id: created.id, reason: '   ' }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'validation-failed' });
    const denied = await denyTapRequest(approver, { id: created.id, reason: 'Use the helpdesk instead' }, capture.ctx(), opts());
    expect(denied).toMatchObject({ status: 'denied', decidedBy: approver.id, decisionComment: 'Use the helpdesk instead' });
    await expect(approveTapRequest(await actor('approver2'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'conflict' });
    await expect(issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'conflict' });
    expect(await auditTypesFor(db, created.id)).toEqual(['tap_request.created', 'tap_request.denied']);
  });

  it('unknown and malformed request ids are 404 for every action', async () => {
    for (const id of ['0b5e1b3c-1f6a-4c7e-9a53-2f0d8f7e6a41', 'not-a-uuid', "1' OR '1'='1"]) {
      await expect(approveTapRequest(await actor('approver'), { id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'not-found' });
      await expect(denyTapRequest(await actor('approver'), { id, reason: 'x' }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'not-found' });
      await expect(issueTap(await actor('mgr'), { id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'not-found' });
      await expect(revokeTap(await actor('ceo'), { id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'not-found' });
      await expect(getTapRequest(await actor('ceo'), { id }, opts())).rejects.toMatchObject({ code: 'not-found' });
    }
  });
});

describe('refusals at creation', () => {
  it('anyone outside the chain, and every unknown id, gets the same 403 — audited, nothing stored', async () => {
    const cases: [string, string][] = [
      ['outsider', local.userId('report')],
      ['other', local.userId('report')],
      ['report', local.userId('mgr')],
      ['approver', local.userId('deep')],
      ['mgr', '7d3c6a8e-2b1f-4e9a-8c5d-0f1e2d3c4b5a'],
      ['mgr', 'nobody@test.contoso.test'],
      ['mgr', 'not a user id'],
    ];
    for (const [requester, targetUserId] of cases) {
      const rows = await countRows();
      const before = graphRoundTrips(local);
      const error = await requestTap(await actor(requester), { targetUserId, justification: JUSTIFICATION }, capture.ctx(), opts()).catch((e: unknown) => e);
      expect(error, `${requester} → ${targetUserId}`).toMatchObject({ code: 'not-in-reporting-chain', status: 403, detail: 'The target is not in your reporting chain.' });
      expect(graphRoundTrips(local) - before).toBeLessThanOrEqual(1);
      expect(await countRows()).toEqual({ requests: rows.requests, events: rows.events + 1 });
      const event = await db.auditEvent.findFirstOrThrow({ orderBy: { seq: 'desc' } });
      expect(event).toMatchObject({ type: 'tap_request.refused', actorId: (await actor(requester)).id });
      expect(event.data).toMatchObject({ stage: 'create', code: 'not-in-reporting-chain' });
      // An outsider's refusal keeps no chain evidence (it is not their line).
      expect(event.data).not.toHaveProperty('chain');
    }
  });

  it('a refusal records the target as an id (Graph’s, or the reference normalised), never the raw input', async () => {
    const cases: [string, string | null][] = [
      ['=HYPERLINK("x")@x', null],
      ['=HYPERLINK(A1)@x.test', null],
      ['=1+1@x.test', null],
      ['+1+1@x.test', null],
      ['-1@x.test', null],
      ['@x.test', null],
      ['not a user id', null],
      ['Nobody@Test.Contoso.TEST', 'nobody@test.contoso.test'],
      ['7D3C6A8E-2B1F-4E9A-8C5D-0F1E2D3C4B5A', '7d3c6a8e-2b1f-4e9a-8c5d-0f1e2d3c4b5a'],
      // A UPN Graph knows is recorded as the object id Graph answered with.
      ['GUEST@TEST.CONTOSO.TEST', local.userId('guest')],
    ];
    for (const [targetUserId, recorded] of cases) {
      const rows = await countRows();
      await expect(requestTap(await actor('mgr'), { targetUserId, justification: JUSTIFICATION }, capture.ctx(), opts()), targetUserId).rejects.toMatchObject({
        name: 'BrokerError',
      });
      expect(await countRows()).toEqual({ requests: rows.requests, events: rows.events + 1 });
      const event = await db.auditEvent.findFirstOrThrow({ orderBy: { seq: 'desc' } });
      expect(event, targetUserId).toMatchObject({ type: 'tap_request.refused', targetId: recorded });
      // Nowhere in the event, not even inside its data.
      expect(JSON.stringify(event.data)).not.toContain(targetUserId);
    }
  });

  it.each([
    ['mgr', 'guest', ['guest']],
    ['mgr', 'disabled', ['account-disabled']],
    ['mgr', 'globaladmin', ['privileged-role']],
    ['mgr', 'mgr', ['self']],
    // The CEO is the portal's admin: a pass for them is refused for that too.
    ['ceo', 'ceo', ['self', 'portal-role']],
  ])('%s → %s is 422 target-ineligible %j, audited with the chain', async (requester, target, reasons) => {
    const rows = await countRows();
    const error = await request(requester, target).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'target-ineligible', status: 422, reasons });
    expect(await countRows()).toEqual({ requests: rows.requests, events: rows.events + 1 });
    const event = await db.auditEvent.findFirstOrThrow({ orderBy: { seq: 'desc' } });
    expect(event.data).toMatchObject({ stage: 'create', code: 'target-ineligible', reasons });
  });

  it('a non-admin role (Directory Readers) is no obstacle; depth up the chain counts, within maxDepth', async () => {
    expect((await request('mgr', 'reader')).status).toBe('approved');
    expect(await request('ceo', 'deep')).toMatchObject({ status: 'pending_approval', depth: 3 });
    await storePolicy(db, { maxDepth: 2 });
    try {
      await expect(request('ceo', 'deep')).rejects.toMatchObject({ code: 'not-in-reporting-chain' });
      expect(await request('ceo', 'report')).toMatchObject({ depth: 2 });
    } finally {
      await storePolicy(db, { maxDepth: null });
    }
  });

  it('validates the justification before asking Graph, and the terms against both policies', async () => {
    const rows = await countRows();
    const before = graphRoundTrips(local);
    for (const justification of ['', 'too short', 'abcdefghijklmnop', ' '.repeat(20)]) {
      await expect(request('mgr', 'report', { justification })).rejects.toMatchObject({ code: 'validation-failed', errors: [{ path: 'justification' }] });
    }
    expect(graphRoundTrips(local)).toBe(before);
    await expect(request('mgr', 'report', { lifetimeInMinutes: 481 })).rejects.toMatchObject({
      code: 'validation-failed',
      errors: [{ path: 'lifetimeInMinutes', message: 'must be a whole number of minutes between 60 and 480' }],
    });
    await expect(request('mgr', 'report', { lifetimeInMinutes: 30 })).rejects.toMatchObject({ code: 'validation-failed' });
    await expect(request('mgr', 'report', { isUsableOnce: false })).rejects.toMatchObject({ errors: [{ path: 'isUsableOnce' }] });
    await expect(request('mgr', 'report', { startDateTime: '2020-01-01T00:00:00Z' })).rejects.toMatchObject({ errors: [{ path: 'startDateTime' }] });
    // Validation failures change nothing and are not audited (they are not a denied attempt).
    expect(await countRows()).toEqual(rows);

    const custom = await request('mgr', 'report', { lifetimeInMinutes: 480, startDateTime: new Date(Date.now() + 3_600_000).toISOString() });
    expect(custom).toMatchObject({ lifetimeInMinutes: 480, isUsableOnce: true });
    await storePolicy(db, { isUsableOnce: false });
    try {
      expect(await request('mgr', 'report', { isUsableOnce: false })).toMatchObject({ isUsableOnce: false });
    } finally {
      await storePolicy(db, { isUsableOnce: true });
    }
  });

  it('a new hire’s pass starts on their hire date, and Graph gets that start', async () => {
    const hire = local.tenant.ctx.directory.users.get(local.userId('newhire'))?.employeeHireDate;
    expect(hire).toBeTruthy();
    const created = await request('mgr', 'newhire');
    expect(created.startDateTime).toBe(new Date(hire ?? '').toISOString());
    const issued = await issue('mgr', created.id);
    expect(Date.parse(issued.startDateTime)).toBe(Date.parse(hire ?? ''));
  });
});

describe('the org chart is re-read at every state change', () => {
  it('a target moved away between approval and issuance: issue is 403, the request fails, audited, no pass', async () => {
    const created = await request('mgr', 'report2');
    expect(created.status).toBe('approved');
    await moveUser(local, 'report2', 'other');
    try {
      const creates = tapCreates(local);
      await expect(issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'not-in-reporting-chain', status: 403 });
      expect(tapCreates(local)).toBe(creates);
      expect(await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: 'failed', failureCode: 'not-in-reporting-chain' });
      const event = await db.auditEvent.findFirstOrThrow({ where: { requestId: created.id, type: 'tap_request.refused' } });
      expect(event.data).toMatchObject({ stage: 'issue', code: 'not-in-reporting-chain', newStatus: 'failed', chain: [local.userId('other'), local.userId('ceo')] });
    } finally {
      await moveUser(local, 'report2', 'mgr');
    }
  });

  it('a manager whose account was disabled (their token still valid) may neither request nor issue', async () => {
    const before = await request('mgr', 'report2');
    expect(before.status).toBe('approved');
    const mgrActor = await actor('mgr');
    updateUser(local.tenant.ctx.directory, local.userId('mgr'), { accountEnabled: false });
    try {
      const rows = await countRows();
      // A target no other test here asks mgr for: this refusal is remembered (REFUSAL_MEMORY_SECONDS)
      // and would answer their requests too, though mgr is enabled again by then.
      await expect(
        requestTap(mgrActor, { targetUserId: local.userId('report3'), justification: JUSTIFICATION }, capture.ctx(), opts()),
      ).rejects.toMatchObject({ code: 'forbidden', status: 403 });
      expect((await countRows()).requests).toBe(rows.requests);
      const creates = tapCreates(local);
      await expect(issueTap(mgrActor, { id: before.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'forbidden', status: 403 });
      expect(tapCreates(local)).toBe(creates);
      expect(await db.tapRequest.findUniqueOrThrow({ where: { id: before.id } })).toMatchObject({ status: 'failed' });
    } finally {
      updateUser(local.tenant.ctx.directory, local.userId('mgr'), { accountEnabled: true });
    }
  });

  it('the requester left the chain before approval: approve is 409 and the request fails', async () => {
    const created = await request('mgr', 'deep');
    await moveUser(local, 'deep', 'other');
    try {
      await expect(approveTapRequest(await actor('approver'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'conflict', status: 409 });
      expect(await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: 'failed', failureCode: 'not-in-reporting-chain', decidedBy: null });
      expect(await auditTypesFor(db, created.id)).toEqual(['tap_request.created', 'tap_request.refused']);
    } finally {
      await moveUser(local, 'deep', 'report');
    }
  });

  it('a target that became ineligible after approval is refused at issue with 422', async () => {
    const created = await request('mgr', 'report4');
    local.tenant.ctx.directory.users.get(local.userId('report4'))!.accountEnabled = false;
    try {
      await expect(issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'target-ineligible', reasons: ['account-disabled'] });
      expect(await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: 'failed', failureCode: 'target-ineligible' });
    } finally {
      local.tenant.ctx.directory.users.get(local.userId('report4'))!.accountEnabled = true;
    }
  });
});

describe('expiry, quota and the reconciler', () => {
  it('an expired approval cannot be issued: 409, the request expires, audited', async () => {
    const created = await request('mgr', 'report');
    await db.tapRequest.update({ where: { id: created.id }, data: { approvalExpiresAt: new Date(Date.now() - 1000) } });
    const before = graphRoundTrips(local);
    await expect(issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'conflict' });
    expect(graphRoundTrips(local)).toBe(before);
    expect((await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).status).toBe('expired');
    expect(await auditTypesFor(db, created.id)).toEqual(['tap_request.created', 'tap_request.approved', 'tap_request.expired']);
  });

  it('the reconciler expires lapsed approvals and pending requests older than 7 days, once', async () => {
    const lapsed = await request('mgr', 'report');
    const stale = await request('mgr', 'deep');
    const fresh = await request('mgr', 'deep');
    await db.tapRequest.update({ where: { id: lapsed.id }, data: { approvalExpiresAt: new Date(Date.now() - 1000) } });
    await db.tapRequest.update({ where: { id: stale.id }, data: { createdAt: new Date(Date.now() - 8 * 24 * 3_600_000) } });
    const summary = await reconcileTapRequests({ olderThanMs: 0 }, capture.ctx(), opts());
    expect(summary.expired).toBeGreaterThanOrEqual(2);
    expect(summary.errors).toBe(0);
    expect((await db.tapRequest.findUniqueOrThrow({ where: { id: lapsed.id } })).status).toBe('expired');
    expect((await db.tapRequest.findUniqueOrThrow({ where: { id: stale.id } })).status).toBe('expired');
    expect((await db.tapRequest.findUniqueOrThrow({ where: { id: fresh.id } })).status).toBe('pending_approval');
    const events = await db.auditEvent.findMany({ where: { requestId: { in: [lapsed.id, stale.id] }, type: 'tap_request.expired' } });
    expect(events.map((e) => (e.data as { previousStatus: string }).previousStatus).sort()).toEqual(['approved', 'pending_approval']);
    expect((await reconcileTapRequests({ olderThanMs: 0 }, capture.ctx(), opts())).expired).toBe(0);
  });

  it('the daily quota: 429 with Retry-After until the oldest issuance leaves the window, audited', async () => {
    await storePolicy(db, { maxIssuancesPerManagerPerDay: 1 });
    try {
      const first = await request('other', 'elsewhere');
      await issue('other', first.id);
      const second = await request('other', 'elsewhere');
      const creates = tapCreates(local);
      const error = await issueTap(await actor('other'), { id: second.id }, capture.ctx(), opts()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'rate-limited', status: 429 });
      const retryAfter = (error as { retryAfterSeconds: number }).retryAfterSeconds;
      expect(retryAfter).toBeGreaterThan(24 * 3600 - 120);
      expect(retryAfter).toBeLessThanOrEqual(24 * 3600);
      expect(tapCreates(local)).toBe(creates);
      expect((await db.tapRequest.findUniqueOrThrow({ where: { id: second.id } })).status).toBe('approved');
      const event = await db.auditEvent.findFirstOrThrow({ where: { requestId: second.id, type: 'tap_request.refused' } });
      expect(event.data).toMatchObject({ stage: 'issue', code: 'rate-limited', retryAfterSeconds: retryAfter });
      // Revoking does not give the slot back: the pass was issued.
      await revokeTap(await actor('other'), { id: first.id }, capture.ctx(), opts());
      await expect(issueTap(await actor('other'), { id: second.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'rate-limited' });
    } finally {
      await storePolicy(db, { maxIssuancesPerManagerPerDay: 1000 });
    }
  });
});

describe('Graph failures', () => {
  it('rides out 429s on $batch items and on the envelope', async () => {
    setFaults(local, { batchItemThrottleNext: 2, retryAfterSeconds: 1 });
    const created = await request('mgr', 'report');
    expect(created.status).toBe('approved');
    setFaults(local, { throttleNext: 1, retryAfterSeconds: 1 });
    const issued = await issue('mgr', created.id);
    expect((await graphTapMethods(local, local.userId('report'))).map((m) => m.id)).toEqual([issued.methodId]);
  });

  it('Graph unreachable while reading the facts: 503, nothing changed, nothing audited', async () => {
    const created = await request('mgr', 'report');
    for (const fault of [{ unavailableNext: 10, retryAfterSeconds: 0 }, { dropNext: 1 }]) {
      const rows = await countRows();
      setFaults(local, fault);
      await expect(issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'upstream-unavailable', status: 503 });
      Object.assign(local.tenant.ctx.faults, defaultFaults());
      expect(await countRows()).toEqual(rows);
      expect((await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).status).toBe('approved');
    }
    await expect(request('mgr', 'report').then(() => 'ok')).resolves.toBe('ok');
    await issue('mgr', created.id);
  });

  it('create answered 503 without creating: 503, back to approved (audited, retryable), and a retry issues', async () => {
    const created = await request('mgr', 'report');
    const creates = tapCreates(local);
    setFaults(local, { tapCreateFailNext: 1 });
    await expect(issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'upstream-unavailable' });
    expect(tapCreates(local)).toBe(creates);
    expect((await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).status).toBe('approved');
    const failed = await db.auditEvent.findFirstOrThrow({ where: { requestId: created.id, type: 'tap.issue_failed' } });
    expect(failed.data).toMatchObject({ outcome: 'unknown', retryable: true, newStatus: 'approved', deletedMethodIds: [] });
    const issued = await issue('mgr', created.id);
    expect((await graphTapMethods(local, local.userId('report'))).map((m) => m.id)).toEqual([issued.methodId]);
  });

  it('create succeeded in Graph but answered 503: the unseen pass is deleted, back to approved, a retry issues', async () => {
    const created = await request('mgr', 'report3');
    const creates = tapCreates(local);
    setFaults(local, { tapCreateFailAfterNext: 1 });
    await expect(issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'upstream-unavailable' });
    expect(tapCreates(local)).toBe(creates + 1);
    expect(await graphTapMethods(local, local.userId('report3'))).toEqual([]);
    const row = await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } });
    expect(row).toMatchObject({ status: 'approved', methodId: null, replacedMethodId: null });
    const failed = await db.auditEvent.findFirstOrThrow({ where: { requestId: created.id, type: 'tap.issue_failed' } });
    expect((failed.data as { deletedMethodIds: string[] }).deletedMethodIds).toHaveLength(1);
    const issued = await issue('mgr', created.id);
    expect((await graphTapMethods(local, local.userId('report3'))).map((m) => m.id)).toEqual([issued.methodId]);
    expect(await auditTypesFor(db, created.id)).toEqual([
      'tap_request.created',
      'tap_request.approved',
      'tap.issue_started',
      'tap.issue_failed',
      'tap.issue_started',
      'tap.issued',
    ]);
  });
});

describe('Graph refuses the create', () => {
  it('the tenant policy changed between the check and the create: 409, the request fails, audited as rejected', async () => {
    const created = await request('mgr', 'report2');
    const createKey = 'POST /v1.0/users/{id}/authentication/temporaryAccessPassMethods';
    const seen = local.tenant.ctx.stats.graph[createKey] ?? 0;
    const creates = tapCreates(local);
    const policy = local.tenant.ctx.directory.tapPolicy;
    // Every Graph answer is late: the policy is switched off after the create arrived, before it runs.
    setFaults(local, { latencyMs: 500 });
    const outcome = issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts()).catch((e: unknown) => e);
    const deadline = Date.now() + 10_000;
    while ((local.tenant.ctx.stats.graph[createKey] ?? 0) === seen) {
      if (Date.now() > deadline) throw new Error('the create never reached Graph');
      await new Promise((resolve) => setImmediate(resolve));
    }
    policy.state = 'disabled';
    try {
      expect(await outcome).toMatchObject({ code: 'conflict', status: 409 });
    } finally {
      policy.state = 'enabled';
    }
    expect(tapCreates(local)).toBe(creates);
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: 'failed', failureCode: 'graph-rejected:badRequest' });
    const failed = await db.auditEvent.findFirstOrThrow({ where: { requestId: created.id, type: 'tap.issue_failed' } });
    expect(failed.data).toMatchObject({ outcome: 'rejected', retryable: false, graphStatus: 400, graphCode: 'badRequest', newStatus: 'failed' });
  });
});

describe('listing and visibility', () => {
  it('mine / pending / all by role; a request is visible to its requester, approvers, auditors and admins only', async () => {
    const created = await request('mgr', 'deep');
    const mine = await listTapRequests(await actor('mgr'), { scope: 'mine' }, opts());
    expect(mine.requests.every((r) => r.requesterId === local.userId('mgr'))).toBe(true);
    expect(mine.requests[0]?.id).toBe(created.id);
    expect((await listTapRequests(await actor('outsider'), { scope: 'mine' }, opts())).requests).toEqual([]);

    const pending = await listTapRequests(await actor('approver'), { scope: 'pending' }, opts());
    expect(pending.requests.every((r) => r.status === 'pending_approval')).toBe(true);
    expect(pending.requests.some((r) => r.id === created.id)).toBe(true);
    const times = pending.requests.map((r) => Date.parse(r.createdAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    await expect(listTapRequests(await actor('mgr'), { scope: 'pending' }, opts())).rejects.toMatchObject({ code: 'forbidden' });
    await expect(listTapRequests(await actor('auditor'), { scope: 'pending' }, opts())).rejects.toMatchObject({ code: 'forbidden' });
    for (const who of ['approver', 'auditor', 'ceo']) {
      expect((await listTapRequests(await actor(who), { scope: 'all' }, opts())).requests.length).toBe(await db.tapRequest.count());
    }
    await expect(listTapRequests(await actor('mgr'), { scope: 'all' }, opts())).rejects.toMatchObject({ code: 'forbidden' });

    for (const who of ['mgr', 'approver', 'auditor', 'ceo']) {
      expect((await getTapRequest(await actor(who), { id: created.id }, opts())).id).toBe(created.id);
    }
    for (const who of ['outsider', 'report', 'other']) {
      await expect(getTapRequest(await actor(who), { id: created.id }, opts())).rejects.toMatchObject({ code: 'not-found' });
    }
  });

  it('revoke: the requester or an admin; approvers and auditors 403; everyone else 404', async () => {
    const created = await request('mgr', 'report4');
    await issue('mgr', created.id);
    await expect(revokeTap(await actor('approver'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'forbidden' });
    await expect(revokeTap(await actor('auditor'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'forbidden' });
    await expect(revokeTap(await actor('outsider'), { id: created.id }, capture.ctx(), opts())).rejects.toMatchObject({ code: 'not-found' });
    const revoked = await revokeTap(await actor('ceo'), { id: created.id }, capture.ctx(), opts());
    expect(revoked).toMatchObject({ status: 'revoked', revokedBy: local.userId('ceo') });
    expect(await graphTapMethods(local, local.userId('report4'))).toEqual([]);
  });
});

describe('the pass is nowhere but in the issue answer', () => {
  it('no issued pass appears in the database, the audit trail or the logs; the chain verifies', async () => {
    expect(passes.length).toBeGreaterThanOrEqual(8);
    const dump = await dumpDatabaseText(db);
    const logs = capture.lines.join('');
    expect(dump.length).toBeGreaterThan(1000);
    expect(logs).toContain('TAP issued');
    for (const pass of passes) {
      expect(dump.includes(pass), 'pass in the database').toBe(false);
      expect(logs.includes(pass), 'pass in the logs').toBe(false);
    }
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, count: await db.auditEvent.count() });
  });
});
