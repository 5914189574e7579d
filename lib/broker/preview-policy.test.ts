/**
 * The policy console's core: previewing a draft against the whole organisation (no writes), saving
 * with a reason, restoring an earlier version, and the version history with who changed what and
 * why — against the local tenant (a generated org whose admin has no reports) and a fresh database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { listPolicyVersions } from '@/lib/broker/list-policy-versions';
import { comparePolicies, getPairOutcome, previewPolicy, type JudgedPerson } from '@/lib/broker/preview-policy';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { getDefaultPolicy, POLICY_FIELDS } from '@/lib/broker/policy';
import { restorePolicyVersion } from '@/lib/broker/restore-policy-version';
import { actorsFor, capturingContext, graphRoundTrips } from '@/lib/testing/tap-requests';
import { updatePolicy } from '@/lib/broker/update-policy';
import { POLICY_PREVIEW_LIST_LIMIT } from '@/lib/contract/policy';
import type { PrismaClient } from '@/lib/db/generated/client';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { buildTestSeed, startLocalTenant, type LocalTenant, type TestSeedUser } from '@/lib/testing/local-tenant';

const DIRECTORY_READERS = '88d8e3e3-8f55-4a1e-953a-9b9898b8876b';
const VPS = 5;
const PER_VP = 45;

/**
 * A generated org: top → 5 VPs → 45 people each (232 users with the admin and auditor, three
 * pages of the directory). The admin and the auditor report to nobody and manage nobody. In
 * vp1's team: a Directory Reader; vp2's: a Global Administrator; vp3's: a guest.
 */
function generatedOrg(): TestSeedUser[] {
  const users: TestSeedUser[] = [
    { upn: 'admin', displayName: 'Ada Admin', appRoles: ['TapBroker.Admin'] },
    { upn: 'auditor', displayName: 'Aud Auditor', appRoles: ['TapBroker.Auditor'] },
    { upn: 'top', displayName: 'Tia Top' },
  ];
  for (let v = 1; v <= VPS; v += 1) {
    users.push({ upn: `vp${v}`, displayName: `Vp ${v}`, manager: 'top' });
    for (let p = 1; p <= PER_VP; p += 1) {
      const extra: Partial<TestSeedUser> =
        p !== 1 ? {} : v === 1 ? { directoryRoles: ['Directory Readers'] } : v === 2 ? { directoryRoles: ['Global Administrator'] } : v === 3 ? { userType: 'Guest' } : {};
      users.push({ upn: `p${v}-${p}`, displayName: `Person ${v}-${String(p).padStart(2, '0')}`, manager: `vp${v}`, ...extra });
    }
  }
  return users;
}

let local: LocalTenant;
let testDb: TestDb;
let db: PrismaClient;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();

beforeAll(async () => {
  local = await startLocalTenant(buildTestSeed(generatedOrg()));
  testDb = await createTestDb();
  db = testDb.prisma;
  actor = actorsFor(local);
});

afterAll(async () => {
  await testDb?.close();
  await local?.close();
});

describe('getPairOutcome and comparePolicies', () => {
  it('judges each (manager, person) pair by depth and eligibility, and bounds every list', () => {
    const base = getDefaultPolicy();
    expect(getPairOutcome({ maxDepth: 2, requireApproval: 'indirect-only' }, true, 1)).toBe('auto');
    expect(getPairOutcome({ maxDepth: 2, requireApproval: 'indirect-only' }, true, 2)).toBe('approval');
    expect(getPairOutcome({ maxDepth: 2, requireApproval: 'never' }, true, 3)).toBe('refused');
    expect(getPairOutcome({ maxDepth: null, requireApproval: 'always' }, false, 1)).toBe('refused');
    // a ← b ← c, and a cycle d ↔ e that must not loop.
    const person = (id: string, managerId: string | null, draft: JudgedPerson['draft'] = []): JudgedPerson => ({
      id,
      displayName: id,
      userPrincipalName: `${id}@x`,
      managerId,
      current: [],
      draft,
    });
    const people = [person('a', null), person('b', 'a'), person('c', 'b', ['privileged-role']), person('d', 'e'), person('e', 'd')];
    const result = comparePolicies({ ...base, requireApproval: 'indirect-only' }, { ...base, requireApproval: 'always' }, people);
    expect(result.pairs).toBe(5); // (a,b) (b,c) (a,c) (e,d) (d,e)
    expect(result.loseEligibility).toEqual({ total: 1, items: [{ id: 'c', displayName: 'c', userPrincipalName: 'c@x', reasons: ['privileged-role'] }] });
    expect(result.pairsRefused.items.map((p) => [p.manager.id, p.person.id, p.depth, p.before, p.cause])).toEqual([
      ['b', 'c', 1, 'auto', 'eligibility'],
      ['a', 'c', 2, 'approval', 'eligibility'],
    ]);
    expect(result.pairsNowNeedApproval.items.map((p) => [p.manager.id, p.person.id, p.cause])).toEqual([
      ['a', 'b', 'approval-rule'],
      ['e', 'd', 'approval-rule'],
      ['d', 'e', 'approval-rule'],
    ]);
    expect(result.current).toEqual({ eligible: 5, allowedPairs: 5, approvalPairs: 1 });
    expect(result.draft).toEqual({ eligible: 4, allowedPairs: 3, approvalPairs: 3 });
  });
});

