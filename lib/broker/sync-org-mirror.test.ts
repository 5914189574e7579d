/**
 * The org-chart mirror against the local tenant's users delta and a real test database: the first
 * round copies the directory, later rounds follow moves, renames, disables and deletions, a stale
 * link (410) resyncs from scratch, and a round that fails half-way changes nothing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { syncOrgMirror } from '@/lib/broker/sync-org-mirror';
import type { PrismaClient } from '@/lib/db/generated/client';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { buildTestSeed, startLocalTenant, type LocalTenant, type TestSeedUser } from '@/lib/testing/local-tenant';
import { capturingContext, graphRoundTrips } from '@/lib/testing/tap-requests';
import { removeUser, setManager, updateUser } from '@/tenant/directory';

let local: LocalTenant;
let testDb: TestDb;
let db: PrismaClient;
const capture = capturingContext();
/** Small pages, so the seed's 14 users take three. */
const PAGE_SIZE = 5;

function seedUsers(): TestSeedUser[] {
  const users: TestSeedUser[] = [
    { upn: 'ceo', displayName: 'Ce O' },
    { upn: 'mgr1', displayName: 'Manager One', manager: 'ceo' },
    { upn: 'mgr2', displayName: 'Manager Two', manager: 'ceo' },
    { upn: 'guest', displayName: 'Gu Est', manager: 'mgr2', userType: 'Guest' },
  ];
  for (let i = 1; i <= 10; i++) users.push({ upn: `staff${i}`, displayName: `Staff ${i}`, manager: i <= 5 ? 'mgr1' : 'mgr2', jobTitle: `Engineer ${i}`, department: i <= 5 ? 'Platform' : 'Apps' });
  // A new hire: the team page's badge comes from the mirror too.
  users.push({ ...users.pop()!, employeeHireDate: '2026-11-23T00:00:00Z' });
  return users;
}

beforeAll(async () => {
  local = await startLocalTenant(buildTestSeed(seedUsers()));
  testDb = await createTestDb();
  db = testDb.prisma;
});

afterAll(async () => {
  await testDb?.close();
  await local?.close();
});

beforeEach(async () => {
  // Each test starts from an empty mirror and a fresh tenant directory (a new seed epoch).
  await db.orgMirrorUser.deleteMany();
  await db.orgMirrorStaging.deleteMany();
  await db.orgMirrorState.deleteMany();
  const response = await fetch(`${local.url}/_tenant/seed`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(buildTestSeed(seedUsers())) });
  expect(response.ok).toBe(true);
});

const directory = () => local.tenant.ctx.directory;

