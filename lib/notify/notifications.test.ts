/**
 * Notifications end to end, in-process: the real use cases queue mail in their transactions, the
 * dispatcher sends it through Graph `sendMail` to the local tenant, and the tenant's mail log shows
 * who received what. Time is moved forward through `now` (no sleeps) to reach retries.
 * One mail per event here (MAIL_DIGEST_MINUTES=0); approval digests: approval-digest.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { approveTapRequest } from '@/lib/broker/approve-tap-request';
import { denyTapRequest } from '@/lib/broker/deny-tap-request';
import { issueTap } from '@/lib/broker/issue-tap';
import { requestTap } from '@/lib/broker/request-tap';
import { actorsFor, capturingContext, dumpDatabaseText, LIFECYCLE_USERS, storePolicy } from '@/lib/testing/tap-requests';
import type { PrismaClient } from '@/lib/db/generated/client';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { resetEnvForTests } from '@/lib/env';
import { dispatchNotifications, NOTIFICATION_MAX_ATTEMPTS } from '@/lib/notify/dispatch-notifications';
import { BROKER_GRAPH_PERMISSIONS, buildTestSeed, startLocalTenant, TEST_DOMAIN, type LocalTenant } from '@/lib/testing/local-tenant';
import { defaultFaults } from '@/tenant/faults';
import { getMailLog, type SentMail } from '@/tenant/mail-log';

const MAILBOX = `mailer@${TEST_DOMAIN}`;
const APPROVER_ADDRESSES = [`approver@${TEST_DOMAIN}`, `approver2@${TEST_DOMAIN}`];
const JUSTIFICATION = 'Lost phone, needs to register a new authenticator';
const saved = {
  MAIL_SENDER: process.env.MAIL_SENDER,
  APPROVER_NOTIFICATION_ADDRESSES: process.env.APPROVER_NOTIFICATION_ADDRESSES,
  MAIL_DIGEST_MINUTES: process.env.MAIL_DIGEST_MINUTES,
};

let local: LocalTenant;
let testDb: TestDb;
let db: PrismaClient;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();
const passes: string[] = [];

function setMailEnv(on: boolean): void {
  if (on) {
    process.env.MAIL_SENDER = MAILBOX;
    process.env.APPROVER_NOTIFICATION_ADDRESSES = APPROVER_ADDRESSES.join(', ');
    process.env.MAIL_DIGEST_MINUTES = '0';
  } else {
    delete process.env.MAIL_SENDER;
    delete process.env.APPROVER_NOTIFICATION_ADDRESSES;
    delete process.env.MAIL_DIGEST_MINUTES;
  }
  resetEnvForTests();
}

beforeAll(async () => {
  local = await startLocalTenant(
    buildTestSeed([...LIFECYCLE_USERS, { upn: 'mailer', displayName: 'TAP Broker Mail', accountEnabled: false }], {
      brokerPermissions: [...BROKER_GRAPH_PERMISSIONS, 'Mail.Send'],
    }),
  );
  setMailEnv(true);
  testDb = await createTestDb();
  db = testDb.prisma;
  actor = actorsFor(local);
  await storePolicy(db, { maxIssuancesPerManagerPerDay: 1000 });
});

afterEach(() => {
  Object.assign(local.tenant.ctx.faults, defaultFaults());
});

afterAll(async () => {
  await testDb?.close();
  await local?.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetEnvForTests();
});

const opts = () => ({ db });
const upn = (name: string) => `${name}@${TEST_DOMAIN}`;

/** Mail accepted by the tenant since `from` (an index into the log). */
function mailSince(from: number): SentMail[] {
  return getMailLog(local.tenant.ctx).slice(from);
}

function recipientsOf(mails: SentMail[]): string[] {
  return mails.flatMap((m) => m.toRecipients.map((r) => r.address.toLowerCase())).sort();
}

async function pendingRequest(requester = 'mgr', target = 'deep') {
  return requestTap(await actor(requester), { targetUserId: local.userId(target), justification: JUSTIFICATION }, capture.ctx(), opts());
}

/** Sends everything due now, so later assertions see only the mail of the step under test. */
async function flush(): Promise<void> {
  await dispatchNotifications({ log: capture.ctx().log, db });
}