describe('previewPolicy', () => {
  it('judges the whole org for an admin who manages nobody, in a few round trips, and writes nothing', async () => {
    const admin = await actor('admin');
    const current = await getCurrentPolicy(db);
    const versionsBefore = await db.policyVersion.count();
    const eventsBefore = await db.auditEvent.count();
    const trips = graphRoundTrips(local);

    const preview = await previewPolicy(admin, { ...current, maxDepth: 1 }, capture.ctx(), { db });

    // Three directory pages with the tenant-wide lists riding along, and the TAP policy: never one per person.
    expect(graphRoundTrips(local) - trips).toBeLessThanOrEqual(6);
    const users = 3 + VPS + VPS * PER_VP;
    expect(preview.people).toBe(users);
    expect(preview.pairs).toBe(VPS + 2 * VPS * PER_VP);
    // Ineligible: the admin and auditor (portal roles), the Global Administrator, the guest.
    expect(preview.current.eligible).toBe(users - 4);
    expect(preview.draft.eligible).toBe(users - 4);
    const eligibleDeep = VPS * PER_VP - 2;
    expect(preview.current).toMatchObject({ allowedPairs: VPS + VPS * PER_VP - 2 + eligibleDeep, approvalPairs: eligibleDeep });
    // maxDepth 1: top can no longer ask for anyone below the VPs.
    expect(preview.pairsRefused.total).toBe(eligibleDeep);
    expect(preview.pairsRefused.items).toHaveLength(POLICY_PREVIEW_LIST_LIMIT);
    expect(preview.pairsRefused.items[0]).toMatchObject({
      manager: { displayName: 'Tia Top' },
      person: { displayName: 'Person 1-01', userPrincipalName: expect.stringMatching(/^p1-1@/) },
      depth: 2,
      before: 'approval',
      after: 'refused',
      cause: 'depth',
    });
    expect(preview.pairsNowNeedApproval.total).toBe(0);
    expect(preview.loseEligibility.total).toBe(0);
    expect(preview.tenantViolations).toEqual([]);
    expect(await db.policyVersion.count()).toBe(versionsBefore);
    expect(await db.auditEvent.count()).toBe(eventsBefore);
  });

  it('counts pairs that would now wait for an approver, and who loses eligibility with the reason', async () => {
    const admin = await actor('admin');
    const current = await getCurrentPolicy(db);
    const always = await previewPolicy(admin, { ...current, requireApproval: 'always' }, capture.ctx(), { db });
    expect(always.pairsNowNeedApproval.total).toBe(VPS + VPS * PER_VP - 2);
    expect(always.pairsNowNeedApproval.items[0]).toMatchObject({ depth: 1, before: 'auto', after: 'approval', cause: 'approval-rule' });
    expect(always.pairsRefused.total).toBe(0);

    const stricter = await previewPolicy(admin, { ...current, allowedDirectoryRoleTemplateIds: current.allowedDirectoryRoleTemplateIds.filter((id) => id !== DIRECTORY_READERS) }, capture.ctx(), { db });
    expect(stricter.loseEligibility).toEqual({ total: 1, items: [{ id: local.userId('p1-1'), displayName: 'Person 1-01', userPrincipalName: expect.stringMatching(/^p1-1@/), reasons: ['privileged-role'] }] });
    expect(stricter.pairsRefused.items.map((p) => [p.manager.displayName, p.depth, p.cause])).toEqual([
      ['Vp 1', 1, 'eligibility'],
      ['Tia Top', 2, 'eligibility'],
    ]);
  });

  it("reports the tenant's bounds, refuses malformed drafts and non-admins", async () => {
    const admin = await actor('admin');
    const current = await getCurrentPolicy(db);
    const over = await previewPolicy(admin, { ...current, maxLifetimeInMinutes: 600 }, capture.ctx(), { db });
    expect(over.tenantViolations.map((v) => v.path)).toEqual(['maxLifetimeInMinutes']);
    await expect(previewPolicy(admin, { ...current, maxDepth: 0 }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'validation-failed' });
    await expect(previewPolicy(admin, { ...current, bogus: 1 }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'validation-failed' });
    for (const name of ['auditor', 'top']) {
      await expect(previewPolicy(await actor(name), current, capture.ctx(), { db })).rejects.toMatchObject({ code: 'forbidden' });
    }
  });
});

