/**
 * The team list from the org-chart mirror, against the local tenant and a real test database: the
 * same people as the live Graph walk with no Graph call at read time, moves, disables and deletions
 * after the next sync, the live fallback when the mirror is off, not synced, stale or does not know
 * the caller — and creating a request still reads Graph fresh, whatever the mirror says.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listReportees, ORG_MIRROR_MAX_AGE_SYNCS, type ReporteeList, type ReporteeView } from '@/lib/broker/list-reportees';
import { getDefaultPolicy } from '@/lib/broker/policy';
import type { ListReporteesQuery } from '@/lib/contract/reportees';
import { listTapRequests } from '@/lib/broker/list-tap-requests';
import { requestTap } from '@/lib/broker/request-tap';
import { syncOrgMirror } from '@/lib/broker/sync-org-mirror';
import type { PrismaClient } from '@/lib/db/generated/client';
import { resetEnvForTests } from '@/lib/env';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { buildTestSeed, startLocalTenant, type LocalTenant, type TestSeedUser } from '@/lib/testing/local-tenant';
import { actorsFor, capturingContext, graphRoundTrips, moveUser } from '@/lib/testing/tap-requests';
import { removeUser, updateUser } from '@/tenant/directory';

/**
 *   ceo
 *   ├─ mgr ── a1 ── b1 ── c1
 *   │     ├─ a2 (disabled)
 *   │     └─ g1 (guest)
 *   └─ mgr2 ── x1
 *   outsider, approver (TapBroker.Approver)
 */
const ORG: TestSeedUser[] = [
  { upn: 'ceo', displayName: 'Cora CEO' },
  { upn: 'mgr', displayName: 'Mona Manager', manager: 'ceo' },
  { upn: 'mgr2', displayName: 'Milo Manager', manager: 'ceo' },
  { upn: 'a1', displayName: 'Ada Engineer', manager: 'mgr', jobTitle: 'Engineer', department: 'Platform' },
  { upn: 'a2', displayName: 'Abe Disabled', manager: 'mgr', accountEnabled: false },
  { upn: 'g1', displayName: 'Gus Guest', manager: 'mgr', userType: 'Guest' },
  { upn: 'b1', displayName: 'Bea Lead', manager: 'a1' },
  { upn: 'c1', displayName: 'Cal Junior', manager: 'b1', employeeHireDate: '2026-11-23T00:00:00Z' },
  { upn: 'x1', displayName: 'Xena Seller', manager: 'mgr2' },
  { upn: 'outsider', displayName: 'Otto Outsider' },
  { upn: 'approver', displayName: 'Ava Approver', appRoles: ['TapBroker.Approver'] },
];

const SYNC_SECONDS = 60;
const JUSTIFICATION = 'Lost phone, needs to register a new authenticator';

let local: LocalTenant;
let testDb: TestDb;
let db: PrismaClient;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();
const savedSyncSeconds = process.env.ORG_MIRROR_SYNC_SECONDS;

function setSyncSeconds(value: string | undefined): void {
  if (value === undefined) delete process.env.ORG_MIRROR_SYNC_SECONDS;
  else process.env.ORG_MIRROR_SYNC_SECONDS = value;
  resetEnvForTests();
}

beforeAll(async () => {
  local = await startLocalTenant(buildTestSeed(ORG));
  actor = actorsFor(local);
  testDb = await createTestDb();
  db = testDb.prisma;
});

afterAll(async () => {
  setSyncSeconds(savedSyncSeconds);
  await testDb?.close();
  await local?.close();
});

beforeEach(async () => {
  setSyncSeconds(String(SYNC_SECONDS));
  await db.orgMirrorUser.deleteMany();
  await db.orgMirrorStaging.deleteMany();
  await db.orgMirrorState.deleteMany();
  const response = await fetch(`${local.url}/_tenant/seed`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(buildTestSeed(ORG)) });
  expect(response.ok).toBe(true);
});

