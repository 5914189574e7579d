import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { TEST_CONTEXT } from '@/lib/testing/audit';
import { APP_ROLES } from '@/lib/auth/actor';
import { BrokerError } from '@/lib/core/errors';
import { DASHBOARD_WINDOW_DAYS, getDashboardStats } from '@/lib/broker/get-dashboard-stats';
import { createTestDb, type TestDb } from '@/lib/testing/db';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const minutes = (n: number) => n * 60_000;
const at = (iso: string) => new Date(iso);

let db: TestDb;

interface Row {
  status: 'pending_approval' | 'approved' | 'denied' | 'issued' | 'revoked' | 'failed';
  requesterId: string;
  requesterDisplayName: string;
  createdAt: Date;
  issuedAt?: Date;
}

async function insertRequest(row: Row): Promise<void> {
  await db.prisma.tapRequest.create({
    data: {
      status: row.status,
      requesterId: row.requesterId,
      requesterDisplayName: row.requesterDisplayName,
      targetUserId: 'target-1',
      targetDisplayName: 'Target One',
      justification: 'laptop reset after travel',
      lifetimeInMinutes: 60,
      isUsableOnce: true,
      chain: [row.requesterId],
      depth: 1,
      policyVersion: 1,
      createdAt: row.createdAt,
      issuedAt: row.issuedAt ?? null,
    },
  });
}