describe('saving with a reason, restoring, and the history', () => {
  it('keeps the reason with the version and its audit event; a restore is a new version with the old settings', async () => {
    const admin = await actor('admin');
    const current = await getCurrentPolicy(db);
    const saved = await updatePolicy(admin, { ...current, maxDepth: 1, changeReason: '  Only direct reports for now  ' }, capture.ctx(), { db });
    const again = await updatePolicy(admin, { ...current, maxDepth: 1, requireApproval: 'always' }, capture.ctx(), { db });
    const event = await db.auditEvent.findFirstOrThrow({ where: { type: 'policy.updated' }, orderBy: { seq: 'desc' } });
    expect(event.data).not.toHaveProperty('changeReason');

    await expect(restorePolicyVersion(admin, current.version, { changeReason: '   ' }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'validation-failed' });
    await expect(restorePolicyVersion(admin, current.version, {}, capture.ctx(), { db })).rejects.toMatchObject({ code: 'validation-failed' });
    await expect(restorePolicyVersion(admin, 999, { changeReason: 'Back' }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'not-found' });
    await expect(restorePolicyVersion(await actor('auditor'), current.version, { changeReason: 'Back' }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'forbidden' });
    expect(await db.policyVersion.count()).toBe(again.version);

    const restored = await restorePolicyVersion(admin, current.version, { changeReason: 'Back to the defaults after the pilot' }, capture.ctx(), { db });
    const { version: _v1, ...oldSettings } = current;
    const { version: restoredVersion, ...restoredSettings } = restored;
    expect(restoredVersion).toBe(again.version + 1);
    expect(restoredSettings).toEqual(oldSettings);
    const restoreEvent = await db.auditEvent.findFirstOrThrow({ where: { type: 'policy.updated' }, orderBy: { seq: 'desc' } });
    expect(restoreEvent.data).toMatchObject({
      fromVersion: again.version,
      toVersion: restored.version,
      restoredFromVersion: current.version,
      changeReason: 'Back to the defaults after the pilot',
      changedFields: ['maxDepth', 'requireApproval'],
    });
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });

    const { versions } = await listPolicyVersions(await actor('auditor'), capture.ctx(), { db });
    expect(versions.map((v) => v.version)).toEqual([restored.version, again.version, saved.version, ...Array.from({ length: current.version }, (_, i) => current.version - i)]);
    const [newest, second, third] = versions;
    expect(newest).toMatchObject({ createdBy: admin.id, createdByDisplayName: 'Ada Admin', changeReason: 'Back to the defaults after the pilot', restoredFromVersion: current.version, auditSeq: Number(restoreEvent.seq) });
    expect(second).toMatchObject({ changedFields: ['requireApproval'], changeReason: null, restoredFromVersion: null });
    expect(third).toMatchObject({ changedFields: ['maxDepth'], changeReason: 'Only direct reports for now' });
    const first = versions.at(-1);
    expect(first).toMatchObject({ version: 1, createdBy: 'system', createdByDisplayName: null, auditSeq: null, changeReason: null });
    expect(first?.changedFields).toEqual(POLICY_FIELDS);

    await expect(listPolicyVersions(await actor('top'), capture.ctx(), { db })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('refuses a reason that holds a credential or control characters', async () => {
    const admin = await actor('admin');
    const current = await getCurrentPolicy(db);
    const before = await db.policyVersion.count();
    await expect(updatePolicy(admin, { ...current, changeReason: 'token Bearer abcdefghijklmnopqrstuvwxyz' }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'validation-failed' });
    await expect(restorePolicyVersion(admin, 1, { changeReason: 'bad\u0000reason' }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'validation-failed' });
    expect(await db.policyVersion.count()).toBe(before);
  });
});
