import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { getDecidableRequestOrThrow } from '@/lib/broker/get-decidable-request';
import { inTransaction, resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { toRequestView, type TapRequestView } from '@/lib/broker/to-request-view';
import { enqueueNotifications } from '@/lib/notify/enqueue-notifications';
import { kickNotificationDispatcher } from '@/lib/notify/dispatcher-loop';

/**
 * An approver's no to a pending request, with the reason the requester will read
 * (`denyTapRequest`). No Graph call.
 */

export interface DenyTapRequestInput {
  id: string;
  /** Required: the requester sees it. */
  reason: string;
}

/**
 * An approver denies a pending request, with a reason. The same guards as approval (approver
 * role; never their own request or a pass for themselves → 403, audited; step-up when the policy
 * covers decisions → 401, audited) and the same conditional transition
 * (`pending_approval → denied`; a request decided meanwhile → 409). No Graph call: refusing a
 * pass needs no proof from the org chart.
 */
export async function denyTapRequest(actor: Actor, input: DenyTapRequestInput, ctx: RequestContext, options: UseCaseOptions = {}): Promise<TapRequestView> {
  const reason = input.reason.trim();
  if (reason === '') throw new BrokerError('validation-failed', 'A reason is required to deny a request.', { errors: [{ path: 'reason', message: 'must not be empty' }] });

  const db = await resolveDb(options);
  const request = await getDecidableRequestOrThrow(db, actor, input.id, 'deny', ctx);

  const decidedAt = new Date();
  const updated = await inTransaction(db, async (tx) => {
    const [denied] = await tx.tapRequest.updateManyAndReturn({
      where: { id: request.id, status: 'pending_approval' },
      data: { status: 'denied', decidedBy: actor.id, decidedByDisplayName: actor.displayName, decidedAt, decisionComment: reason },
    });
    if (denied === undefined) throw new BrokerError('conflict', 'The request was decided meanwhile.');
    // The requester hears about the decision and its reason (outbox, same transaction).
    await enqueueNotifications(tx, 'request_denied', denied);
    // Last: the audit append holds the chain's head until this transaction commits.
    await appendAuditEvent(tx, {
      type: 'tap_request.denied',
      actorId: actor.id,
      targetId: request.targetUserId,
      requestId: request.id,
      data: { decidedBy: actor.id, reason, policyVersion: request.policyVersion },
      context: ctx,
    });
    return denied;
  });
  kickNotificationDispatcher();
  ctx.log.info({ tapRequestId: updated.id }, 'TAP request denied');
  return toRequestView(updated);
}
