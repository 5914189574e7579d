/**
 * Every background job (lib/jobs/background-jobs.ts) run by two instances at the same moment —
 * two Prisma clients, each with its own connection pool, on ONE PostgreSQL database, where
 * statements of the two really interleave (PGlite would serialize them) — against the local
 * tenant. Each outcome happens exactly once: one audit event per reconciled or expired request
 * (and the orphaned pass deleted by one of them),
 * one recorded pass outcome, each ended budget window deleted by one of them, one mirror round
 * (the other skipped) with each user once, one mail per notification in the tenant's mail log.
 * No job needed a fix: each already claims its work in the database (conditional updates, a
 * lease, `FOR UPDATE SKIP LOCKED`); no leader election is needed.
 *
 * Covered elsewhere, not repeated here: the full audit verification (one run claimed out of
 * three concurrent, on PGlite and PostgreSQL) in lib/audit/audit-checkpoint.test.ts; approval
 * digests sent once by racing dispatchers in lib/notify/approval-digest.test.ts; parallel
 * issuance and approval in lib/broker/tap-races.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { recordPassOutcomes } from '@/lib/broker/record-pass-outcomes';
import { reconcileTapRequests } from '@/lib/broker/reconcile-tap-requests';
import { requestTap } from '@/lib/broker/request-tap';
import { syncOrgMirror } from '@/lib/broker/sync-org-mirror';
import { createPostgresPrismaClient } from '@/lib/db/binary-copy-out';
import type { PrismaClient } from '@/lib/db/generated/client';
import { deleteEndedRateWindows } from '@/lib/db/rate-window';
import { createTapMethod } from '@/lib/graph/tap-methods';
import { resetEnvForTests } from '@/lib/env';
import { dispatchNotifications } from '@/lib/notify/dispatch-notifications';
import { useTestDatabases } from '@/lib/testing/audit';
import type { TestDb } from '@/lib/testing/db';
import { startLocalTenant, TEST_DOMAIN, type LocalTenant } from '@/lib/testing/local-tenant';
import { actorsFor, auditTypesFor, capturingContext, graphTapMethods, lifecycleSeedWithMailbox, storePolicy, TEST_MAILBOX } from '@/lib/testing/tap-requests';
import { getMailLog } from '@/tenant/mail-log';

const JUSTIFICATION = 'Replacement phone, needs to enrol again';
const saved = { MAIL_SENDER: process.env.MAIL_SENDER, MAIL_DIGEST_MINUTES: process.env.MAIL_DIGEST_MINUTES };

let local: LocalTenant;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeedWithMailbox());
  process.env.MAIL_SENDER = TEST_MAILBOX;
  process.env.MAIL_DIGEST_MINUTES = '0';
  resetEnvForTests();
  actor = actorsFor(local);
});

afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetEnvForTests();
  await local?.close();
});

describe('background jobs on two instances at once, one PostgreSQL database', () => {
  const databases = useTestDatabases();
  let testDb: TestDb;
  /** Instance A: the test database's own client. */
  let db: PrismaClient;
  /** Instance B: a second client with its own pool, as another portal process would have. */
  let other: PrismaClient;

  beforeAll(async () => {
    testDb = await databases.open('postgres');
    db = testDb.prisma;
    other = createPostgresPrismaClient(testDb.url ?? '');
    await storePolicy(db, { maxIssuancesPerManagerPerDay: 1000, maxPendingRequestsPerRequester: 100 });
  });

  afterAll(async () => {
    await other?.$disconnect();
    await testDb?.close();
  });

  async function approvedRequest(target: string): Promise<string> {
    const created = await requestTap(await actor('mgr'), { targetUserId: local.userId(target), justification: JUSTIFICATION }, capture.ctx(), { db });
    expect(created.status).toBe('approved');
    return created.id;
  }

  it('reconcileTapRequests: an issuing request left by a crash is reconciled once, a lapsed approval expired once', async () => {
    const crashed = await approvedRequest('report');
    const lapsed = await approvedRequest('report2');
    // What a crash between the intent and the create leaves, and an approval that ran out.
    await db.tapRequest.update({ where: { id: crashed }, data: { status: 'issuing', intentAt: new Date(Date.now() - 3_600_000), idempotencyKey: randomUUID() } });
    await db.tapRequest.update({ where: { id: lapsed }, data: { approvalExpiresAt: new Date(Date.now() - 60_000) } });
    // The pass the crashed create made, which nobody received: both instances find it, one deletes it.
    const { method } = await createTapMethod(local.userId('report'), { lifetimeInMinutes: 60, isUsableOnce: true });

    const [a, b] = await Promise.all([
      reconcileTapRequests({ olderThanMs: 0 }, capture.ctx(), { db }),
      reconcileTapRequests({ olderThanMs: 0 }, capture.ctx(), { db: other }),
    ]);
    expect(a.reconciled + b.reconciled).toBe(1);
    expect(a.expired + b.expired).toBe(1);
    expect(a.errors + b.errors).toBe(0);
    expect(a.deletedMethods + b.deletedMethods).toBe(1);
    expect(await graphTapMethods(local, local.userId('report'))).toEqual([]);
    const reconciled = await db.auditEvent.findFirstOrThrow({ where: { requestId: crashed, type: 'tap.reconciled' } });
    expect(reconciled.data).toMatchObject({ deletedMethodIds: [method.id], newStatus: 'approved' });
    expect(await auditTypesFor(db, crashed)).toEqual(['tap_request.created', 'tap_request.approved', 'tap.reconciled']);
    expect(await auditTypesFor(db, lapsed)).toEqual(['tap_request.created', 'tap_request.approved', 'tap_request.expired']);
    expect(await db.tapRequest.findMany({ where: { id: { in: [crashed, lapsed] } }, orderBy: { id: 'asc' }, select: { id: true, status: true } })).toEqual(
      [
        { id: crashed, status: 'approved' },
        { id: lapsed, status: 'expired' },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    );
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it('recordPassOutcomes: a pass Graph no longer holds after its expiry is recorded once', async () => {
    const id = await approvedRequest('report3');
    // An issued pass Graph no longer lists, past its expiry: `expired`.
    await db.tapRequest.update({
      where: { id },
      data: { status: 'issued', methodId: randomUUID(), issuedAt: new Date(Date.now() - 2 * 3_600_000), expiresDateTime: new Date(Date.now() - 3_600_000) },
    });
    const [a, b] = await Promise.all([recordPassOutcomes(capture.ctx(), { db }), recordPassOutcomes(capture.ctx(), { db: other })]);
    expect(a.recorded + b.recorded).toBe(1);
    expect(await db.auditEvent.count({ where: { requestId: id, type: 'tap.outcome_observed' } })).toBe(1);
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id }, select: { passOutcome: true } })).toEqual({ passOutcome: 'expired' });
  });

  it('deleteEndedRateWindows: each ended window and hold is deleted by one of them, the running ones stay', async () => {
    const ended = new Date(Date.now() - 3_600_000);
    const running = new Date(Date.now() + 3_600_000);
    await db.rateWindow.createMany({
      data: [
        ...Array.from({ length: 20 }, (_, n) => ({ key: `ended:${n}`, windowStart: ended, hits: 1, expiresAt: ended })),
        { key: 'running', windowStart: new Date(), hits: 1, expiresAt: running },
      ],
    });
    await db.rateHold.createMany({ data: [...Array.from({ length: 5 }, (_, n) => ({ key: `ended:${n}`, until: ended })), { key: 'running', until: running }] });
    const [a, b] = await Promise.all([deleteEndedRateWindows(db), deleteEndedRateWindows(other)]);
    expect(a + b).toBe(25);
    expect((await db.rateWindow.findMany()).map((w) => w.key)).toEqual(['running']);
    expect((await db.rateHold.findMany()).map((h) => h.key)).toEqual(['running']);
  });

  it('syncOrgMirror: one instance syncs, the other skips; each directory user is mirrored once', async () => {
    const results = await Promise.all([syncOrgMirror({ log: capture.ctx().log }, { db }), syncOrgMirror({ log: capture.ctx().log }, { db: other })]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['skipped', 'synced']);
    const directory = [...local.tenant.ctx.directory.usersByUpn.values()].sort();
    const mirrored = (await db.orgMirrorUser.findMany({ select: { id: true } })).map((u) => u.id).sort();
    expect(mirrored).toEqual(directory);
    expect(await db.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ status: 'ok', users: directory.length, leaseOwner: null });
  });

  it('dispatchNotifications: each queued mail is sent once', async () => {
    const subjects = Array.from({ length: 12 }, (_, n) => `Concurrent ${n}`);
    await db.notification.createMany({ data: subjects.map((subject) => ({ kind: 'request_approved', recipientAddress: `report@${TEST_DOMAIN}`, subject, bodyText: subject, bodyHtml: `<p>${subject}</p>` })) });
    const before = getMailLog(local.tenant.ctx).length;
    // Small batches, so each instance claims several times while the other does too.
    const [a, b] = await Promise.all([dispatchUntilEmpty(db), dispatchUntilEmpty(other)]);
    expect(a + b).toBe(subjects.length);
    const mailed = getMailLog(local.tenant.ctx)
      .slice(before)
      .map((mail) => mail.subject)
      .sort();
    expect(mailed).toEqual([...subjects].sort());
    expect(await db.notification.count({ where: { subject: { in: subjects }, status: { not: 'sent' } } })).toBe(0);
  });
});

/** Dispatches in batches of 2 until a run finds nothing due; returns how many rows it sent. */
async function dispatchUntilEmpty(db: PrismaClient): Promise<number> {
  let sent = 0;
  for (;;) {
    const result = await dispatchNotifications({ db, limit: 2 });
    if (result.sent + result.retrying + result.gaveUp === 0) return sent;
    sent += result.sent;
  }
}
