import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { Actor } from '@/lib/auth/actor';
import { SYSTEM_ACTOR_ID, type RequestContext } from '@/lib/core/request-context';
import { checkPendingCap, type PendingCapDecision } from '@/lib/broker/pending-cap';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { getApprovalExpiry, requiresApproval, type TapRequestTerms } from '@/lib/broker/tap-request-policy';
import { inTransaction } from '@/lib/db/transaction';
import type { PrismaClient, TapRequest } from '@/lib/db/generated/client';
import type { ChainManager, GraphUserFacts } from '@/lib/graph/get-target-facts';
import { enqueueNotifications } from '@/lib/notify/enqueue-notifications';

/**
 * A checked TAP request stored with its evidence (`recordTapRequest`): the row, its audit events
 * and the approvers' notification commit together or not at all — or nothing, when the request
 * would wait for an approver and the requester's pending cap is reached.
 */

export interface NewTapRequest {
  actor: Pick<Actor, 'id' | 'displayName'>;
  target: GraphUserFacts;
  /** The target's management chain as Graph returned it (display names are kept for the views). */
  chain: readonly ChainManager[];
  /** Where the requester sits in it: the ids from the target's manager up to them, and the depth. */
  decision: { chain: string[]; depth: number };
  justification: string;
  terms: TapRequestTerms;
  policy: BrokerPolicy;
  graphRequestId: string | null;
  now: Date;
}

/** The stored request, or the cap that kept a pending one out (nothing was written). */
export type RecordTapRequestResult = { ok: true; row: TapRequest } | Extract<PendingCapDecision, { ok: false }>;

/**
 * Stores the request as `pending_approval`, or as `approved` by `system` when the policy needs no
 * approver at its depth, with `tap_request.created` (and `tap_request.approved`, `auto: true`) and,
 * for a pending one, the approvers' notification in the outbox — one transaction.
 *
 * A pending one is first held to `maxPendingRequestsPerRequester` under the requester's lock, in
 * this same transaction, so parallel requests cannot together exceed it; at the cap nothing is
 * stored and the decision is returned for the caller to refuse (`refuseTapRequest`).
 */
export async function recordTapRequest(db: PrismaClient, request: NewTapRequest, ctx: RequestContext): Promise<RecordTapRequestResult> {
  const { actor, target, decision, policy, now } = request;
  const needsApproval = requiresApproval(policy, decision.depth);
  const approvalExpiresAt = needsApproval ? null : getApprovalExpiry(policy, now);
  const targetDisplayName = target.displayName ?? target.userPrincipalName ?? target.id;
  const evidence = { chain: decision.chain, depth: decision.depth, policyVersion: policy.version, graphRequestId: request.graphRequestId };

  return inTransaction(db, async (tx): Promise<RecordTapRequestResult> => {
    if (needsApproval) {
      // Before the first audit append: the requester's lock, then the audit chain's, always in that order.
      const cap = await checkPendingCap(tx, actor.id, policy);
      if (!cap.ok) return cap;
    }
    const created = await tx.tapRequest.create({
      data: {
        status: needsApproval ? 'pending_approval' : 'approved',
        requesterId: actor.id,
        targetUserId: target.id,
        targetDisplayName,
        requesterDisplayName: actor.displayName,
        targetUserPrincipalName: target.userPrincipalName,
        chainDisplayNames: request.chain.slice(0, decision.depth).map((link) => link.displayName ?? link.id),
        justification: request.justification,
        lifetimeInMinutes: request.terms.lifetimeInMinutes,
        isUsableOnce: request.terms.isUsableOnce,
        startDateTime: request.terms.startDateTime,
        chain: decision.chain,
        depth: decision.depth,
        policyVersion: policy.version,
        createdAt: now,
        ...(needsApproval ? {} : { decidedBy: SYSTEM_ACTOR_ID, decidedAt: now, approvalExpiresAt }),
      },
    });
    if (created.status === 'pending_approval') await enqueueNotifications(tx, 'approval_requested', created);
    // The audit events last: an append holds the chain's head until this transaction commits.
    await appendAuditEvent(tx, {
      type: 'tap_request.created',
      actorId: actor.id,
      targetId: target.id,
      requestId: created.id,
      data: {
        ...evidence,
        status: created.status === 'approved' ? 'approved' : 'pending_approval',
        targetDisplayName,
        justification: request.justification,
        lifetimeInMinutes: created.lifetimeInMinutes,
        isUsableOnce: created.isUsableOnce,
        startDateTime: created.startDateTime,
      },
      context: ctx,
    });
    if (approvalExpiresAt !== null) {
      await appendAuditEvent(tx, {
        type: 'tap_request.approved',
        actorId: SYSTEM_ACTOR_ID,
        targetId: target.id,
        requestId: created.id,
        data: { ...evidence, decidedBy: SYSTEM_ACTOR_ID, auto: true, approvalExpiresAt },
        context: ctx,
      });
    }
    // Approvers hear about a request that waits for them (outbox, same transaction).
    return { ok: true, row: created };
  });
}
