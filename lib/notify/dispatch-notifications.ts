import 'server-only';
import { randomUUID } from 'node:crypto';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { sanitizeClientText } from '@/lib/audit/sanitize-client-text';
import { SYSTEM_ACTOR_ID, systemContext } from '@/lib/core/request-context';
import { inTransaction, resolveDb } from '@/lib/db/transaction';
import type { Notification, Prisma, PrismaClient } from '@/lib/db/generated/client';
import { getEnv } from '@/lib/env';
import { getUserMailAddress, MailSendError, sendMail } from '@/lib/graph/send-mail';
import { logger as rootLogger, type Logger } from '@/lib/log';
import { renderApprovalDigest } from '@/lib/notify/messages';

/** Attempts per message before the dispatcher gives up (status `failed`). */
export const NOTIFICATION_MAX_ATTEMPTS = 6;
/** While an attempt is in flight the row is leased this long, so another instance skips it. */
export const NOTIFICATION_LEASE_MS = 2 * 60_000;
const BATCH_LIMIT = 20;
/** Most requests one approval digest lists; the rest follow in the next mail. */
export const DIGEST_MAX_REQUESTS = 50;

/** Backoff after failed attempt `attempt` (1-based): 30 s, 1 min, 2 min, 4 min, 8 min… capped at 1 h. */
export function getNotificationRetryDelayMs(attempt: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempt - 1), 60 * 60_000);
}

export interface DispatchNotificationsOptions {
  db?: PrismaClient;
  /** "Now" for due times and backoff (tests move time forward instead of sleeping). */
  now?: Date;
  limit?: number;
  log?: Logger;
  /**
   * Stops between mails (graceful shutdown): the mail being sent finishes and is recorded; the
   * rows claimed but not yet sent are handed back at once, due now, instead of staying leased
   * for {@link NOTIFICATION_LEASE_MS} — another instance sends them on its next tick.
   */
  signal?: AbortSignal;
}

export interface DispatchResult {
  sent: number;
  /** Failed attempts that will be retried. */
  retrying: number;
  /** Failed attempts after which the dispatcher gave up. */
  gaveUp: number;
  /** The claim was full: more rows may be due now (the loop goes on at once rather than waiting a tick). */
  hasMore: boolean;
}

/**
 * Sends the due notifications of the outbox through Graph `sendMail`, as the MAIL_SENDER mailbox.
 *
 * Multi-instance safe: due rows are claimed with `FOR UPDATE SKIP LOCKED` and leased — status
 * `sending`, `next_attempt_at` pushed {@link NOTIFICATION_LEASE_MS} ahead — before any mail goes
 * out, so two dispatchers never send the same row at once. Delivery is at least once: if the process
 * dies between Graph's 202 and recording it, the lease runs out and the mail is sent again.
 *
 * Approver digests (MAIL_DIGEST_MINUTES above 0): claiming a due `approval_requested` row for an
 * address also claims every other pending one for that address, due or not (never one leased by
 * another dispatcher), up to {@link DIGEST_MAX_REQUESTS}; they leave as one mail listing them all
 * and share its outcome. Digest claims take turns under an advisory lock, so dispatchers running
 * at once never split one approver's rows between them. A lone row is sent as the single mail queued for it.
 *
 * A failed attempt is recorded on each row of the mail (attempts, last error, the next due time
 * with exponential backoff) together with one `notification.failed` audit event per row — so each
 * request's trail shows its own mail failing; `details.digestOf` tells how many rows shared the
 * mail — in one transaction. The rows of a failed digest stay together: they share the next due
 * time (the backoff of the freshest of them). After {@link NOTIFICATION_MAX_ATTEMPTS} attempts of
 * a row, or at once for a definitive refusal (a 4xx such as an unknown recipient or a missing
 * `Mail.Send` permission), the row becomes `failed`.
 * Never throws for a send problem; a database failure propagates (the loop logs and retries).
 * Counts in the result are rows, not mails.
 */