beforeAll(async () => {
  db = await createTestDb();
  const created = at('2026-03-14T09:00:00.000Z');
  // Issued 10, 20, 30, 40 minutes after the request (two on the 14th, one on the 10th, one revoked later).
  await insertRequest({ status: 'issued', requesterId: 'm-a', requesterDisplayName: 'Alex', createdAt: created, issuedAt: new Date(created.getTime() + minutes(10)) });
  await insertRequest({ status: 'revoked', requesterId: 'm-a', requesterDisplayName: 'Alex', createdAt: created, issuedAt: new Date(created.getTime() + minutes(20)) });
  await insertRequest({ status: 'issued', requesterId: 'm-b', requesterDisplayName: 'Bea', createdAt: at('2026-03-10T08:00:00.000Z'), issuedAt: at('2026-03-10T08:30:00.000Z') });
  await insertRequest({ status: 'issued', requesterId: 'm-a', requesterDisplayName: 'Alex', createdAt: at('2026-03-15T08:00:00.000Z'), issuedAt: at('2026-03-15T08:40:00.000Z') });
  await insertRequest({ status: 'pending_approval', requesterId: 'm-b', requesterDisplayName: 'Bea', createdAt: at('2026-03-12T07:00:00.000Z') });
  await insertRequest({ status: 'denied', requesterId: 'm-c', requesterDisplayName: 'Cy', createdAt: at('2026-03-13T07:00:00.000Z') });
  // Outside the window (older than 30 days): counted only in "waiting".
  await insertRequest({ status: 'issued', requesterId: 'm-c', requesterDisplayName: 'Cy', createdAt: at('2026-01-02T07:00:00.000Z'), issuedAt: at('2026-01-02T07:05:00.000Z') });
  await insertRequest({ status: 'pending_approval', requesterId: 'm-c', requesterDisplayName: 'Cy', createdAt: at('2026-01-03T07:00:00.000Z') });

  await db.prisma.$transaction(async (tx) => {
    await appendAuditEvent(tx, { type: 'tap_request.refused', actorId: 'm-a', targetId: 't', context: TEST_CONTEXT, data: { stage: 'create', code: 'target-ineligible', reasons: ['guest', 'account-disabled'] } });
    await appendAuditEvent(tx, { type: 'tap_request.refused', actorId: 'm-a', targetId: 't', context: TEST_CONTEXT, data: { stage: 'create', code: 'target-ineligible', reasons: ['guest'] } });
    await appendAuditEvent(tx, { type: 'tap_request.refused', actorId: 'm-b', targetId: 't', context: TEST_CONTEXT, data: { stage: 'create', code: 'not-in-reporting-chain' } });
  });
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe('getDashboardStats', () => {
  it('refuses anyone but auditors and admins', async () => {
    await expect(getDashboardStats({ roles: [] }, db.prisma, { now: NOW })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(getDashboardStats({ roles: [APP_ROLES.approver] }, db.prisma, { now: NOW })).rejects.toBeInstanceOf(BrokerError);
    await expect(getDashboardStats({ roles: [APP_ROLES.admin] }, db.prisma, { now: NOW })).resolves.toBeDefined();
  });

  it('computes every figure over the 30-day window in SQL', async () => {
    // The refusals were written now (real clock), so look from a `now` that includes them.
    const stats = await getDashboardStats({ roles: [APP_ROLES.auditor] }, db.prisma, { now: NOW });
    expect(stats.windowDays).toBe(DASHBOARD_WINDOW_DAYS);
    expect(stats.from).toBe('2026-02-14T00:00:00Z');
    expect(stats.issuedPerDay).toHaveLength(30);
    expect(stats.issuedPerDay[0]).toEqual({ date: '2026-02-14', count: 0 });
    expect(stats.issuedPerDay.at(-1)).toEqual({ date: '2026-03-15', count: 1 });
    expect(stats.issuedPerDay.find((d) => d.date === '2026-03-14')).toEqual({ date: '2026-03-14', count: 2 });
    expect(stats.issuedPerDay.find((d) => d.date === '2026-03-10')).toEqual({ date: '2026-03-10', count: 1 });
    expect(stats.issuedPerDay.reduce((sum, d) => sum + d.count, 0)).toBe(4);

    expect(stats.requestsByOutcome).toEqual([
      { status: 'issued', count: 3 },
      { status: 'denied', count: 1 },
      { status: 'pending_approval', count: 1 },
      { status: 'revoked', count: 1 },
    ]);
    // 10, 20, 30, 40 minutes → median 25 min, p95 38.5 min (linear interpolation).
    expect(stats.timeToIssue).toEqual({ count: 4, medianSeconds: 1500, p95Seconds: 2310 });
    expect(stats.approvalsWaiting).toEqual({ count: 2, oldestCreatedAt: '2026-01-03T07:00:00.000Z' });
    expect(stats.topRequesters).toEqual([
      { requesterId: 'm-a', displayName: 'Alex', count: 3 },
      { requesterId: 'm-b', displayName: 'Bea', count: 2 },
      { requesterId: 'm-c', displayName: 'Cy', count: 1 },
    ]);
  });

  it('counts refusals by named reason, else by code', async () => {
    const stats = await getDashboardStats({ roles: [APP_ROLES.auditor] }, db.prisma);
    expect(stats.refusalsByReason).toEqual([
      { reason: 'guest', count: 2 },
      { reason: 'account-disabled', count: 1 },
      { reason: 'not-in-reporting-chain', count: 1 },
    ]);
    // A window that ends before they happened sees none.
    const before = await getDashboardStats({ roles: [APP_ROLES.auditor] }, db.prisma, { now: NOW });
    expect(before.refusalsByReason).toEqual([]);
  });
});

describe('getDashboardStats: what needs an administrator', () => {
  let own: TestDb;

  beforeAll(async () => {
    own = await createTestDb();
  }, 60_000);

  afterAll(async () => {
    await own?.close();
  });

  it('counts failed issuances in the window, issuances stuck past the reconciler, and mails given up on', async () => {
    const base = {
      requesterId: 'm-a',
      requesterDisplayName: 'Alex',
      targetUserId: 'target-1',
      targetDisplayName: 'Target One',
      justification: 'laptop reset after travel',
      lifetimeInMinutes: 60,
      isUsableOnce: true,
      chain: ['m-a'],
      depth: 1,
      policyVersion: 1,
    };
    const empty = await getDashboardStats({ roles: [APP_ROLES.admin] }, own.prisma, { now: NOW });
    expect(empty.attention).toEqual({ failedIssuances: 0, stuckIssuances: 0, failedNotifications: 0 });

    await own.prisma.tapRequest.createMany({
      data: [
        { ...base, status: 'failed', createdAt: at('2026-03-14T09:00:00.000Z') },
        // Older than the window: no longer news.
        { ...base, status: 'failed', createdAt: at('2026-01-01T09:00:00.000Z') },
        // Stuck: its intent is 10 minutes old. Not stuck: one a minute old, still within a live call's reach.
        { ...base, status: 'issuing', createdAt: at('2026-03-15T11:00:00.000Z'), intentAt: new Date(NOW.getTime() - minutes(10)) },
        { ...base, status: 'issuing', createdAt: at('2026-03-15T11:00:00.000Z'), intentAt: new Date(NOW.getTime() - minutes(1)) },
      ],
    });
    await own.prisma.notification.createMany({
      data: [
        { kind: 'approval_requested', recipientAddress: 'a@contoso.test', subject: 's', bodyText: 't', bodyHtml: 'h', status: 'failed', createdAt: at('2026-03-15T10:00:00.000Z') },
        { kind: 'approval_requested', recipientAddress: 'b@contoso.test', subject: 's', bodyText: 't', bodyHtml: 'h', status: 'sent', createdAt: at('2026-03-15T10:00:00.000Z') },
      ],
    });

    const stats = await getDashboardStats({ roles: [APP_ROLES.admin] }, own.prisma, { now: NOW });
    expect(stats.attention).toEqual({ failedIssuances: 1, stuckIssuances: 1, failedNotifications: 1 });
  });
});