/** The tenant's directory in the mirror's shape, sorted by id. */
function expectedMirror(): Record<string, unknown>[] {
  return [...directory().users.values()]
    .map((u) => ({
      id: u.id,
      managerId: u.managerId,
      displayName: u.displayName,
      userPrincipalName: u.userPrincipalName,
      accountEnabled: u.accountEnabled,
      userType: u.userType,
      jobTitle: u.jobTitle,
      department: u.department,
      employeeHireDate: u.employeeHireDate,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

async function mirror(): Promise<Record<string, unknown>[]> {
  return db.orgMirrorUser.findMany({
    orderBy: { id: 'asc' },
    select: { id: true, managerId: true, displayName: true, userPrincipalName: true, accountEnabled: true, userType: true, jobTitle: true, department: true, employeeHireDate: true },
  });
}

/** Ids of the mirror's direct reports of `name`. */
async function reportsOf(name: string): Promise<string[]> {
  const rows = await db.orgMirrorUser.findMany({ where: { managerId: local.userId(name) }, select: { id: true } });
  return rows.map((r) => r.id).sort();
}

const sync = (options: { now?: Date } = {}) => syncOrgMirror(capture.ctx(), { db, pageSize: PAGE_SIZE, ...options });
const deltaRequests = () => local.tenant.ctx.stats.graph['GET /v1.0/users/delta'] ?? 0;

/** The `n`-th users delta request from now loses its connection (a failure in the middle of a round). */
function dropDeltaRequest(n: number): () => void {
  const faults = local.tenant.ctx.faults;
  const target = deltaRequests() + n;
  // The tenant counts a request before it applies faults, so the count names the request at hand.
  Object.defineProperty(faults, 'dropNext', { configurable: true, get: () => (deltaRequests() === target ? 1 : 0), set: () => undefined });
  return () => Object.defineProperty(faults, 'dropNext', { configurable: true, writable: true, value: 0 });
}

describe('syncOrgMirror', () => {
  it('copies a directory of several pages on the first round, and stores its deltaLink', async () => {
    const before = deltaRequests();
    expect(await sync()).toEqual({ outcome: 'synced', full: true, pages: 3, changes: 14, users: 14 });
    expect(deltaRequests() - before).toBe(3);
    expect(await mirror()).toEqual(expectedMirror());
    const state = await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } });
    expect(state).toMatchObject({ status: 'ok', lastError: null, users: 14, leaseOwner: null, leaseUntil: null });
    expect(state.deltaLink).toMatch(/\/users\/delta\?\$deltatoken=/);
    expect(state.lastFullSyncAt).toEqual(state.lastSyncedAt);
    // The link is a credential-like token: never in the logs.
    expect(capture.lines.join('\n')).not.toContain(state.deltaLink as string);
  });

  it('follows a manager move: the old manager loses the report, the new one gains it', async () => {
    await sync();
    const mover = local.userId('staff1');
    expect(await reportsOf('mgr1')).toContain(mover);
    setManager(directory(), mover, local.userId('mgr2'));

    const result = await sync();
    expect(result).toMatchObject({ outcome: 'synced', full: false, changes: 1, users: 14 });
    expect(await reportsOf('mgr1')).not.toContain(mover);
    expect(await reportsOf('mgr2')).toContain(mover);
    expect(await mirror()).toEqual(expectedMirror());
  });

  it('reflects a disable, a rename, a cleared manager and deletions (soft and permanent)', async () => {
    await sync();
    updateUser(directory(), local.userId('staff2'), { accountEnabled: false });
    const staff3 = local.userId('staff3');
    updateUser(directory(), staff3, { displayName: 'Staff Three', userPrincipalName: 'staff.three@test.contoso.test', jobTitle: 'Staff Engineer', department: 'Security' });
    setManager(directory(), local.userId('staff4'), null);
    const [staff6, mgr1] = [local.userId('staff6'), local.userId('mgr1')];
    removeUser(directory(), staff6);
    removeUser(directory(), mgr1, 'deleted'); // their reports are left without a manager

    expect(await sync()).toMatchObject({ outcome: 'synced', full: false, users: 12 });
    expect(await mirror()).toEqual(expectedMirror());
    const ids = (await mirror()).map((u) => u.id);
    expect(ids).not.toContain(staff6);
    expect(ids).not.toContain(mgr1);
    expect(await db.orgMirrorUser.findUniqueOrThrow({ where: { id: local.userId('staff2') } })).toMatchObject({ accountEnabled: false });
    expect(await db.orgMirrorUser.findUniqueOrThrow({ where: { id: staff3 } })).toMatchObject({
      displayName: 'Staff Three',
      userPrincipalName: 'staff.three@test.contoso.test',
      jobTitle: 'Staff Engineer',
      department: 'Security',
    });
    expect(await db.orgMirrorUser.findUniqueOrThrow({ where: { id: local.userId('staff4') } })).toMatchObject({ managerId: null });
    expect(await db.orgMirrorUser.count({ where: { managerId: mgr1 } })).toBe(0);
  });

  it('keeps the manager of a user whose other properties changed (no manager@delta = unchanged)', async () => {
    await sync();
    updateUser(directory(), local.userId('staff7'), { displayName: 'Staff Seven' });
    expect(await sync()).toMatchObject({ full: false, changes: 1 });
    expect(await db.orgMirrorUser.findUniqueOrThrow({ where: { id: local.userId('staff7') } })).toMatchObject({
      displayName: 'Staff Seven',
      managerId: local.userId('mgr2'),
    });
  });

  it('asks Graph once for a round with no changes', async () => {
    await sync();
    const before = graphRoundTrips(local);
    expect(await sync()).toMatchObject({ outcome: 'synced', full: false, pages: 1, changes: 0, users: 14 });
    expect(graphRoundTrips(local) - before).toBe(1);
  });

  it('resyncs from scratch on 410 and ends with exactly the directory, users deleted meanwhile gone', async () => {
    await sync();
    const first = await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } });
    removeUser(directory(), local.userId('staff8'));
    removeUser(directory(), local.userId('guest'), 'deleted');
    setManager(directory(), local.userId('staff9'), local.userId('mgr1'));
    local.tenant.ctx.faults.deltaResyncNext = 1;

    const result = await sync({ now: new Date(Date.now() + 60_000) });
    expect(result).toEqual({ outcome: 'synced', full: true, pages: 3, changes: 12, users: 12 });
    expect(local.tenant.ctx.faults.deltaResyncNext).toBe(0);
    expect(await mirror()).toEqual(expectedMirror());
    const state = await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } });
    expect(state.lastFullSyncAt?.getTime()).toBeGreaterThan(first.lastFullSyncAt?.getTime() ?? Infinity);
    expect(state.deltaLink).not.toBe(first.deltaLink);
  });

  it('never sends a stored link to another host: it resyncs from scratch on the configured Graph', async () => {
    await sync();
    await db.orgMirrorState.update({ where: { id: 1 }, data: { deltaLink: 'https://graph.elsewhere.example/v1.0/users/delta?$deltatoken=abc' } });
    removeUser(directory(), local.userId('staff1'));
    expect(await sync()).toMatchObject({ outcome: 'synced', full: true, users: 13 });
    expect(await mirror()).toEqual(expectedMirror());
    const { deltaLink } = await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } });
    expect(deltaLink?.startsWith(`${local.url}/graph/v1.0/users/delta?`)).toBe(true);
  });

  it('leaves the mirror as it was when Graph fails in the middle of a resync, records the error, and starts from scratch next time', async () => {
    await sync();
    const before = await mirror();
    const stateBefore = await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } });
    // A resync (full round of three pages) whose second page never arrives.
    removeUser(directory(), local.userId('staff10'));
    setManager(directory(), local.userId('staff5'), local.userId('mgr2'));
    local.tenant.ctx.faults.deltaResyncNext = 1;
    const restore = dropDeltaRequest(3); // 1: the stale link (410), 2: the fresh round's first page, 3: its second
    try {
      await expect(sync()).rejects.toThrow();
    } finally {
      restore();
    }
    expect(await mirror()).toEqual(before);
    const state = await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } });
    expect(state).toMatchObject({ status: 'failed', users: 14, leaseOwner: null, leaseUntil: null, lastSyncedAt: stateBefore.lastSyncedAt });
    expect(state.lastError).toMatch(/^BrokerError: Microsoft Graph could not be reached/);
    expect(state.lastError).not.toMatch(/deltatoken|skiptoken/i);
    // The stale link is forgotten: the next run starts from scratch and ends equal to the directory.
    expect(state.deltaLink).toBeNull();
    expect(await sync()).toMatchObject({ outcome: 'synced', full: true, users: 13 });
    expect(await mirror()).toEqual(expectedMirror());
    expect(await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ status: 'ok', lastError: null });
  });

  it('leaves the mirror unchanged when an incremental round fails half-way, then catches up', async () => {
    await sync();
    const before = await mirror();
    const link = (await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } })).deltaLink;
    // Changes on both sides of the page boundary, so the first page holds some of them.
    const ids = [...directory().users.keys()].sort();
    for (const id of ids.slice(0, 7)) updateUser(directory(), id, { displayName: `Renamed ${id.slice(0, 4)}` });
    const restore = dropDeltaRequest(2);
    try {
      await expect(sync()).rejects.toThrow();
    } finally {
      restore();
    }
    expect(await mirror()).toEqual(before);
    expect(await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ status: 'failed', deltaLink: link });
    expect(await sync()).toMatchObject({ outcome: 'synced', full: false, changes: 7 });
    expect(await mirror()).toEqual(expectedMirror());
  });

  it('runs one instance at a time: skipped while another holds the lease, taken over once it has lapsed', async () => {
    const until = new Date(Date.now() + 60_000);
    await db.orgMirrorState.create({ data: { id: 1, leaseOwner: 'another-instance', leaseUntil: until } });
    expect(await sync()).toEqual({ outcome: 'skipped' });
    expect(await db.orgMirrorUser.count()).toBe(0);
    expect(await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ leaseOwner: 'another-instance', status: 'never' });
    // A holder that crashed: its lease lapses, and the next run takes over.
    expect(await sync({ now: until })).toMatchObject({ outcome: 'synced', full: true, users: 14 });
    expect(await mirror()).toEqual(expectedMirror());
    expect(await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ leaseOwner: null, status: 'ok' });
  });

  it('skips a run within minIntervalMs of the last start, and runs once it has passed', async () => {
    const t0 = new Date('2026-12-01T12:00:00Z');
    expect(await syncOrgMirror(capture.ctx(), { db, now: t0, minIntervalMs: 30_000 })).toMatchObject({ outcome: 'synced' });
    expect(await syncOrgMirror(capture.ctx(), { db, now: new Date(t0.getTime() + 10_000), minIntervalMs: 30_000 })).toEqual({ outcome: 'skipped' });
    expect(await syncOrgMirror(capture.ctx(), { db, now: new Date(t0.getTime() + 30_000), minIntervalMs: 30_000 })).toMatchObject({ outcome: 'synced' });
  });
});