export async function dispatchNotifications(options: DispatchNotificationsOptions = {}): Promise<DispatchResult> {
  const result: DispatchResult = { sent: 0, retrying: 0, gaveUp: 0, hasMore: false };
  const { sender, digestMinutes } = getEnv().mail;
  if (sender === null) return result;
  const db = await resolveDb(options);
  const now = options.now ?? new Date();
  const log = (options.log ?? rootLogger).child({ component: 'notifications' });

  if (options.signal?.aborted) return result;
  const limit = options.limit ?? BATCH_LIMIT;
  const claimed = await inTransaction(db, (tx) => claimDue(tx, now, limit, digestMinutes > 0));
  result.hasMore = claimed.length >= limit;
  const mails = groupIntoMails(claimed, digestMinutes > 0);
  for (const [index, group] of mails.entries()) {
    if (options.signal?.aborted) {
      const released = await releaseClaims(db, mails.slice(index).flat(), now);
      log.info({ released }, 'notification dispatch stopped; claimed notifications handed back');
      break;
    }
    const outcome = await attempt(db, sender, group);
    const ids = group.map((row) => row.id);
    if (outcome.ok) {
      const sentAt = new Date();
      // next_attempt_at = sent_at on a sent row: the pacing of approval mail finds recent sends by it.
      await db.notification.updateMany({
        where: { id: { in: ids }, status: 'sending' },
        data: { status: 'sent', sentAt, nextAttemptAt: sentAt, attempts: { increment: 1 }, lastError: null },
      });
      log.info({ notificationIds: ids, kind: group[0]?.kind, tapRequestIds: group.map((row) => row.tapRequestId), graphRequestId: outcome.graphRequestId }, 'notification sent');
      result.sent += group.length;
      continue;
    }
    const failed = await recordFailure(db, group, outcome, now, log);
    result.retrying += failed.retrying;
    result.gaveUp += failed.gaveUp;
  }
  return result;
}

/** Serialises digest claims across dispatchers and instances ("tdig"). */
const DIGEST_CLAIM_LOCK_KEY = 0x74646967;

/**
 * Claims up to `limit` due rows — pending, or `sending` with a lease that ran out — plus, for
 * digests, the other pending approval rows of the same addresses; leases them all.
 */
async function claimDue(tx: Prisma.TransactionClient, now: Date, limit: number, digest: boolean): Promise<Notification[]> {
  // Digest claims take turns: two at once could each lock some of one approver's rows (SKIP LOCKED)
  // and split their digest into two mails. A claim is a few statements, so waiting costs
  // milliseconds; the next claim's statements see the leases this one committed.
  if (digest) await tx.$executeRaw`SELECT pg_advisory_xact_lock(${DIGEST_CLAIM_LOCK_KEY}::bigint)`;
  const due = await tx.$queryRaw<{ id: string; kind: string; recipient_address: string | null }[]>`
    SELECT id::text AS id, kind, recipient_address FROM notification
    WHERE status IN ('pending', 'sending') AND next_attempt_at <= ${now}
    ORDER BY next_attempt_at, created_at
    LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`;
  if (due.length === 0) return [];
  const ids = due.map((row) => row.id);
  if (digest) {
    const perAddress = new Map<string, number>();
    for (const row of due) {
      if (row.kind === 'approval_requested' && row.recipient_address !== null) perAddress.set(row.recipient_address, (perAddress.get(row.recipient_address) ?? 0) + 1);
    }
    for (const [address, taken] of perAddress) {
      if (taken >= DIGEST_MAX_REQUESTS) continue;
      // `sending` rows are another dispatcher's while their lease runs; only an expired one is free.
      const more = await tx.$queryRaw<{ id: string }[]>`
        SELECT id::text AS id FROM notification
        WHERE kind = 'approval_requested' AND recipient_address = ${address}
          AND (status = 'pending' OR (status = 'sending' AND next_attempt_at <= ${now}))
          AND NOT (id = ANY(${ids}::uuid[]))
        ORDER BY created_at
        LIMIT ${DIGEST_MAX_REQUESTS - taken}
        FOR UPDATE SKIP LOCKED`;
      ids.push(...more.map((row) => row.id));
    }
  }
  await tx.notification.updateMany({ where: { id: { in: ids } }, data: { status: 'sending', nextAttemptAt: new Date(now.getTime() + NOTIFICATION_LEASE_MS) } });
  return tx.notification.findMany({ where: { id: { in: ids } }, orderBy: { createdAt: 'asc' } });
}

/**
 * Hands claimed rows back (pending, due `now`) — only while they still carry this claim's lease:
 * a row whose lease ran out and another dispatcher claimed again is theirs. Returns how many.
 */
async function releaseClaims(db: PrismaClient, rows: Notification[], now: Date): Promise<number> {
  if (rows.length === 0) return 0;
  const leaseUntil = new Date(now.getTime() + NOTIFICATION_LEASE_MS);
  const { count } = await db.notification.updateMany({
    where: { id: { in: rows.map((row) => row.id) }, status: 'sending', nextAttemptAt: leaseUntil },
    data: { status: 'pending', nextAttemptAt: now },
  });
  return count;
}

/** One mail per row, except approval rows of one address when digests are on: one mail for them all. */
function groupIntoMails(rows: Notification[], digest: boolean): Notification[][] {
  const mails: Notification[][] = [];
  const digests = new Map<string, Notification[]>();
  for (const row of rows) {
    if (!digest || row.kind !== 'approval_requested' || row.recipientAddress === null) {
      mails.push([row]);
      continue;
    }
    let group = digests.get(row.recipientAddress);
    if (group === undefined) {
      group = [];
      digests.set(row.recipientAddress, group);
      mails.push(group);
    }
    group.push(row);
  }
  return mails;
}

