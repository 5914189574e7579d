import 'server-only';
import type { Prisma } from '@/lib/db/generated/client';
import { getEnv } from '@/lib/env';
import { renderNotification, type NotifiableRequest, type NotificationKind, type RenderedMessage } from '@/lib/notify/messages';

/**
 * Queues the mails a state change announces, as `notification` rows — inside the caller's
 * transaction (`tx`), so they commit or roll back with the change (the outbox pattern). Sending
 * happens later, in `dispatchNotifications`; a mail problem can therefore never block or undo the
 * action. A no-op when notifications are off (MAIL_SENDER unset), or for approval requests when
 * no approver addresses are configured.
 *
 * Recipients: approvers by the configured addresses (one row each, so one bad address does not
 * hold up the others); the requester and the target by object id, their address looked up in
 * Graph when the mail is sent.
 *
 * Approver rows are paced when MAIL_DIGEST_MINUTES is above 0 (see {@link enqueueApprovalRows}).
 */
export async function enqueueNotifications(tx: Prisma.TransactionClient, kind: NotificationKind, request: NotifiableRequest): Promise<number> {
  const env = getEnv();
  const { sender, approverAddresses, digestMinutes } = env.mail;
  if (sender === null) return 0;
  const message = renderNotification(kind, request, { portalUrl: env.portalUrl });
  if (kind === 'approval_requested') {
    if (approverAddresses.length === 0) return 0;
    if (digestMinutes > 0) return enqueueApprovalRows(tx, request.id, approverAddresses, message, digestMinutes);
  }
  const recipients: { recipientUserId: string | null; recipientAddress: string | null }[] =
    kind === 'approval_requested'
      ? approverAddresses.map((address) => ({ recipientUserId: null, recipientAddress: address }))
      : [{ recipientUserId: kind === 'pass_issued' ? request.targetUserId : request.requesterId, recipientAddress: null }];
  const { count } = await tx.notification.createMany({
    data: recipients.map((recipient) => ({
      kind,
      tapRequestId: request.id,
      ...recipient,
      subject: message.subject,
      bodyText: message.text,
      bodyHtml: message.html,
    })),
  });
  return count;
}

/**
 * One `approval_requested` row per approver address, each due at the latest of: now; the last
 * approval mail to that address plus the digest interval (a mail in flight counts as sent now); and
 * the address's next mail already scheduled (a digest waiting, or a retry in backoff — a new request
 * joins it rather than trigger an extra attempt). So the first request of a quiet period mails at
 * once, and the ones after it wait and leave together, as one digest, when the dispatcher claims the
 * first of them (it takes every pending row of the address along).
 *
 * One statement over the outbox itself, by the database's clock: nothing is kept in memory, and
 * instances sharing the database pace together. A sent row's `next_attempt_at` equals its `sent_at`
 * (the dispatcher keeps it so), which lets the `(status, next_attempt_at)` index find recent sends.
 */
async function enqueueApprovalRows(tx: Prisma.TransactionClient, tapRequestId: string, addresses: string[], message: RenderedMessage, digestMinutes: number): Promise<number> {
  return tx.$executeRaw`
    INSERT INTO notification (kind, tap_request_id, recipient_address, subject, body_text, body_html, next_attempt_at)
    SELECT 'approval_requested', ${tapRequestId}::uuid, a.address, ${message.subject}, ${message.text}, ${message.html},
      GREATEST(
        now(),
        (SELECT max(CASE WHEN n.status = 'sent' THEN n.sent_at ELSE now() END) + make_interval(mins => ${digestMinutes}::int)
          FROM notification n
          WHERE n.kind = 'approval_requested' AND n.recipient_address = a.address
            AND ((n.status = 'sent' AND n.next_attempt_at >= now() - make_interval(mins => ${digestMinutes}::int)
                   AND n.sent_at >= now() - make_interval(mins => ${digestMinutes}::int))
              OR (n.status = 'sending' AND n.next_attempt_at > now()))),
        (SELECT min(n.next_attempt_at) FROM notification n
          WHERE n.status = 'pending' AND n.kind = 'approval_requested' AND n.recipient_address = a.address)
      )
    FROM unnest(${addresses}::text[]) AS a(address)`;
}
