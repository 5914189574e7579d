import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { refuseTapRequest } from '@/lib/broker/refuse-tap-request';
import { inTransaction, resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { checkJustification, judgeTapRequest, getApprovalExpiry, requiresApproval, resolveTapRequestTerms } from '@/lib/broker/tap-request-policy';
import { toRequestView, type TapRequestView } from '@/lib/broker/to-request-view';
import { getTargetFacts, isUserReference } from '@/lib/graph/get-target-facts';
import { SYSTEM_ACTOR_ID } from '@/lib/core/request-context';
import { enqueueNotifications } from '@/lib/notify/enqueue-notifications';
import { kickNotificationDispatcher } from '@/lib/notify/dispatcher-loop';

/**
 * A manager asks for a pass for a reportee (`POST /api/tap-requests`, `requestTap`): chain and
 * eligibility from Graph, terms from the policies, stored with its evidence.
 */

export interface RequestTapInput {
  /** The target's object id (or UPN). */
  targetUserId: string;
  justification: string;
  lifetimeInMinutes?: number | undefined;
  isUsableOnce?: boolean | undefined;
  /** ISO 8601 with an offset. */
  startDateTime?: string | undefined;
}

/**
 * A manager asks for a Temporary Access Pass for someone in their reporting line.
 *
 * One Graph round trip (`getTargetFacts`): the target, its manager chain, every signal of the
 * eligibility rule and the tenant TAP policy. The caller must be in the chain within the stored
 * policy's `maxDepth` (unknown ids and outsiders alike: 403 `not-in-reporting-chain`), the
 * target eligible under the policy's rule (422 `target-ineligible` with reasons), the terms
 * inside the broker and tenant policies (400). A refusal on the chain or eligibility is audited
 * (`tap_request.refused`) before it is thrown.
 *
 * On success the request is stored with the chain it saw as evidence and `tap_request.created`
 * in one transaction — plus an automatic `tap_request.approved` (decidedBy `system`) when the
 * policy needs no approver at this depth.
 */
export async function requestTap(actor: Actor, input: RequestTapInput, ctx: RequestContext, options: UseCaseOptions = {}): Promise<TapRequestView> {
  const justification = checkJustification(input.justification);
  if (!justification.ok) throw new BrokerError('validation-failed', 'The justification must be a sentence (at least 10 characters and two words).', { errors: [justification.issue] });

  const db = await resolveDb(options);
  const policy = await getCurrentPolicy(db);
  const facts = await getTargetFacts(input.targetUserId, { log: ctx.log });
  const decision = judgeTapRequest(actor, facts, policy);
  if (!decision.ok) {
    throw await refuseTapRequest(
      db,
      decision,
      {
        stage: 'create',
        actorId: actor.id,
        // What was asked about; a reference that is neither id- nor UPN-shaped named nobody and is not stored.
        targetId: facts.target?.id ?? (isUserReference(input.targetUserId) ? input.targetUserId : null),
        // The chain is evidence only where it is the caller's own line: an outsider's refusal keeps none.
        evidence: { policyVersion: policy.version, graphRequestId: facts.graphRequestId, ...(decision.code === 'target-ineligible' ? { chain: facts.chain.map((link) => link.id) } : {}) },
      },
      ctx,
    );
  }
  // Narrowed by canRequestTapFor: a request only exists for a target Graph knows.
  const target = facts.target;
  if (target === null) throw new BrokerError('not-in-reporting-chain');
  // Likewise: an unreadable tenant TAP policy made the target `cannot-verify` above.
  const tapPolicy = facts.tapPolicy;
  if (tapPolicy === null) throw new BrokerError('target-ineligible', undefined, { reasons: ['cannot-verify'] });

  const now = new Date();
  const terms = resolveTapRequestTerms(input, policy, tapPolicy, target, now);
  if (!terms.ok) throw new BrokerError('validation-failed', 'The requested pass is outside what policy allows.', { errors: terms.errors });

  const needsApproval = requiresApproval(policy, decision.depth);
  const approvalExpiresAt = needsApproval ? null : getApprovalExpiry(policy, now);
  const targetDisplayName = target.displayName ?? target.userPrincipalName ?? target.id;

  const row = await inTransaction(db, async (tx) => {
    const created = await tx.tapRequest.create({
      data: {
        status: needsApproval ? 'pending_approval' : 'approved',
        requesterId: actor.id,
        targetUserId: target.id,
        targetDisplayName,
        requesterDisplayName: actor.displayName,
        targetUserPrincipalName: target.userPrincipalName,
        chainDisplayNames: facts.chain.slice(0, decision.depth).map((link) => link.displayName ?? link.id),
        justification: justification.value,
        lifetimeInMinutes: terms.terms.lifetimeInMinutes,
        isUsableOnce: terms.terms.isUsableOnce,
        startDateTime: terms.terms.startDateTime,
        chain: decision.chain,
        depth: decision.depth,
        policyVersion: policy.version,
        createdAt: now,
        ...(needsApproval ? {} : { decidedBy: SYSTEM_ACTOR_ID, decidedAt: now, approvalExpiresAt }),
      },
    });
    const evidence = { chain: decision.chain, depth: decision.depth, policyVersion: policy.version, graphRequestId: facts.graphRequestId };
    await appendAuditEvent(tx, {
      type: 'tap_request.created',
      actorId: actor.id,
      targetId: target.id,
      requestId: created.id,
      data: {
        ...evidence,
        status: created.status === 'approved' ? 'approved' : 'pending_approval',
        targetDisplayName,
        justification: justification.value,
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
    if (created.status === 'pending_approval') await enqueueNotifications(tx, 'approval_requested', created);
    return created;
  });
  kickNotificationDispatcher();
  ctx.log.info({ tapRequestId: row.id, status: row.status, depth: row.depth }, 'TAP request created');
  return toRequestView(row);
}