/** One completed sync round at `now`. */
async function sync(now = new Date()): Promise<Date> {
  const result = await syncOrgMirror(capture.ctx(), { db, now });
  expect(result.outcome).toBe('synced');
  return now;
}

/** The list for `name`, with the Graph round trips it cost. */
async function list(
  name: string,
  options: { useMirror?: boolean; now?: Date; maxDepth?: number | null; query?: ListReporteesQuery } = {},
): Promise<{ result: ReporteeList; trips: number }> {
  const who = await actor(name);
  const before = graphRoundTrips(local);
  const result = await listReportees(who, {
    db,
    policy: { ...getDefaultPolicy(), maxDepth: options.maxDepth ?? null },
    ...(options.useMirror === undefined ? {} : { useMirror: options.useMirror }),
    ...(options.now ? { now: options.now } : {}),
    ...(options.query ? { query: options.query } : {}),
  });
  return { result, trips: graphRoundTrips(local) - before };
}

const nameOf = (r: ReporteeView) => r.userPrincipalName.split('@')[0] ?? '';

/** The org-chart part of a list, by user name: depth and manager's name. */
function chart(reportees: ReporteeView[]): Record<string, { depth: number; manager: string }> {
  const names = new Map([...local.tenant.ctx.directory.users.values()].map((u) => [u.id, u.userPrincipalName.split('@')[0] ?? '']));
  return Object.fromEntries(reportees.map((r) => [nameOf(r), { depth: r.depth, manager: names.get(r.managerId) ?? r.managerId }]));
}

