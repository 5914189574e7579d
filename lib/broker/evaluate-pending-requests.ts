import 'server-only';
import { hasRole, type Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import type { IneligibleReason } from '@/lib/broker/eligibility';
import { BrokerError, isBrokerError } from '@/lib/core/errors';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { MAX_LISTED_REQUESTS } from '@/lib/broker/list-tap-requests';
import { judgeTapRequest } from '@/lib/broker/tap-request-policy';
import { resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { getManyTargetFacts } from '@/lib/graph/get-target-facts';

/**
 * The approver's queue re-judged against Graph now (`GET /api/tap-requests/evaluation`,
 * `evaluatePendingRequests`). Informational: approval re-checks anyway.
 */

export interface PendingEvaluation {
  requestId: string;
  /** Whether approving now would pass the checks approval makes (chain, requester, eligibility, policy). */
  approvable: boolean;
  /** Why not: `not-in-reporting-chain`, `target-ineligible`, or `forbidden` (the requester's account). */
  code: 'not-in-reporting-chain' | 'target-ineligible' | 'forbidden' | null;
  reasons: IneligibleReason[];
  /** The requester's depth above the target now (null when no longer in the chain). */
  depth: number | null;
}

/**
 * The approver's queue, re-judged against Graph now: for every pending request, whether the
 * requester is still in the target's chain within the current policy and whether the target is
 * still eligible — the same predicates approval applies, read for all targets in one batched
 * round (never a request per person outside `$batch`). Informational: approving re-checks anyway.
 *
 * Graph unreachable → `upstream-unavailable` (the queue itself stays readable through
 * `GET /api/tap-requests?scope=pending`).
 */
export async function evaluatePendingRequests(
  actor: Actor,
  ctx: RequestContext,
  options: UseCaseOptions = {},
): Promise<{ checkedAt: string; evaluations: PendingEvaluation[] }> {
  if (!hasRole(actor, 'approver')) throw new BrokerError('forbidden', 'Only approvers may evaluate pending requests.');
  const db = await resolveDb(options);
  const pending = await db.tapRequest.findMany({
    where: { status: 'pending_approval' },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: MAX_LISTED_REQUESTS,
    select: { id: true, requesterId: true, targetUserId: true },
  });
  const checkedAt = new Date().toISOString();
  if (pending.length === 0) return { checkedAt, evaluations: [] };
  const policy = await getCurrentPolicy(db);
  let facts: Awaited<ReturnType<typeof getManyTargetFacts>>;
  try {
    facts = await getManyTargetFacts(
      pending.map((r) => r.targetUserId),
      { log: ctx.log },
    );
  } catch (error) {
    if (isBrokerError(error)) throw error;
    throw new BrokerError('upstream-unavailable', 'Microsoft Graph could not be read.', { cause: error });
  }
  const evaluations = pending.map((request): PendingEvaluation => {
    const f = facts.get(request.targetUserId);
    if (f === undefined || f.target === null) {
      return { requestId: request.id, approvable: false, code: 'not-in-reporting-chain', reasons: [], depth: null };
    }
    const check = judgeTapRequest({ id: request.requesterId }, f, policy);
    if (check.ok) return { requestId: request.id, approvable: true, code: null, reasons: [], depth: check.depth };
    const index = f.chain.findIndex((link) => link.id.toLowerCase() === request.requesterId.toLowerCase());
    return {
      requestId: request.id,
      approvable: false,
      code: check.code,
      reasons: check.code === 'target-ineligible' ? check.reasons : [],
      depth: index < 0 ? null : index + 1,
    };
  });
  return { checkedAt, evaluations };
}
