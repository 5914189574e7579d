import 'server-only';
import type { Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { getEnv } from '@/lib/env';
import { findRememberedRefusal } from '@/lib/broker/find-remembered-refusal';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { countPendingRequests, getPendingCapDecision, isApprovalCertain } from '@/lib/broker/pending-cap';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { refuseTapRequest } from '@/lib/broker/refuse-tap-request';
import { recordTapRequest } from '@/lib/broker/record-tap-request';
import { resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import type { PrismaClient } from '@/lib/db/generated/client';
import { checkJustification, judgeTapRequest, resolveTapRequestTerms } from '@/lib/broker/tap-request-policy';
import { toRequestView, type TapRequestView } from '@/lib/broker/to-request-view';
import { getTargetFacts } from '@/lib/graph/get-target-facts';
import { normalizeUserReference } from '@/lib/graph/normalize-user-reference';
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
 * (`tap_request.refused`) before it is thrown. The same caller asking again for the same target
 * under the same policy within REFUSAL_MEMORY_SECONDS gets that refusal again without a Graph read
 * (`findRememberedRefusal`; its event carries `rememberedFromSeq`); a success is never remembered.
 *
 * A request that would wait for an approver while the requester already has the policy's
 * `maxPendingRequestsPerRequester` waiting is refused: 429 `rate-limited`, no Retry-After,
 * audited with the reason `too-many-pending`, nothing stored. When every request waits
 * (`requireApproval: always`) a cheap count refuses before Graph is asked; otherwise only Graph's
 * depth says whether this one would wait. Either way the exact check runs again, under a lock, in
 * the transaction that would store it.
 *
 * On success the request is stored with the chain it saw as evidence and `tap_request.created`
 * in one transaction — plus an automatic `tap_request.approved` (decidedBy `system`) when the
 * policy needs no approver at this depth.
 */
export async function requestTap(actor: Actor, input: RequestTapInput, ctx: RequestContext, options: UseCaseOptions & { now?: Date } = {}): Promise<TapRequestView> {
  const justification = checkJustification(input.justification);
  if (!justification.ok) throw new BrokerError('validation-failed', 'The justification must be a sentence (at least 10 characters and two words).', { errors: [justification.issue] });

  const db = await resolveDb(options);
  const policy = await getCurrentPolicy(db);
  // What was asked about, as an id: a lower-case GUID or UPN; anything else names nobody, and
  // raw input is never stored.
  const reference = normalizeUserReference(input.targetUserId);
  const remembered = await findRememberedRefusal(
    db,
    { actorId: actor.id, reference, policyVersion: policy.version },
    { seconds: getEnv().refusalMemorySeconds, now: options.now ?? new Date() },
  );
  if (remembered !== null) {
    ctx.log.info({ rememberedFromSeq: remembered.evidence.rememberedFromSeq }, 'TAP request refused again from the audit trail, without reading Graph');
    throw await refuseTapRequest(db, remembered.refusal, { stage: 'create', actorId: actor.id, targetId: remembered.targetId, evidence: remembered.evidence }, ctx);
  }

  await checkPendingCapBeforeGraph(db, actor.id, reference, policy, ctx);
  const facts = await getTargetFacts(input.targetUserId, { log: ctx.log });
  const decision = judgeTapRequest(actor, facts, policy);
  if (!decision.ok) {
    // Graph's object id when it knows the target, else the reference itself.
    const targetId = facts.target?.id ?? reference;
    throw await refuseTapRequest(
      db,
      decision,
      {
        stage: 'create',
        actorId: actor.id,
        targetId,
        evidence: {
          policyVersion: policy.version,
          graphRequestId: facts.graphRequestId,
          // The chain is evidence only where it is the caller's own line: an outsider's refusal keeps none.
          ...(decision.code === 'target-ineligible' ? { chain: facts.chain.map((link) => link.id) } : {}),
          // A repeat of the request names the target as the caller did (a UPN Graph resolved).
          ...(reference === null || reference === targetId ? {} : { targetReference: reference }),
        },
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

  const now = options.now ?? new Date();
  const terms = resolveTapRequestTerms(input, policy, tapPolicy, target, now);
  if (!terms.ok) throw new BrokerError('validation-failed', 'The requested pass is outside what policy allows.', { errors: terms.errors });

  const recorded = await recordTapRequest(
    db,
    { actor, target, chain: facts.chain, decision, justification: justification.value, terms: terms.terms, policy, graphRequestId: facts.graphRequestId, now },
    ctx,
  );
  if (!recorded.ok) {
    const evidence = { policyVersion: policy.version, graphRequestId: facts.graphRequestId, chain: decision.chain, depth: decision.depth };
    throw await refuseTapRequest(db, recorded, { stage: 'create', actorId: actor.id, targetId: target.id, evidence }, ctx);
  }
  const { row } = recorded;
  kickNotificationDispatcher();
  ctx.log.info({ tapRequestId: row.id, status: row.status, depth: row.depth }, 'TAP request created');
  return toRequestView(row);
}

/**
 * The pending cap before Graph is asked, when every request waits for an approver whatever its
 * depth: a requester at the cap costs one count, not a Graph read. Not the final word — the
 * insert's transaction checks again under the requester's lock.
 */
async function checkPendingCapBeforeGraph(db: PrismaClient, actorId: string, reference: string | null, policy: BrokerPolicy, ctx: RequestContext): Promise<void> {
  if (!isApprovalCertain(policy)) return;
  const cap = getPendingCapDecision(await countPendingRequests(db, actorId), policy.maxPendingRequestsPerRequester);
  // The same answer whoever the target is, so refusing before the chain is read tells nothing.
  if (!cap.ok) throw await refuseTapRequest(db, cap, { stage: 'create', actorId, targetId: reference, evidence: { policyVersion: policy.version } }, ctx);
}