async function recordFailure(db: PrismaClient, group: Notification[], outcome: Extract<AttemptOutcome, { ok: false }>, now: Date, log: Logger): Promise<{ retrying: number; gaveUp: number }> {
  const counts = { retrying: 0, gaveUp: 0 };
  // Graph's error text and a directory mail address are not ours: cut like a client's text (a
  // token-shaped one would make the audit guard refuse the record and the failure go unrecorded).
  const error = sanitizeClientText(outcome.error.message, 500) ?? 'unknown error';
  const address = outcome.address === null ? null : sanitizeClientText(outcome.address, 320);
  const attemptOf = (row: Notification) => row.attempts + 1;
  const retries = (row: Notification) => outcome.error.retryable && attemptOf(row) < NOTIFICATION_MAX_ATTEMPTS;
  const freshest = Math.min(...group.filter(retries).map(attemptOf));
  const nextAttemptAt = Number.isFinite(freshest) ? new Date(now.getTime() + getNotificationRetryDelayMs(freshest)) : null;
  const details = {
    ...(address === null ? {} : { recipientAddress: address }),
    ...(group.length > 1 ? { digestOf: group.length } : {}),
  };
  await inTransaction(db, async (tx) => {
    for (const row of group) {
      const attemptNo = attemptOf(row);
      const willRetry = nextAttemptAt !== null && retries(row);
      const { count } = await tx.notification.updateMany({
        where: { id: row.id, status: 'sending' },
        data: { attempts: attemptNo, lastError: error, ...(willRetry ? { status: 'pending', nextAttemptAt } : { status: 'failed' }) },
      });
      if (count !== 1) continue;
      await appendAuditEvent(tx, {
        type: 'notification.failed',
        actorId: SYSTEM_ACTOR_ID,
        targetId: row.recipientUserId,
        requestId: row.tapRequestId,
        data: {
          notificationId: row.id,
          kind: row.kind,
          attempt: attemptNo,
          maxAttempts: NOTIFICATION_MAX_ATTEMPTS,
          willRetry,
          nextAttemptAt: willRetry ? nextAttemptAt : null,
          graphStatus: outcome.error.status,
          graphCode: outcome.error.graphCode,
          graphRequestId: outcome.error.graphRequestId,
          error,
          ...(Object.keys(details).length === 0 ? {} : { details }),
        },
        context: systemContext(log, `notify-${randomUUID()}`),
      });
      if (willRetry) counts.retrying += 1;
      else counts.gaveUp += 1;
    }
  });
  log.warn(
    { notificationIds: group.map((row) => row.id), kind: group[0]?.kind, ...counts, graphStatus: outcome.error.status, graphCode: outcome.error.graphCode },
    'notification not sent',
  );
  return counts;
}

type AttemptOutcome = { ok: true; graphRequestId: string | null } | { ok: false; error: MailSendError; address: string | null };

/** The mail for a group: a lone row's own message, or a digest of the requests as they are now. */
async function composeMail(db: PrismaClient, group: Notification[]): Promise<{ subject: string; html: string }> {
  const [only] = group;
  if (only !== undefined && group.length === 1) return { subject: only.subject, html: only.bodyHtml };
  const requestIds = group.flatMap((row) => (row.tapRequestId === null ? [] : [row.tapRequestId]));
  const requests = new Map((await db.tapRequest.findMany({ where: { id: { in: requestIds } } })).map((r) => [r.id, r]));
  const digest = renderApprovalDigest(
    group.map((row) => ({ request: (row.tapRequestId === null ? undefined : requests.get(row.tapRequestId)) ?? null, requestId: row.tapRequestId, fallbackSubject: row.subject })),
    { portalUrl: getEnv().portalUrl },
  );
  return { subject: digest.subject, html: digest.html };
}

async function attempt(db: PrismaClient, sender: string, group: Notification[]): Promise<AttemptOutcome> {
  const first = group[0];
  let address: string | null = first?.recipientAddress ?? null;
  try {
    if (address === null && first?.recipientUserId != null) address = await getUserMailAddress(first.recipientUserId);
    if (address === null) {
      return { ok: false, address: null, error: new MailSendError('the recipient has no mail address in the directory', null, 'no-mail-address', null, false) };
    }
    const mail = await composeMail(db, group);
    const { graphRequestId } = await sendMail(sender, { to: [address], subject: mail.subject, html: mail.html });
    return { ok: true, graphRequestId };
  } catch (error) {
    if (error instanceof MailSendError) return { ok: false, error, address };
    // A defect or an unexpected Graph answer: keep trying on the schedule, but say what it was.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ok: false, address, error: new MailSendError(message, null, null, null, true) };
  }
}