describe('listReportees from the org-chart mirror', () => {
  it('lists the same people, depths and managers as the live Graph walk, without a Graph call', async () => {
    const syncedAt = await sync();
    const live = await list('ceo', { useMirror: false });
    expect(live.result.source).toBe('graph');
    expect(live.trips).toBeGreaterThan(0);

    const mirrored = await list('ceo');
    expect(mirrored.trips).toBe(0);
    expect(mirrored.result).toMatchObject({ source: 'mirror', asOf: syncedAt.toISOString(), eligibilityScope: 'account' });
    expect(chart(mirrored.result.reportees)).toEqual(chart(live.result.reportees));
    expect(Object.keys(chart(mirrored.result.reportees)).sort()).toEqual(['a1', 'a2', 'b1', 'c1', 'g1', 'mgr', 'mgr2', 'x1']);
    // Same names, profile (title, department, hire date) and order (by depth, then display name).
    const profile = (r: ReporteeList['reportees'][number]) => [r.id, r.displayName, r.userPrincipalName, r.jobTitle, r.department, r.employeeHireDate];
    expect(mirrored.result.reportees.map(profile)).toEqual(live.result.reportees.map(profile));
    expect(mirrored.result.reportees.some((r) => r.jobTitle !== null)).toBe(true);
    // The mirror judges the account only; each of its reasons is one the full rule gives too.
    const liveReasons = new Map(live.result.reportees.map((r) => [r.id, r.ineligibleReasons]));
    for (const r of mirrored.result.reportees) expect(liveReasons.get(r.id)).toEqual(expect.arrayContaining(r.ineligibleReasons));
    const reasons = Object.fromEntries(mirrored.result.reportees.map((r) => [nameOf(r), r.ineligibleReasons]));
    expect(reasons).toMatchObject({ a2: ['account-disabled'], g1: ['guest'], a1: [], x1: [] });
    expect(mirrored.result.reportees.filter((r) => r.eligible).map(nameOf).sort()).toEqual(['a1', 'b1', 'c1', 'mgr', 'mgr2', 'x1']);
  });

  it('searches and pages in the database as the live path does in memory: the same page and total', async () => {
    await sync();
    const ids = (list: ReporteeList) => list.reportees.map(nameOf);
    const everyone = await list('ceo', { query: {} });
    expect(everyone.result.total).toBe(8);
    for (const query of [{ limit: 3 }, { limit: 3, offset: 3 }, { limit: 5, offset: 6 }, { offset: 20 }, { q: 'MANAGER' }, { q: 'a', limit: 2, offset: 1 }, { q: 'nobody' }]) {
      const mirrored = await list('ceo', { query });
      const live = await list('ceo', { query, useMirror: false });
      expect(mirrored.trips, JSON.stringify(query)).toBe(0);
      expect(mirrored.result.source).toBe('mirror');
      expect([ids(mirrored.result), mirrored.result.total], JSON.stringify(query)).toEqual([ids(live.result), live.result.total]);
    }
    expect(ids((await list('ceo', { query: { limit: 3, offset: 3 } })).result)).toEqual(ids(everyone.result).slice(3, 6));
    expect((await list('ceo', { query: { q: 'manager' } })).result).toMatchObject({ total: 2 });
    expect(ids((await list('ceo', { query: { q: 'manager' } })).result).sort()).toEqual(['mgr', 'mgr2']);
  });

  it("bounds the list by the policy's depth, as the live walk does", async () => {
    await sync();
    const mirrored = await list('mgr', { maxDepth: 2 });
    expect(mirrored.trips).toBe(0);
    expect(chart(mirrored.result.reportees)).toEqual(chart((await list('mgr', { maxDepth: 2, useMirror: false })).result.reportees));
    expect(Object.keys(chart(mirrored.result.reportees)).sort()).toEqual(['a1', 'a2', 'b1', 'g1']);
    expect(Object.keys(chart((await list('mgr', { maxDepth: 1 })).result.reportees)).sort()).toEqual(['a1', 'a2', 'g1']);
  });

  it("a manager moved in Graph leaves the old manager's list after the next sync, with their team, and joins the new one's", async () => {
    await sync();
    await moveUser(local, 'b1', 'mgr2');
    // Until the next round the mirror shows the org as of its last one, and says so.
    expect(Object.keys(chart((await list('mgr')).result.reportees))).toContain('b1');
    const syncedAt = await sync();

    const old = await list('mgr');
    expect(old.trips).toBe(0);
    expect(old.result.asOf).toBe(syncedAt.toISOString());
    expect(Object.keys(chart(old.result.reportees)).sort()).toEqual(['a1', 'a2', 'g1']);
    const now = await list('mgr2');
    expect(chart(now.result.reportees)).toEqual({ b1: { depth: 1, manager: 'mgr2' }, c1: { depth: 2, manager: 'b1' }, x1: { depth: 1, manager: 'mgr2' } });
    expect(chart(now.result.reportees)).toEqual(chart((await list('mgr2', { useMirror: false })).result.reportees));
  });

  it('a disabled reportee stays listed as not eligible; a deleted one leaves the list (their reports with them)', async () => {
    await sync();
    updateUser(local.tenant.ctx.directory, local.userId('x1'), { accountEnabled: false });
    removeUser(local.tenant.ctx.directory, local.userId('b1'), 'deleted');
    await sync();

    const mirrored = await list('ceo');
    expect(mirrored.trips).toBe(0);
    const byName = Object.fromEntries(mirrored.result.reportees.map((r) => [nameOf(r), r]));
    expect(byName.x1).toMatchObject({ eligible: false, ineligibleReasons: ['account-disabled'] });
    expect(Object.keys(byName).sort()).toEqual(['a1', 'a2', 'g1', 'mgr', 'mgr2', 'x1']);
    expect(chart(mirrored.result.reportees)).toEqual(chart((await list('ceo', { useMirror: false })).result.reportees));
  });

  it('refuses a caller the mirror holds as disabled or a guest, without a Graph call', async () => {
    await actor('mgr'); // the token is taken while the account is still enabled
    updateUser(local.tenant.ctx.directory, local.userId('mgr'), { accountEnabled: false });
    await sync();
    const before = graphRoundTrips(local);
    await expect(listReportees(await actor('mgr'), { db, policy: getDefaultPolicy() })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(listReportees(await actor('g1'), { db, policy: getDefaultPolicy() })).rejects.toMatchObject({ code: 'forbidden' });
    expect(graphRoundTrips(local) - before).toBe(0);
  });
});

describe('listReportees falls back to the live Graph walk', () => {
  it('before the first sync', async () => {
    const answer = await list('mgr');
    expect(answer.result).toMatchObject({ source: 'graph', eligibilityScope: 'full' });
    expect(answer.trips).toBeGreaterThan(0);
  });

  it(`when the last completed round is more than ${ORG_MIRROR_MAX_AGE_SYNCS} sync intervals old (a failing or stopped sync)`, async () => {
    const syncedAt = await sync(new Date('2030-01-01T00:00:00Z'));
    const bound = syncedAt.getTime() + ORG_MIRROR_MAX_AGE_SYNCS * SYNC_SECONDS * 1000;
    const atBound = await list('mgr', { now: new Date(bound) });
    expect(atBound).toMatchObject({ trips: 0, result: { source: 'mirror', asOf: syncedAt.toISOString() } });
    // A recorded failure does not matter while the last round is young enough; age does.
    await db.orgMirrorState.update({ where: { id: 1 }, data: { status: 'failed', lastError: 'Error: test' } });
    expect((await list('mgr', { now: new Date(bound) })).result.source).toBe('mirror');
    const stale = await list('mgr', { now: new Date(bound + 1) });
    expect(stale.result).toMatchObject({ source: 'graph', asOf: new Date(bound + 1).toISOString(), eligibilityScope: 'full' });
    expect(stale.trips).toBeGreaterThan(0);
  });

  it('when the sync is off (ORG_MIRROR_SYNC_SECONDS=0), even with a synced mirror', async () => {
    await sync();
    setSyncSeconds('0');
    const answer = await list('mgr');
    expect(answer.result.source).toBe('graph');
    expect(answer.trips).toBeGreaterThan(0);
  });

  it('when the mirror does not know the caller yet', async () => {
    await sync();
    removeUser(local.tenant.ctx.directory, local.userId('mgr2'));
    await sync();
    // mgr2 is back in Graph (a new seed epoch) but not in the mirror until the next round.
    const response = await fetch(`${local.url}/_tenant/seed`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(buildTestSeed(ORG)) });
    expect(response.ok).toBe(true);
    const answer = await list('mgr2');
    expect(answer.result.source).toBe('graph');
    expect(Object.keys(chart(answer.result.reportees))).toEqual(['x1']);
  });
});

