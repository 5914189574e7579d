import 'server-only';
import type { Prisma } from '@/lib/db/generated/client';
import { getEnv } from '@/lib/env';
import { renderNotification, type NotifiableRequest, type NotificationKind } from '@/lib/notify/messages';

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
 */
export async function enqueueNotifications(tx: Prisma.TransactionClient, kind: NotificationKind, request: NotifiableRequest): Promise<number> {
  const { sender, approverAddresses } = getEnv().mail;
  if (sender === null) return 0;
  const recipients: { recipientUserId: string | null; recipientAddress: string | null }[] =
    kind === 'approval_requested'
      ? approverAddresses.map((address) => ({ recipientUserId: null, recipientAddress: address }))
      : [{ recipientUserId: kind === 'pass_issued' ? request.targetUserId : request.requesterId, recipientAddress: null }];
  if (recipients.length === 0) return 0;
  const message = renderNotification(kind, request);
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
