/**
 * The policy console's core: previewing a draft against the admin's own org (no writes) and the
 * version history with who changed what — against the local tenant and a fresh database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPolicyVersions } from '@/lib/broker/list-policy-versions';
import { getPolicyReach, previewPolicy } from '@/lib/broker/preview-policy';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { listReportees, type ReporteeView } from '@/lib/broker/list-reportees';
import { getDefaultPolicy, POLICY_FIELDS } from '@/lib/broker/policy';
import { actorsFor, capturingContext, lifecycleSeed } from '@/lib/testing/tap-requests';
import { updatePolicy } from '@/lib/broker/update-policy';
import type { PrismaClient } from '@/lib/db/generated/client';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';

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
});

afterAll(async () => {
  await testDb?.close();
  await local?.close();
});

const person = (depth: number, eligible: boolean): ReporteeView => ({
  id: `${depth}-${eligible}-${Math.random()}`,
  displayName: 'x',
  userPrincipalName: 'x',
  jobTitle: null,
  department: null,
  employeeHireDate: null,
  managerId: 'm',
  depth,
  eligible,
  ineligibleReasons: eligible ? [] : ['account-disabled'],
});

describe('getPolicyReach', () => {
  it('counts reach by depth, eligibility, and who would wait for an approver', () => {
    const people = [person(1, true), person(1, false), person(2, true), person(3, true), person(3, false)];
    const base = getDefaultPolicy();
    expect(getPolicyReach({ ...base, maxDepth: null, requireApproval: 'indirect-only' }, people)).toEqual({ inReach: 5, eligible: 3, needApproval: 2 });
    expect(getPolicyReach({ ...base, maxDepth: 1, requireApproval: 'indirect-only' }, people)).toEqual({ inReach: 2, eligible: 1, needApproval: 0 });
    expect(getPolicyReach({ ...base, maxDepth: 2, requireApproval: 'always' }, people)).toEqual({ inReach: 3, eligible: 2, needApproval: 2 });
    expect(getPolicyReach({ ...base, maxDepth: null, requireApproval: 'never' }, people)).toEqual({ inReach: 5, eligible: 3, needApproval: 0 });
  });
});

describe('previewPolicy', () => {
  it("counts who loses eligibility in the admin's own org, and writes nothing", async () => {
    const ceo = await actor('ceo');
    const current = await getCurrentPolicy(db);
    const everyone = (await listReportees(ceo, { policy: { ...current, maxDepth: null }, db })).reportees;
    const eligibleDeeper = everyone.filter((p) => p.eligible && p.depth > 1).length;
    const versionsBefore = await db.policyVersion.count();
    const eventsBefore = await db.auditEvent.count();

    const preview = await previewPolicy(ceo, { ...current, maxDepth: 1 }, capture.ctx(), { db });

    expect(preview.totalReportees).toBe(everyone.length);
    expect(preview.totalReportees).toBe(19); // everyone in the seed but ceo and the outsider
    expect(preview.draft.inReach).toBe(6); // ceo's direct reports
    expect(preview.current.inReach).toBe(19);
    expect(preview.loseEligibility).toBe(eligibleDeeper);
    expect(preview.loseEligibility).toBeGreaterThan(0);
    expect(preview.gainEligibility).toBe(0);
    expect(preview.draft.needApproval).toBe(0); // indirect-only: direct reports are auto-approved
    expect(preview.tenantViolations).toEqual([]);
    expect(preview.currentVersion).toBe(current.version);
    expect(await db.policyVersion.count()).toBe(versionsBefore);
    expect(await db.auditEvent.count()).toBe(eventsBefore);
  });

  it("reports the tenant's bounds, refuses malformed drafts and non-admins", async () => {
    const ceo = await actor('ceo');
    const current = await getCurrentPolicy(db);
    const over = await previewPolicy(ceo, { ...current, maxLifetimeInMinutes: 600 }, capture.ctx(), { db });
    expect(over.tenantViolations.map((v) => v.path)).toEqual(['maxLifetimeInMinutes']);
    await expect(previewPolicy(ceo, { ...current, maxDepth: 0 }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'validation-failed' });
    await expect(previewPolicy(ceo, { ...current, bogus: 1 }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'validation-failed' });
    for (const name of ['approver', 'auditor', 'mgr']) {
      await expect(previewPolicy(await actor(name), current, capture.ctx(), { db })).rejects.toMatchObject({ code: 'forbidden' });
    }
  });
});

describe('listPolicyVersions', () => {
  it('lists versions newest first with who saved them, what changed, and their audit event', async () => {
    const ceo = await actor('ceo');
    const current = await getCurrentPolicy(db);
    const saved = await updatePolicy(ceo, { ...current, maxDepth: 1 }, capture.ctx(), { db });
    const again = await updatePolicy(ceo, { ...current, maxDepth: 1, requireApproval: 'always' }, capture.ctx(), { db });

    const { versions } = await listPolicyVersions(await actor('auditor'), capture.ctx(), { db });
    expect(versions.map((v) => v.version)).toEqual([again.version, saved.version, ...Array.from({ length: current.version }, (_, i) => current.version - i)]);
    const [newest, previous] = versions;
    expect(newest).toMatchObject({ createdBy: ceo.id, createdByDisplayName: 'Cleo Chief', changedFields: ['requireApproval'] });
    expect(newest?.policy).toMatchObject({ maxDepth: 1, requireApproval: 'always' });
    expect(previous).toMatchObject({ changedFields: ['maxDepth'] });
    const event = await db.auditEvent.findFirstOrThrow({ where: { type: 'policy.updated' }, orderBy: { seq: 'desc' } });
    expect(newest?.auditSeq).toBe(Number(event.seq));
    expect(newest?.auditEventId).toBe(event.id);
    const first = versions.at(-1);
    expect(first).toMatchObject({ version: 1, createdBy: 'system', createdByDisplayName: null, auditSeq: null });
    expect(first?.changedFields).toEqual(POLICY_FIELDS);

    await expect(listPolicyVersions(await actor('mgr'), capture.ctx(), { db })).rejects.toMatchObject({ code: 'forbidden' });
  });
});