describe('who hears about what', () => {
  it('approvers when a request waits, the requester on approval, the target on issuance — never the pass', async () => {
    await flush();
    let mark = getMailLog(local.tenant.ctx).length;
    const created = await pendingRequest();
    expect(created.status).toBe('pending_approval');
    expect(await db.notification.count({ where: { tapRequestId: created.id } })).toBe(2);
    expect(await dispatchNotifications({ log: capture.ctx().log, db })).toMatchObject({ sent: 2, retrying: 0, gaveUp: 0 });
    let mails = mailSince(mark);
    expect(recipientsOf(mails)).toEqual(APPROVER_ADDRESSES.map((a) => a.toLowerCase()).sort());
    for (const mail of mails) {
      expect(mail.from.address.toLowerCase()).toBe(MAILBOX);
      expect(mail.subject).toContain('Dee Deep');
      expect(mail.body.content).toContain('Max Manager');
      expect(mail.body.content).toContain(JUSTIFICATION);
    }

    mark = getMailLog(local.tenant.ctx).length;
    const approved = await approveTapRequest(await actor('approver'), { id: created.id, comment: 'Verified by phone call' }, capture.ctx(), opts());
    expect(approved.status).toBe('approved');
    await flush();
    mails = mailSince(mark);
    expect(recipientsOf(mails)).toEqual([upn('mgr')]);
    expect(mails[0]?.subject).toMatch(/approved/);
    expect(mails[0]?.body.content).toContain('Verified by phone call');
    expect(mails[0]?.body.content).toContain('Al Approver');

    mark = getMailLog(local.tenant.ctx).length;
    const issued = await issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts());
    passes.push(issued.temporaryAccessPass);
    await flush();
    mails = mailSince(mark);
    expect(recipientsOf(mails)).toEqual([upn('deep')]);
    expect(mails[0]?.body.content).toContain('Max Manager');
    expect(mails[0]?.body.content).toContain(created.id);

    // The pass is in no mail the tenant ever accepted, and nowhere in the database (outbox included).
    for (const mail of getMailLog(local.tenant.ctx)) {
      for (const pass of passes) expect(`${mail.subject}\n${mail.body.content}`).not.toContain(pass);
    }
    const outbox = await db.$queryRaw<{ dump: string }[]>`SELECT coalesce((SELECT json_agg(n)::text FROM notification n), '') AS dump`;
    const dump = `${await dumpDatabaseText(db)}${outbox[0]?.dump ?? ''}`;
    expect(dump).toContain('Dee Deep');
    for (const pass of passes) expect(dump).not.toContain(pass);
    for (const pass of passes) expect(capture.lines.join('\n')).not.toContain(pass);
  });

  it('the requester with the reason when a request is denied', async () => {
    await flush();
    const created = await pendingRequest('mgr', 'deep');
    await flush();
    const mark = getMailLog(local.tenant.ctx).length;
    const denied = await denyTapRequest(await actor('approver2'), { id: created.id, reason: 'Please ask the service desk instead' }, capture.ctx(), opts());
    expect(denied.status).toBe('denied');
    expect(await dispatchNotifications({ log: capture.ctx().log, db })).toMatchObject({ sent: 1, retrying: 0, gaveUp: 0 });
    const mails = mailSince(mark);
    expect(recipientsOf(mails)).toEqual([upn('mgr')]);
    expect(mails[0]?.subject).toMatch(/denied/);
    expect(mails[0]?.body.content).toContain('Please ask the service desk instead');
  });

  it('nobody for an auto-approved request (no approver involved, no decision to announce)', async () => {
    const before = await db.notification.count();
    const created = await pendingRequest('mgr', 'report');
    expect(created.status).toBe('approved');
    expect(await db.notification.count()).toBe(before);
  });
});

describe('a backlog', () => {
  it('is drained claim after claim: a full claim says more may be due, the claim after the last row says none', async () => {
    await flush();
    const created = await pendingRequest();
    expect(await db.notification.count({ where: { tapRequestId: created.id, status: 'pending' } })).toBe(2);
    const dispatchOne = () => dispatchNotifications({ log: capture.ctx().log, db, limit: 1 });
    expect(await dispatchOne()).toEqual({ sent: 1, retrying: 0, gaveUp: 0, hasMore: true });
    expect(await dispatchOne()).toEqual({ sent: 1, retrying: 0, gaveUp: 0, hasMore: true });
    expect(await dispatchOne()).toEqual({ sent: 0, retrying: 0, gaveUp: 0, hasMore: false });
    expect(await db.notification.count({ where: { tapRequestId: created.id, status: 'sent' } })).toBe(2);
  });
});

