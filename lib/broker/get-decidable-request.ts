import 'server-only';
import type { Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { requireStepUp } from '@/lib/broker/require-step-up';
import { auditAlone, findRequest } from '@/lib/broker/tap-request-store';
import { canApprove } from '@/lib/broker/tap-request-policy';
import type { PrismaClient, TapRequest } from '@/lib/db/generated/client';

/**
 * The request an approver is about to decide (`approve` or `deny`), or the refusal: unknown →
 * 404; not an approver, their own request, or a pass for themselves → 403 with a
 * `tap_request.refused` event; the policy wants step-up for decisions and the token lacks its
 * authentication context → 401 `step-up-required`, audited; no longer pending → 409. The
 * decision itself re-checks the status in its conditional update, so two deciders at once still
 * produce one decision.
 */
export async function getDecidableRequestOrThrow(
  db: PrismaClient,
  actor: Actor,
  id: string,
  stage: 'approve' | 'deny',
  ctx: RequestContext,
): Promise<TapRequest> {
  const request = await findRequest(db, id);
  if (request === null) throw new BrokerError('not-found', 'No such request.');
  const allowed = canApprove(actor, request);
  if (!allowed.ok) {
    await auditAlone(db, {
      type: 'tap_request.refused',
      actorId: actor.id,
      targetId: request.targetUserId,
      requestId: request.id,
      data: { stage, code: 'forbidden', reasons: [allowed.why] },
      context: ctx,
    });
    throw new BrokerError(
      'forbidden',
      allowed.why === 'not-an-approver' ? `Only approvers may ${stage} requests.` : 'Nobody may decide their own request or a pass for themselves.',
    );
  }
  // After the role checks (no second factor is asked for a decision the caller may not make),
  // before the status: a session without the second factor learns nothing about the request's state.
  await requireStepUp(db, actor, await getCurrentPolicy(db), stage, { request }, ctx);
  if (request.status !== 'pending_approval') {
    throw new BrokerError('conflict', `The request is ${request.status}; only a pending request can be ${stage === 'approve' ? 'approved' : 'denied'}.`);
  }
  return request;
}
