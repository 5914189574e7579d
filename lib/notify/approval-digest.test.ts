/**
 * Approval digests end to end, in-process: requests queue one row per approver in their
 * transaction; the dispatcher sends the first of a quiet period at once and the ones after it,
 * MAIL_DIGEST_MINUTES later, as one mail per approver; the local tenant's mail log shows what each
 * approver received. Each test gets a fresh database, so the pacing of one cannot leak into
 * another; time moves through `now` (no sleeps).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { requestTap } from '@/lib/broker/request-tap';
import type { Notification, PrismaClient } from '@/lib/db/generated/client';
import { resetEnvForTests } from '@/lib/env';
import { dispatchNotifications, NOTIFICATION_LEASE_MS } from '@/lib/notify/dispatch-notifications';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { BROKER_GRAPH_PERMISSIONS, buildTestSeed, startLocalTenant, TEST_DOMAIN, type LocalTenant } from '@/lib/testing/local-tenant';
import { actorsFor, capturingContext, LIFECYCLE_USERS, storePolicy } from '@/lib/testing/tap-requests';
import { defaultFaults } from '@/tenant/faults';
import { getMailLog, type SentMail } from '@/tenant/mail-log';

const MAILBOX = `mailer@${TEST_DOMAIN}`;
const APPROVERS = [`approver@${TEST_DOMAIN}`, `approver2@${TEST_DOMAIN}`];
const JUSTIFICATION = 'Lost phone <b>& new laptop</b>, needs to register a new authenticator';
const MINUTE = 60_000;
const ENV_NAMES = ['MAIL_SENDER', 'APPROVER_NOTIFICATION_ADDRESSES', 'MAIL_DIGEST_MINUTES'] as const;
const saved = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));

let local: LocalTenant;
let testDb: TestDb;
let db: PrismaClient;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();

function setDigestMinutes(minutes: number): void {
  process.env.MAIL_SENDER = MAILBOX;
  process.env.APPROVER_NOTIFICATION_ADDRESSES = APPROVERS.join(', ');
  process.env.MAIL_DIGEST_MINUTES = String(minutes);
  resetEnvForTests();
}

beforeAll(async () => {
  local = await startLocalTenant(
    buildTestSeed([...LIFECYCLE_USERS, { upn: 'mailer', displayName: 'TAP Broker Mail', accountEnabled: false }], {
      brokerPermissions: [...BROKER_GRAPH_PERMISSIONS, 'Mail.Send'],
    }),
  );
  actor = actorsFor(local);
  setDigestMinutes(5);
});

beforeEach(async () => {
  testDb = await createTestDb();
  db = testDb.prisma;
  await storePolicy(db, { maxIssuancesPerManagerPerDay: 1000 });
});

afterEach(async () => {
  Object.assign(local.tenant.ctx.faults, defaultFaults());
  await testDb.close();
});

afterAll(async () => {
  await local?.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetEnvForTests();
});

/** A request that waits for approval (mgr for a report's report: not auto-approved). */
async function pendingRequest(): Promise<string> {
  const created = await requestTap(await actor('mgr'), { targetUserId: local.userId('deep'), justification: JUSTIFICATION }, capture.ctx(), { db });
  expect(created.status).toBe('pending_approval');
  return created.id;
}

async function pendingRequests(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) ids.push(await pendingRequest());
  return ids;
}

const dispatch = (now?: Date, limit?: number) => dispatchNotifications({ db, log: capture.ctx().log, ...(now === undefined ? {} : { now }), ...(limit === undefined ? {} : { limit }) });
const mailLogLength = () => getMailLog(local.tenant.ctx).length;
const mailSince = (from: number): SentMail[] => getMailLog(local.tenant.ctx).slice(from);

/** What each approver received, by address: subjects, and the request ids each mail names. */
function byApprover(mails: SentMail[]): Map<string, { subject: string; body: string }[]> {
  const result = new Map<string, { subject: string; body: string }[]>();
  for (const mail of mails) {
    const [to, ...others] = mail.toRecipients;
    expect(others).toEqual([]);
    const address = to?.address.toLowerCase() ?? '';
    result.set(address, [...(result.get(address) ?? []), { subject: mail.subject, body: mail.body.content }]);
  }
  return result;
}

function requestIdsIn(body: string, candidates: string[]): string[] {
  return candidates.filter((id) => body.includes(id));
}

async function approvalRows(): Promise<Notification[]> {
  return db.notification.findMany({ where: { kind: 'approval_requested' }, orderBy: { createdAt: 'asc' } });
}

