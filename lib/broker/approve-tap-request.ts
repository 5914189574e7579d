import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { getDecidableRequestOrThrow } from '@/lib/broker/get-decidable-request';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { inTransaction, resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { getApprovalExpiry, judgeTapRequest } from '@/lib/broker/tap-request-policy';
import { refuseTapRequest } from '@/lib/broker/refuse-tap-request';
import { toRequestView, type TapRequestView } from '@/lib/broker/to-request-view';
import { getTargetFacts } from '@/lib/graph/get-target-facts';
import { enqueueNotifications } from '@/lib/notify/enqueue-notifications';
import { kickNotificationDispatcher } from '@/lib/notify/dispatcher-loop';

/**
 * An approver's yes to a pending request (`approveTapRequest`): re-checked against Graph and the
 * policy in force, decided once.
 */

export interface ApproveTapRequestInput {
  id: string;
  comment?: string | undefined;
}

/**
 * An approver approves a pending request. Never their own request, never a pass for themselves
 * (403 `forbidden`, audited). The decision is final and made once: the transition
 * `pending_approval → approved` is a conditional update, so of two approvers at once exactly one
 * wins and the other gets 409 `conflict`.
 *
 * The org chart is re-read from Graph (one round trip) with the current policy: if the requester
 * is no longer above the target within `maxDepth`, or the target is no longer eligible, the
 * request is marked `failed` with a `tap_request.refused` event. Status codes: 409 `conflict` when
 * the requester left the chain (the approver is not the one outside it, so
 * `not-in-reporting-chain` would misdescribe the caller; likewise when the requester's account
 * is no longer an enabled member); 422 `target-ineligible` with the reasons when the target
 * became ineligible.
 *
 * When the policy's step-up covers decisions (`stepUpActions` has `approve`), a token without its
 * authentication context gets 401 `step-up-required` (audited) before anything else happens.
 *
 * The approval is valid for the policy's `approvalValidityMinutes`.
 */
export async function approveTapRequest(
  actor: Actor,
  input: ApproveTapRequestInput,
  ctx: RequestContext,
  options: UseCaseOptions = {},
): Promise<TapRequestView> {
  const db = await resolveDb(options);
  const request = await getDecidableRequestOrThrow(db, actor, input.id, 'approve', ctx);

  const policy = await getCurrentPolicy(db);
  const facts = await getTargetFacts(request.targetUserId, { log: ctx.log });
  const check = judgeTapRequest({ id: request.requesterId }, facts, policy);
  const evidence = { chain: facts.chain.map((link) => link.id), policyVersion: policy.version, graphRequestId: facts.graphRequestId };
  if (!check.ok) {
    throw await refuseTapRequest(
      db,
      check,
      { stage: 'approve', actorId: actor.id, targetId: request.targetUserId, request: { id: request.id, status: 'pending_approval' }, evidence },
      ctx,
    );
  }

  const decidedAt = new Date();
  const approvalExpiresAt = getApprovalExpiry(policy, decidedAt);
  const comment = input.comment?.trim() || null;
  const updated = await inTransaction(db, async (tx) => {
    const [approved] = await tx.tapRequest.updateManyAndReturn({
      where: { id: request.id, status: 'pending_approval' },
      data: { status: 'approved', decidedBy: actor.id, decidedByDisplayName: actor.displayName, decidedAt, decisionComment: comment, approvalExpiresAt },
    });
    if (approved === undefined) throw new BrokerError('conflict', 'The request was decided meanwhile.');
    // The requester hears about the decision (outbox, same transaction).
    await enqueueNotifications(tx, 'request_approved', approved);
    // Last: the audit append holds the chain's head until this transaction commits.
    await appendAuditEvent(tx, {
      type: 'tap_request.approved',
      actorId: actor.id,
      targetId: request.targetUserId,
      requestId: request.id,
      data: { ...evidence, chain: check.chain, depth: check.depth, decidedBy: actor.id, auto: false, comment, approvalExpiresAt },
      context: ctx,
    });
    return approved;
  });
  kickNotificationDispatcher();
  ctx.log.info({ tapRequestId: updated.id }, 'TAP request approved');
  return toRequestView(updated);
}