describe('mail failures', () => {
  it('leave the action done, are audited, and are retried later successfully', async () => {
    const created = await pendingRequest();
    await flush();
    local.tenant.ctx.faults.sendMailFailNext = 1;
    const mark = getMailLog(local.tenant.ctx).length;

    const approved = await approveTapRequest(await actor('approver'), { id: created.id }, capture.ctx(), opts());
    expect(approved.status).toBe('approved');
    expect(await dispatchNotifications({ log: capture.ctx().log, db })).toMatchObject({ sent: 0, retrying: 1, gaveUp: 0 });
    expect((await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).status).toBe('approved');
    expect(mailSince(mark)).toHaveLength(0);

    const row = await db.notification.findFirstOrThrow({ where: { tapRequestId: created.id, kind: 'request_approved' } });
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.lastError).toMatch(/503/);
    const failures = await db.auditEvent.findMany({ where: { requestId: created.id, type: 'notification.failed' } });
    expect(failures).toHaveLength(1);
    expect(failures[0]?.data).toMatchObject({ notificationId: row.id, kind: 'request_approved', attempt: 1, willRetry: true, graphStatus: 503, graphCode: 'serviceNotAvailable' });

    // Not due yet: the backoff holds it back.
    expect(await dispatchNotifications({ log: capture.ctx().log, db })).toMatchObject({ sent: 0, retrying: 0, gaveUp: 0 });
    // Later, it goes out.
    expect(await dispatchNotifications({ log: capture.ctx().log, db, now: new Date(row.nextAttemptAt.getTime() + 1) })).toMatchObject({ sent: 1, retrying: 0, gaveUp: 0 });
    expect(recipientsOf(mailSince(mark))).toEqual([upn('mgr')]);
    expect(await db.notification.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('are still recorded when the directory address is token-shaped: the audit copy is redacted, not refused', async () => {
    const created = await pendingRequest('ceo', 'deep');
    await flush();
    const requester = local.tenant.ctx.directory.users.get(local.userId('ceo'))!;
    const saved = requester.mail;
    const tokenShaped = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl';
    requester.mail = `${tokenShaped}@${TEST_DOMAIN}`;
    local.tenant.ctx.faults.sendMailFailNext = 1;
    try {
      await approveTapRequest(await actor('approver'), { id: created.id }, capture.ctx(), opts());
      expect(await dispatchNotifications({ log: capture.ctx().log, db })).toMatchObject({ sent: 0, retrying: 1, gaveUp: 0 });
    } finally {
      requester.mail = saved;
    }
    const [failure] = await db.auditEvent.findMany({ where: { requestId: created.id, type: 'notification.failed' } });
    expect(failure?.data).toMatchObject({ kind: 'request_approved', willRetry: true, details: { recipientAddress: `[redacted]@${TEST_DOMAIN}` } });
    expect(JSON.stringify(failure?.data)).not.toContain(tokenShaped);
    // The mail itself is not lost: the retry sends it.
    const row = await db.notification.findFirstOrThrow({ where: { tapRequestId: created.id, kind: 'request_approved' } });
    expect(await dispatchNotifications({ log: capture.ctx().log, db, now: new Date(row.nextAttemptAt.getTime() + 1) })).toMatchObject({ sent: 1, retrying: 0, gaveUp: 0 });
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('are given up after the maximum number of attempts, each audited', async () => {
    const created = await pendingRequest();
    await flush();
    await denyTapRequest(await actor('approver'), { id: created.id, reason: 'Not needed any more' }, capture.ctx(), opts());
    local.tenant.ctx.faults.sendMailFailNext = NOTIFICATION_MAX_ATTEMPTS;
    let now = new Date();
    for (let attempt = 1; attempt <= NOTIFICATION_MAX_ATTEMPTS; attempt += 1) {
      const result = await dispatchNotifications({ log: capture.ctx().log, db, now });
      expect(result).toMatchObject(attempt < NOTIFICATION_MAX_ATTEMPTS ? { sent: 0, retrying: 1, gaveUp: 0 } : { sent: 0, retrying: 0, gaveUp: 1 });
      now = new Date(now.getTime() + 2 * 60 * 60_000);
    }
    const row = await db.notification.findFirstOrThrow({ where: { tapRequestId: created.id, kind: 'request_denied' } });
    expect(row).toMatchObject({ status: 'failed', attempts: NOTIFICATION_MAX_ATTEMPTS });
    const failures = await db.auditEvent.findMany({ where: { requestId: created.id, type: 'notification.failed' }, orderBy: { seq: 'asc' } });
    expect(failures.map((e) => (e.data as { willRetry: boolean }).willRetry)).toEqual([...Array.from({ length: NOTIFICATION_MAX_ATTEMPTS - 1 }, () => true), false]);
    // A given-up message is never sent again.
    expect(await dispatchNotifications({ log: capture.ctx().log, db, now: new Date(now.getTime() + 86_400_000) })).toMatchObject({ sent: 0, retrying: 0, gaveUp: 0 });
    expect((await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).status).toBe('denied');
  });
});

describe('notifications off', () => {
  it('queues nothing when MAIL_SENDER is unset', async () => {
    setMailEnv(false);
    try {
      const before = await db.notification.count();
      const created = await pendingRequest();
      await denyTapRequest(await actor('approver'), { id: created.id, reason: 'Duplicate request' }, capture.ctx(), opts());
      expect(await db.notification.count()).toBe(before);
      expect(await dispatchNotifications({ log: capture.ctx().log, db })).toMatchObject({ sent: 0, retrying: 0, gaveUp: 0 });
    } finally {
      setMailEnv(true);
    }
  });
});
