/**
 * The eligibility rule where the chain is checked — the reportee list, create, approve, issue,
 * the approver's queue and the policy preview — one reportee per case, against the local tenant
 * and both databases. Every refusal is 422 `target-ineligible` with the case's reason, nothing is
 * issued, and a re-read of the database shows nothing changed but the refusal.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, useTestDatabases } from '@/lib/testing/audit';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { approveTapRequest } from '@/lib/broker/approve-tap-request';
import type { IneligibleReason } from '@/lib/broker/eligibility';
import { CASES, CONTROLS, eligibilitySeed, groupIdOf, permissionsWithout, setBrokerPermissions, withoutPrivileges } from '@/lib/testing/eligibility';
import { evaluatePendingRequests } from '@/lib/broker/evaluate-pending-requests';
import { issueTap } from '@/lib/broker/issue-tap';
import { listReportees } from '@/lib/broker/list-reportees';
import { previewPolicy } from '@/lib/broker/preview-policy';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { requestTap } from '@/lib/broker/request-tap';
import { actorsFor, capturingContext, graphRoundTrips, graphTapMethods, tapCreates } from '@/lib/testing/tap-requests';
import type { PrismaClient } from '@/lib/db/generated/client';
import type { TestDb } from '@/lib/testing/db';
import { BROKER_GRAPH_PERMISSIONS, startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';

const JUSTIFICATION = 'Lost phone, needs to register a new authenticator';
const DIRECTORY_READERS = '88d8e3e3-8f55-4a1e-953a-9b9898b8876b';

let local: LocalTenant;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();

beforeAll(async () => {
  local = await startLocalTenant(eligibilitySeed());
  actor = actorsFor(local);
});

afterAll(async () => {
  await local?.close();
});

afterEach(() => {
  setBrokerPermissions(local, BROKER_GRAPH_PERMISSIONS);
});

/** Stores a new policy version: the current one with `patch` (the rule reads it on every call). */
async function storeRules(
  db: PrismaClient,
  patch: Partial<{ requireApproval: 'always' | 'never' | 'indirect_only'; protectedGroupIds: string[]; allowedDirectoryRoleTemplateIds: string[]; maxIssuancesPerManagerPerDay: number; maxPendingRequestsPerRequester: number }>,
): Promise<void> {
  const current = await db.policyVersion.findFirstOrThrow({ orderBy: { version: 'desc' } });
  const { version: _version, createdAt: _createdAt, ...fields } = current;
  await db.policyVersion.create({ data: { ...fields, ...patch, createdBy: 'test' } });
}

/** Everything the database holds about requests, and the number of audit events. */
async function snapshot(db: PrismaClient): Promise<{ rows: unknown[]; events: number }> {
  return { rows: await db.tapRequest.findMany({ orderBy: { id: 'asc' } }), events: await db.auditEvent.count() };
}

/** The audit events written after `count`, oldest first. */
async function eventsSince(db: PrismaClient, count: number) {
  return db.auditEvent.findMany({ orderBy: { seq: 'asc' }, skip: count });
}

async function request(db: PrismaClient, target: string) {
  return requestTap(await actor('mgr'), { targetUserId: local.userId(target), justification: JUSTIFICATION }, capture.ctx(), { db });
}

/** A request filed while `target` held nothing (as if they gained it later). */
async function requestBeforePrivileges(db: PrismaClient, target: string) {
  const restore = withoutPrivileges(local, target);
  try {
    return await request(db, target);
  } finally {
    restore();
  }
}

function reasonsByName(reportees: { userPrincipalName: string; ineligibleReasons: string[] }[]): Record<string, string[]> {
  return Object.fromEntries(reportees.map((r) => [r.userPrincipalName.split('@')[0] ?? '', r.ineligibleReasons]));
}

const ALL = [...CASES, ...CONTROLS];
const expectedReasons = Object.fromEntries(ALL.map((c) => [c.name, c.reasons]));

/** A refusal of one step: 422 with exactly `reasons`, one Graph round trip, nothing issued. */
async function expectRefused(step: () => Promise<unknown>, reasons: readonly IneligibleReason[]): Promise<void> {
  const trips = graphRoundTrips(local);
  const creates = tapCreates(local);
  const error = await step().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ code: 'target-ineligible', status: 422, reasons });
  expect(graphRoundTrips(local) - trips).toBe(1);
  expect(tapCreates(local)).toBe(creates);
}