/** Every row was sent exactly as often as `attempts` says, and none is left behind. */
async function expectAllSent(rows: number, attempts = 1): Promise<void> {
  const all = await approvalRows();
  expect(all).toHaveLength(rows);
  for (const row of all) expect(row).toMatchObject({ status: 'sent', attempts, lastError: null });
}

describe('approval digests (MAIL_DIGEST_MINUTES=5)', () => {
  it('mail the first request of a quiet period at once and the next four as one digest per approver once the interval has passed', async () => {
    const mark = mailLogLength();
    const [first] = await pendingRequests(1);
    expect(await dispatch()).toMatchObject({ sent: 2, retrying: 0, gaveUp: 0 });
    const singles = byApprover(mailSince(mark));
    expect([...singles.keys()].sort()).toEqual([...APPROVERS].sort());
    for (const [single] of singles.values()) {
      expect(single?.subject).toBe('TAP Broker: approval needed for a pass for Dee Deep');
      expect(requestIdsIn(single?.body ?? '', [first ?? ''])).toEqual([first]);
    }
    const sentAt = new Map((await approvalRows()).map((row) => [row.recipientAddress, row.sentAt?.getTime()]));

    const later = await pendingRequests(4);
    const waiting = (await approvalRows()).filter((row) => row.status === 'pending');
    expect(waiting).toHaveLength(8);
    // Due one interval after the last approval mail to the same address, by the outbox itself.
    for (const row of waiting) expect(row.nextAttemptAt.getTime()).toBe((sentAt.get(row.recipientAddress) ?? 0) + 5 * MINUTE);
    const firstDue = Math.min(...waiting.map((row) => row.nextAttemptAt.getTime()));
    const due = Math.max(...waiting.map((row) => row.nextAttemptAt.getTime()));

    const beforeDigest = mailLogLength();
    expect(await dispatch()).toMatchObject({ sent: 0, retrying: 0, gaveUp: 0 });
    expect(await dispatch(new Date(firstDue - 1))).toMatchObject({ sent: 0, retrying: 0, gaveUp: 0 });
    expect(mailLogLength()).toBe(beforeDigest);

    expect(await dispatch(new Date(due))).toMatchObject({ sent: 8, retrying: 0, gaveUp: 0 });
    const digests = byApprover(mailSince(beforeDigest));
    expect([...digests.keys()].sort()).toEqual([...APPROVERS].sort());
    for (const mails of digests.values()) {
      expect(mails).toHaveLength(1);
      const [digest] = mails;
      expect(digest?.subject).toBe('TAP Broker: 4 requests wait for approval');
      expect(requestIdsIn(digest?.body ?? '', [first ?? '', ...later])).toEqual(later);
      expect(digest?.body).toContain('Max Manager asks for a pass for Dee Deep');
      // The justification, escaped as in the single mail: no markup of a requester's gets through.
      expect(digest?.body).toContain('Lost phone &lt;b&gt;&amp; new laptop&lt;/b&gt;');
      expect(digest?.body).not.toContain('<b>');
    }
    await expectAllSent(10);
  });

  it('list a request decided before the digest left as no longer waiting', async () => {
    await pendingRequests(1);
    await dispatch();
    const [decided, open] = await pendingRequests(2);
    await db.tapRequest.update({ where: { id: decided }, data: { status: 'denied' } });
    const mark = mailLogLength();
    expect(await dispatch(new Date(Date.now() + 6 * MINUTE))).toMatchObject({ sent: 4, retrying: 0, gaveUp: 0 });
    for (const mail of mailSince(mark)) {
      expect(mail.body.content).toMatch(new RegExp(`no longer waiting: denied[\\s\\S]*${decided}`));
      expect(mail.body.content).toContain(open);
    }
  });

  it('retry a failed digest as one, with every row, and lose nothing — a request made meanwhile joins the retry', async () => {
    await pendingRequests(1);
    await dispatch();
    const later = await pendingRequests(3);
    const due = Math.max(...(await approvalRows()).map((row) => row.nextAttemptAt.getTime()));
    local.tenant.ctx.faults.sendMailFailNext = 2;
    const mark = mailLogLength();

    expect(await dispatch(new Date(due))).toMatchObject({ sent: 0, retrying: 6, gaveUp: 0 });
    expect(mailSince(mark)).toHaveLength(0);
    const failedRows = (await approvalRows()).filter((row) => row.status !== 'sent');
    expect(failedRows).toHaveLength(6);
    const retryAt = failedRows[0]?.nextAttemptAt.getTime() ?? 0;
    expect(retryAt).toBe(due + 30_000);
    for (const row of failedRows) {
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
      expect(row.nextAttemptAt.getTime()).toBe(retryAt);
      expect(row.lastError).toMatch(/503/);
    }
    const failures = await db.auditEvent.findMany({ where: { type: 'notification.failed' } });
    expect(failures.map((e) => (e.data as { notificationId: string }).notificationId).sort()).toEqual(failedRows.map((row) => row.id).sort());
    for (const event of failures) expect(event.data).toMatchObject({ willRetry: true, attempt: 1, graphStatus: 503, details: { digestOf: 3 } });

    // A request made during the backoff waits for the retry instead of setting off an attempt of its own.
    const meanwhile = await pendingRequest();
    expect(await dispatch(new Date(retryAt - 1))).toMatchObject({ sent: 0, retrying: 0, gaveUp: 0 });
    expect(await dispatch(new Date(retryAt))).toMatchObject({ sent: 8, retrying: 0, gaveUp: 0 });
    const retried = byApprover(mailSince(mark));
    expect([...retried.keys()].sort()).toEqual([...APPROVERS].sort());
    for (const mails of retried.values()) {
      expect(mails.map((m) => m.subject)).toEqual(['TAP Broker: 4 requests wait for approval']);
      expect(requestIdsIn(mails[0]?.body ?? '', [...later, meanwhile])).toEqual([...later, meanwhile]);
    }
    const rows = await approvalRows();
    expect(rows.filter((row) => row.status !== 'sent')).toEqual([]);
    expect(rows.filter((row) => row.attempts === 2).map((row) => row.id).sort()).toEqual(failedRows.map((row) => row.id).sort());
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('send each row once when dispatchers run at the same time', async () => {
    const ids = await pendingRequests(5);
    // Nothing was mailed yet, so all ten rows are due now; three dispatchers race for them.
    const mark = mailLogLength();
    const results = await Promise.all([dispatch(undefined, 1), dispatch(undefined, 1), dispatch()]);
    expect(results.reduce((sum, r) => sum + r.sent, 0)).toBe(10);
    const received = byApprover(mailSince(mark));
    expect([...received.keys()].sort()).toEqual([...APPROVERS].sort());
    for (const mails of received.values()) {
      const listed = mails.flatMap((m) => requestIdsIn(m.body, ids));
      expect(listed.sort()).toEqual([...ids].sort());
    }
    expect(mailSince(mark)).toHaveLength(2);
    await expectAllSent(10);
  });

  it('never take rows another dispatcher has leased into a digest', async () => {
    const [inFlight] = await pendingRequests(1);
    // Another instance is sending this request's rows (status and lease as its claim leaves them),
    // its lease running past the moment the next request falls due.
    const leaseEnds = new Date(Date.now() + 5 * MINUTE + NOTIFICATION_LEASE_MS);
    await db.notification.updateMany({ where: { tapRequestId: inFlight }, data: { status: 'sending', nextAttemptAt: leaseEnds } });
    const next = await pendingRequest();
    const due = Math.max(...(await db.notification.findMany({ where: { tapRequestId: next } })).map((row) => row.nextAttemptAt.getTime()));
    expect(due).toBeLessThan(leaseEnds.getTime());
    const mark = mailLogLength();
    expect(await dispatch(new Date(due))).toMatchObject({ sent: 2, retrying: 0, gaveUp: 0 });
    for (const mail of mailSince(mark)) expect(requestIdsIn(mail.body.content, [inFlight ?? '', next])).toEqual([next]);
    // Once its lease has run out (that instance died), the row is free again: sent, and only then.
    const afterLease = mailLogLength();
    expect(await dispatch(leaseEnds)).toMatchObject({ sent: 2, retrying: 0, gaveUp: 0 });
    for (const mail of mailSince(afterLease)) expect(requestIdsIn(mail.body.content, [inFlight ?? '', next])).toEqual([inFlight]);
  });
});

describe('MAIL_DIGEST_MINUTES=0', () => {
  it('mails every request to every approver at once, one mail each', async () => {
    setDigestMinutes(0);
    let ids: string[];
    const mark = mailLogLength();
    try {
      ids = await pendingRequests(5);
      expect(await dispatch()).toMatchObject({ sent: 10, retrying: 0, gaveUp: 0 });
    } finally {
      setDigestMinutes(5);
    }
    const received = byApprover(mailSince(mark));
    expect([...received.keys()].sort()).toEqual([...APPROVERS].sort());
    for (const mails of received.values()) {
      expect(mails).toHaveLength(5);
      for (const mail of mails) expect(mail.subject).toBe('TAP Broker: approval needed for a pass for Dee Deep');
      expect(mails.map((m) => requestIdsIn(m.body, ids)).sort()).toEqual(ids.map((id) => [id]).sort());
    }
    await expectAllSent(10);
  });
});