describe('decisions read Graph fresh while the mirror serves the list', () => {
  it('create costs its one Graph round trip and refuses someone the mirror still lists under the caller; the approver queue reads no Graph', async () => {
    await sync();
    const mgr = await actor('mgr');
    let trips = graphRoundTrips(local);
    const created = await requestTap(mgr, { targetUserId: local.userId('a1'), justification: JUSTIFICATION }, capture.ctx(), { db });
    expect(graphRoundTrips(local) - trips).toBe(1);
    expect(created.targetUserId).toBe(local.userId('a1'));

    // An indirect report waits for an approver; the approver's queue is read from the database alone.
    trips = graphRoundTrips(local);
    const pending = await requestTap(mgr, { targetUserId: local.userId('b1'), justification: JUSTIFICATION }, capture.ctx(), { db });
    expect(graphRoundTrips(local) - trips).toBe(1);
    trips = graphRoundTrips(local);
    const queue = await listTapRequests(await actor('approver'), { scope: 'pending' }, { db });
    expect(queue.requests.map((r) => r.id)).toEqual([pending.id]);
    expect(graphRoundTrips(local) - trips).toBe(0);

    await moveUser(local, 'c1', 'mgr2');
    expect(Object.keys(chart((await list('mgr')).result.reportees))).toContain('c1');
    trips = graphRoundTrips(local);
    await expect(requestTap(mgr, { targetUserId: local.userId('c1'), justification: JUSTIFICATION }, capture.ctx(), { db })).rejects.toMatchObject({
      code: 'not-in-reporting-chain',
    });
    expect(graphRoundTrips(local) - trips).toBe(1);
    expect(await db.tapRequest.count({ where: { targetUserId: local.userId('c1') } })).toBe(0);
  });
});