describe('the eligibility rule at every step', () => {
  const databases = useTestDatabases();

  describe.each(DB_KINDS)('on %s', (kind) => {
    let testDb: TestDb;
    let db: PrismaClient;

    beforeAll(async () => {
      testDb = await databases.open(kind);
      db = testDb.prisma;
      // The quota and the pending cap have their own tests; here they must not interfere.
      await storeRules(db, { protectedGroupIds: [groupIdOf(local, 'Executives')], maxIssuancesPerManagerPerDay: 1000, maxPendingRequestsPerRequester: 100 });
    });

    afterAll(async () => {
      await testDb?.close();
    });

    it('the reportee list names every case’s reason, in two batched round trips for thirteen people', async () => {
      const trips = graphRoundTrips(local);
      const before = { ...local.tenant.ctx.stats.batched };
      const { reportees } = await listReportees(await actor('mgr'), { db });
      expect(reasonsByName(reportees)).toEqual(expectedReasons);
      expect(reportees.filter((r) => r.eligible).map((r) => r.userPrincipalName.split('@')[0]).sort()).toEqual(['plain', 'reader']);
      // Round 1: the caller, their reports and the tenant-wide reads; round 2: the directory page
      // (16 people: cheaper than listing 13 managers) with the group and unit members riding along.
      expect(graphRoundTrips(local) - trips).toBe(2);
      const items = Object.fromEntries(
        Object.entries(local.tenant.ctx.stats.batched)
          .map(([template, n]) => [template, n - (before[template] ?? 0)] as const)
          .filter(([, n]) => n > 0),
      );
      expect(items).toEqual({
        'GET /v1.0/users/{id}': 1,
        'GET /v1.0/users/{id}/directReports': 1,
        'GET /v1.0/users/$count': 1,
        'GET /v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass': 1,
        'GET /v1.0/roleManagement/directory/roleAssignmentScheduleInstances': 1,
        'GET /v1.0/roleManagement/directory/roleEligibilityScheduleInstances': 1,
        'GET /v1.0/groups': 1,
        'GET /v1.0/directory/administrativeUnits': 1,
        'GET /v1.0/servicePrincipals(appId={id})/appRoleAssignedTo': 1,
        'GET /v1.0/users': 1,
        // "Portal Auditors" (holds a portal role) and "Executives" (protected).
        'GET /v1.0/groups/{id}/transitiveMembers': 2,
        // "Tier One Ops", the one role-assignable group.
        'GET /v1.0/groups/{id}/members': 1,
        'GET /v1.0/groups/{id}/owners': 1,
        // "Break Glass", the one restricted unit.
        'GET /v1.0/directory/administrativeUnits/{id}/members': 1,
      });
    });

    it.each(CASES.map((c) => [c.what, c] as const))('%s: refused at create, nothing stored but the refusal', async (_what, c) => {
      const before = await snapshot(db);
      await expectRefused(() => request(db, c.name), c.reasons);
      expect((await snapshot(db)).rows).toEqual(before.rows);
      const events = await eventsSince(db, before.events);
      expect(events.map((e) => e.type)).toEqual(['tap_request.refused']);
      expect(events[0]?.data).toMatchObject({ stage: 'create', code: 'target-ineligible', reasons: c.reasons });
    });

    it.each(CASES.map((c) => [c.what, c] as const))('%s: refused at approve — the request fails, nothing else changes', async (_what, c) => {
      await storeRules(db, { requireApproval: 'always' });
      const created = await requestBeforePrivileges(db, c.name);
      expect(created.status).toBe('pending_approval');
      const before = await snapshot(db);
      await expectRefused(async () => approveTapRequest(await actor('approver'), { id: created.id }, capture.ctx(), { db }), c.reasons);
      const after = await snapshot(db);
      const changed = after.rows.filter((row, index) => JSON.stringify(row) !== JSON.stringify(before.rows[index]));
      expect(changed).toEqual([expect.objectContaining({ id: created.id, status: 'failed', failureCode: 'target-ineligible' })]);
      const events = await eventsSince(db, before.events);
      expect(events.map((e) => e.type)).toEqual(['tap_request.refused']);
      expect(events[0]?.data).toMatchObject({ stage: 'approve', code: 'target-ineligible', reasons: c.reasons, newStatus: 'failed' });
    });

    it.each(CASES.map((c) => [c.what, c] as const))('%s: refused at issue — no pass in Graph, the request fails', async (_what, c) => {
      await storeRules(db, { requireApproval: 'never' });
      const created = await requestBeforePrivileges(db, c.name);
      expect(created.status).toBe('approved');
      const before = await snapshot(db);
      await expectRefused(async () => issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), { db }), c.reasons);
      expect(await graphTapMethods(local, local.userId(c.name))).toEqual([]);
      const after = await snapshot(db);
      const changed = after.rows.filter((row, index) => JSON.stringify(row) !== JSON.stringify(before.rows[index]));
      expect(changed).toEqual([expect.objectContaining({ id: created.id, status: 'failed', failureCode: 'target-ineligible' })]);
      const events = await eventsSince(db, before.events);
      expect(events.map((e) => e.type)).toEqual(['tap_request.refused']);
      expect(events[0]?.data).toMatchObject({ stage: 'issue', code: 'target-ineligible', reasons: c.reasons, newStatus: 'failed' });
    });

    it('the approver’s queue flags every case, read for all targets in one batched round', async () => {
      await storeRules(db, { requireApproval: 'always' });
      const ids = new Map<string, string>();
      for (const c of ALL) ids.set((await requestBeforePrivileges(db, c.name)).id, c.name);
      const before = await snapshot(db);
      const trips = graphRoundTrips(local);
      const { evaluations } = await evaluatePendingRequests(await actor('approver'), capture.ctx(), { db });
      // 13 targets × 6 reads + 3 shared = 81 items: five $batch requests, four in flight at once.
      expect(graphRoundTrips(local) - trips).toBe(Math.ceil((ALL.length * 6 + 3) / 20));
      const byName = Object.fromEntries(evaluations.filter((e) => ids.has(e.requestId)).map((e) => [ids.get(e.requestId), e.reasons]));
      expect(byName).toEqual(expectedReasons);
      for (const e of evaluations.filter((x) => ids.has(x.requestId))) {
        const name = ids.get(e.requestId) ?? '';
        expect(e.approvable).toBe(expectedReasons[name]?.length === 0);
      }
      expect(await snapshot(db)).toEqual(before);
    });

    it('an allow-listed reader and an ordinary member get their pass: create in 1 round trip, issue in 2', async () => {
      await storeRules(db, { requireApproval: 'never' });
      for (const c of CONTROLS) {
        let trips = graphRoundTrips(local);
        const created = await request(db, c.name);
        expect(graphRoundTrips(local) - trips).toBe(1);
        expect(created.status).toBe('approved');
        trips = graphRoundTrips(local);
        const issued = await issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), { db });
        expect(graphRoundTrips(local) - trips).toBe(2);
        expect((await graphTapMethods(local, local.userId(c.name))).map((m) => m.id)).toEqual([issued.methodId]);
      }
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
    });

    it('the policy preview judges eligibility under the draft: its allow-list and its protected groups', async () => {
      const ceo = await actor('ceo');
      const current = await getCurrentPolicy(db);
      const stricter = await previewPolicy(ceo, { ...current, allowedDirectoryRoleTemplateIds: current.allowedDirectoryRoleTemplateIds.filter((id) => id !== DIRECTORY_READERS) }, capture.ctx(), { db });
      expect(stricter).toMatchObject({ loseEligibility: { total: 1 }, gainEligibility: { total: 0 } });
      expect(stricter.draft.eligible).toBe(stricter.current.eligible - 1);
      const laxer = await previewPolicy(ceo, { ...current, protectedGroupIds: [] }, capture.ctx(), { db });
      expect(laxer).toMatchObject({ loseEligibility: { total: 0 }, gainEligibility: { total: 1 } });
      const newlyProtected = await previewPolicy(ceo, { ...current, protectedGroupIds: [...current.protectedGroupIds, groupIdOf(local, 'Staff')] }, capture.ctx(), { db });
      // plain and reader are both in "Staff".
      expect(newlyProtected).toMatchObject({ loseEligibility: { total: 2 }, gainEligibility: { total: 0 } });
    });

    describe('a permission the broker lacks: cannot-verify at every step, never "no role"', () => {
      const missing: [string, string[]][] = [
        ['GroupMember.Read.All', permissionsWithout('GroupMember.Read.All')],
        ['AdministrativeUnit.Read.All', permissionsWithout('AdministrativeUnit.Read.All')],
        ['RoleManagement.Read.Directory', permissionsWithout('RoleManagement.Read.Directory')],
        ['RoleEligibilitySchedule.Read.Directory (RoleAssignmentSchedule.Read.Directory alone)', permissionsWithout('RoleManagement.Read.Directory', ['RoleAssignmentSchedule.Read.Directory'])],
        ['Application.Read.All', permissionsWithout('Application.Read.All')],
        ['Policy.Read.AuthenticationMethod (Policy.Read.All instead)', permissionsWithout('Policy.Read.AuthenticationMethod', ['Policy.Read.All'])],
      ];

      it.each(missing)('without %s', async (_name, permissions) => {
        await storeRules(db, { requireApproval: 'always' });
        const pending = await request(db, 'plain');
        await storeRules(db, { requireApproval: 'never' });
        const approved = await request(db, 'plain');
        expect([pending.status, approved.status]).toEqual(['pending_approval', 'approved']);

        setBrokerPermissions(local, permissions);
        const before = await snapshot(db);
        await expectRefused(() => request(db, 'plain'), ['cannot-verify']);
        await expectRefused(async () => approveTapRequest(await actor('approver'), { id: pending.id }, capture.ctx(), { db }), ['cannot-verify']);
        await expectRefused(async () => issueTap(await actor('mgr'), { id: approved.id }, capture.ctx(), { db }), ['cannot-verify']);
        const after = await snapshot(db);
        expect(after.rows.filter((row, index) => JSON.stringify(row) !== JSON.stringify(before.rows[index]))).toEqual(
          [pending.id, approved.id].sort().map((id) => expect.objectContaining({ id, status: 'failed', failureCode: 'target-ineligible' })),
        );
        expect((await eventsSince(db, before.events)).map((e) => e.type)).toEqual(['tap_request.refused', 'tap_request.refused', 'tap_request.refused']);

        const { reportees } = await listReportees(await actor('mgr'), { db });
        for (const r of reportees) expect(r.ineligibleReasons).toContain('cannot-verify');
        expect(capture.lines.join('')).toContain('missingPermission');
      });
    });
  });
});
