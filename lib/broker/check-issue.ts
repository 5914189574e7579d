import 'server-only';
import type { Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { expireApproval, expireAutoApproval } from '@/lib/broker/expire-approval';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { refuseTapRequest, type RefusalEvidence } from '@/lib/broker/refuse-tap-request';
import { getLifetimeBounds, isApprovalValid, judgeTapRequest, needsApproverNow } from '@/lib/broker/tap-request-policy';
import type { PrismaClient, TapRequest } from '@/lib/db/generated/client';
import { getTargetFacts } from '@/lib/graph/get-target-facts';

/**
 * Step 1 of issuing a pass (`checkIssue`): the request must still be approved, and the reporting
 * line, the target's eligibility, the approval and the terms must all still hold under the policy
 * in force now, read from Graph in one round trip.
 */

/** What the later steps need from the check. */
export interface IssueCheck {
  /** The chain from the target's manager up to the requester, as Graph has it now, and the policy judged. */
  evidence: Required<Pick<RefusalEvidence, 'chain' | 'depth' | 'policyVersion'>> & { graphRequestId: string | null };
  /** The pass Graph holds for the target now: the create will replace it (Graph keeps one per user). */
  replacingMethodId: string | null;
}

/**
 * Checks that `request` may be issued now, or records why not and throws: not approved → 409; the
 * approval lapsed → `expired`, 409; the requester left the chain or the target became ineligible →
 * `failed`, 403/422 (`refuseTapRequest`); an automatic approval the policy would no longer give →
 * `expired`, 409; terms the policy no longer allows → `failed`, 409. No Graph write happens here.
 */
export async function checkIssue(db: PrismaClient, actor: Actor, request: TapRequest, policy: BrokerPolicy, ctx: RequestContext): Promise<IssueCheck> {
  if (request.status === 'approved' && !isApprovalValid(request, new Date())) {
    await expireApproval(db, request, ctx);
    throw new BrokerError('conflict', 'The approval has expired; request a new pass.');
  }
  if (request.status !== 'approved') throw new BrokerError('conflict', `The request is ${request.status}; only an approved request can be issued.`);

  // The policy in force now, not the one the request was made under.
  const facts = await getTargetFacts(request.targetUserId, { includeTapMethods: true, log: ctx.log });
  const check = judgeTapRequest(actor, facts, policy);
  const refusalSubject = { stage: 'issue', actorId: actor.id, targetId: request.targetUserId, request: { id: request.id, status: 'approved' } } as const;
  if (!check.ok) {
    // A refusal keeps the whole chain as Graph has it now: where the target sits.
    const seen = { chain: facts.chain.map((link) => link.id), policyVersion: policy.version, graphRequestId: facts.graphRequestId };
    throw await refuseTapRequest(db, check, { ...refusalSubject, evidence: seen }, ctx);
  }
  const evidence = { chain: check.chain, depth: check.depth, policyVersion: policy.version, graphRequestId: facts.graphRequestId };

  // An automatic approval is only as good as the policy that allowed it: judged again under the
  // policy in force and at the depth Graph reports now.
  if (needsApproverNow(request, policy, check.depth)) {
    await expireAutoApproval(db, request, policy, evidence, ctx);
    throw new BrokerError('conflict', 'The policy in force now requires an approver for this pass, and nobody approved this request; nothing was issued. Make a new request: an approver must approve it.');
  }

  // The terms were checked at creation; the broker or tenant policy may have narrowed since, and
  // the broker never asks Graph for what the tenant would refuse. An unreadable tenant TAP policy
  // made the target `cannot-verify` above; the null check only narrows the type.
  const tapPolicy = facts.tapPolicy;
  if (tapPolicy === null) throw new BrokerError('target-ineligible', undefined, { reasons: ['cannot-verify'] });
  const bounds = getLifetimeBounds(policy, tapPolicy);
  const forcedOnce = policy.isUsableOnce || tapPolicy.isUsableOnce;
  if (request.lifetimeInMinutes < bounds.min || request.lifetimeInMinutes > bounds.max || (forcedOnce && !request.isUsableOnce)) {
    throw await refuseTapRequest(db, { ok: false, code: 'terms-outside-policy' }, { ...refusalSubject, evidence }, ctx);
  }
  return { evidence, replacingMethodId: facts.tapMethods?.[0]?.id ?? null };
}
