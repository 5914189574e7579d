import 'server-only';
import { randomUUID } from 'node:crypto';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { SYSTEM_ACTOR_ID, systemContext } from '@/lib/core/request-context';
import { inTransaction, resolveDb } from '@/lib/db/transaction';
import type { Notification, PrismaClient } from '@/lib/db/generated/client';
import { getEnv } from '@/lib/env';
import { getUserMailAddress, MailSendError, sendMail } from '@/lib/graph/send-mail';
import { logger as rootLogger, type Logger } from '@/lib/log';

/** Attempts per message before the dispatcher gives up (status `failed`). */
export const NOTIFICATION_MAX_ATTEMPTS = 6;
/** While an attempt is in flight the row is leased this long, so another instance skips it. */
export const NOTIFICATION_LEASE_MS = 2 * 60_000;
const BATCH_LIMIT = 20;

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
}

export interface DispatchResult {
  sent: number;
  /** Failed attempts that will be retried. */
  retrying: number;
  /** Failed attempts after which the dispatcher gave up. */
  gaveUp: number;
}

/**
 * Sends the due notifications of the outbox through Graph `sendMail`, as the MAIL_SENDER mailbox.
 *
 * Multi-instance safe: due rows are claimed with `FOR UPDATE SKIP LOCKED` and leased (their
 * `next_attempt_at` pushed {@link NOTIFICATION_LEASE_MS} ahead) before any mail goes out, so two
 * dispatchers never send the same row at once. Delivery is at least once: if the process dies
 * between Graph's 202 and recording it, the lease runs out and the mail is sent again.
 *
 * A failed attempt is recorded on the row (attempts, last error, the next due time with
 * exponential backoff) together with a `notification.failed` audit event in one transaction;
 * after {@link NOTIFICATION_MAX_ATTEMPTS} attempts, or at once for a definitive refusal (a 4xx such
 * as an unknown recipient or a missing `Mail.Send` permission), the row becomes `failed`.
 * Never throws for a send problem; a database failure propagates (the loop logs and retries).
 */
export async function dispatchNotifications(options: DispatchNotificationsOptions = {}): Promise<DispatchResult> {
  const result: DispatchResult = { sent: 0, retrying: 0, gaveUp: 0 };
  const sender = getEnv().mail.sender;
  if (sender === null) return result;
  const db = await resolveDb(options);
  const now = options.now ?? new Date();
  const log = (options.log ?? rootLogger).child({ component: 'notifications' });

  const claimed = await inTransaction(db, async (tx) => {
    const due = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM notification
      WHERE status = 'pending' AND next_attempt_at <= ${now}
      ORDER BY next_attempt_at, created_at
      LIMIT ${options.limit ?? BATCH_LIMIT}
      FOR UPDATE SKIP LOCKED`;
    if (due.length === 0) return [];
    const ids = due.map((row) => row.id);
    await tx.notification.updateMany({ where: { id: { in: ids } }, data: { nextAttemptAt: new Date(now.getTime() + NOTIFICATION_LEASE_MS) } });
    return tx.notification.findMany({ where: { id: { in: ids } }, orderBy: { createdAt: 'asc' } });
  });

  for (const row of claimed) {
    const outcome = await attempt(sender, row);
    if (outcome.ok) {
      await db.notification.updateMany({
        where: { id: row.id, status: 'pending' },
        data: { status: 'sent', sentAt: new Date(), attempts: row.attempts + 1, lastError: null },
      });
      log.info({ notificationId: row.id, kind: row.kind, tapRequestId: row.tapRequestId, graphRequestId: outcome.graphRequestId }, 'notification sent');
      result.sent += 1;
      continue;
    }
    const attemptNo = row.attempts + 1;
    const willRetry = outcome.error.retryable && attemptNo < NOTIFICATION_MAX_ATTEMPTS;
    const nextAttemptAt = willRetry ? new Date(now.getTime() + getNotificationRetryDelayMs(attemptNo)) : null;
    const error = outcome.error.message.slice(0, 500);
    await inTransaction(db, async (tx) => {
      const { count } = await tx.notification.updateMany({
        where: { id: row.id, status: 'pending' },
        data: { attempts: attemptNo, lastError: error, ...(nextAttemptAt === null ? { status: 'failed' } : { nextAttemptAt }) },
      });
      if (count !== 1) return;
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
          nextAttemptAt,
          graphStatus: outcome.error.status,
          graphCode: outcome.error.graphCode,
          graphRequestId: outcome.error.graphRequestId,
          error,
          ...(outcome.address === null ? {} : { details: { recipientAddress: outcome.address } }),
        },
        context: systemContext(log, `notify-${randomUUID()}`),
      });
    });
    log.warn({ notificationId: row.id, kind: row.kind, attempt: attemptNo, willRetry, graphStatus: outcome.error.status, graphCode: outcome.error.graphCode }, 'notification not sent');
    if (willRetry) result.retrying += 1;
    else result.gaveUp += 1;
  }
  return result;
}

type AttemptOutcome = { ok: true; graphRequestId: string | null } | { ok: false; error: MailSendError; address: string | null };

async function attempt(sender: string, row: Notification): Promise<AttemptOutcome> {
  let address: string | null = row.recipientAddress;
  try {
    if (address === null && row.recipientUserId !== null) address = await getUserMailAddress(row.recipientUserId);
    if (address === null) {
      return { ok: false, address: null, error: new MailSendError('the recipient has no mail address in the directory', null, 'no-mail-address', null, false) };
    }
    const { graphRequestId } = await sendMail(sender, { to: [address], subject: row.subject, html: row.bodyHtml });
    return { ok: true, graphRequestId };
  } catch (error) {
    if (error instanceof MailSendError) return { ok: false, error, address };
    // A defect or an unexpected Graph answer: keep trying on the schedule, but say what it was.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ok: false, address, error: new MailSendError(message, null, null, null, true) };
  }
}
