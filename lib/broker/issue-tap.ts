import 'server-only';
import { randomUUID } from 'node:crypto';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { Actor } from '@/lib/auth/actor';
import { SYSTEM_ACTOR_ID, type RequestContext } from '@/lib/core/request-context';
import { getTargetIneligibleReasons } from '@/lib/broker/eligibility';
import { BrokerError } from '@/lib/core/errors';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { checkIssuanceQuota } from '@/lib/broker/quota';
import { resolveIssuingRequest } from '@/lib/broker/reconcile-tap-requests';
import { requireStepUp } from '@/lib/broker/require-step-up';
import { findRequest, sameId } from '@/lib/broker/tap-request-store';
import { inTransaction, resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { canRequestTapFor, getLifetimeBounds, isApprovalValid, needsApproverNow, requiresApproval } from '@/lib/broker/tap-request-policy';
import type { BrokerPolicy } from '@/lib/broker/policy';
import type { PrismaClient, TapRequest } from '@/lib/db/generated/client';
import { getTargetFacts } from '@/lib/graph/get-target-facts';
import { createTapMethod, deleteTapMethod, TapCreateOutcomeUnknownError, TapCreateRejectedError, type CreatedTap } from '@/lib/graph/tap-methods';
import { enqueueNotifications } from '@/lib/notify/enqueue-notifications';
import { kickNotificationDispatcher } from '@/lib/notify/dispatcher-loop';

/**
 * What `POST /api/tap-requests/{id}/issue` answers (docs/api-contract.md#routes). This object is
 * the only place the pass ever exists in the portal: it is returned to the route, sent once with
 * `Cache-Control: no-store`, and never stored, logged, audited or put into an error.
 */
export interface IssuedTap {
  temporaryAccessPass: string;
  startDateTime: string;
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
  expiresDateTime: string;
  methodId: string;
}

export interface IssueTapInput {
  id: string;
}

const UNAVAILABLE = 'Microsoft Graph did not confirm the pass; nothing was issued. Try again later.';

/**
 * The requester obtains the pass of an approved request — once.
 *
 * First, after finding the caller's own request (anyone else's → 404): when the policy names an
 * authentication context, the token must prove it (`acrs`), else 401 `step-up-required`, audited,
 * with nothing changed and no Graph call (`requireStepUp`).
 *
 * At most two Graph round trips: (1) `getTargetFacts` with the target's TAP methods, to re-check
 * the chain and eligibility under the CURRENT policy (a refusal fails the request, is audited,
 * and answers 403/422) — and whether an automatic approval still stands under it (if the policy
 * now wants an approver at the target's depth, the request expires, audited, 409); (2) the
 * create. Between them, the intent transaction: under a per-requester advisory lock it re-reads
 * the request (not `approved` any more → 409), checks the approval has not expired (→
 * `expired`, 409) and the rolling 24 h quota (→ audited, 429 with Retry-After), then moves
 * `approved → issuing` with an idempotency key and `intent_at`, audited as `tap.issue_started`.
 * Parallel calls serialize on the lock; only the first finds `approved`.
 *
 * After the create:
 * - success → `issuing → issued` + `tap.issued` (method id, the method it replaced). If that
 *   transaction fails, the new pass is deleted in Graph (nobody will see it), the request stays
 *   `issuing` for the reconciler, and the answer is 503.
 * - Graph refused (definitive 4xx) → `failed` + `tap.issue_failed` (rejected), 409.
 * - outcome unknown (5xx, timeout, dropped connection) → reconciled inline: any pass created
 *   since the intent is deleted, the request goes back to `approved` (retryable), 503. If Graph
 *   cannot even be asked, the request stays `issuing` for the reconciler, 503.
 *
 * Anyone but the requester gets 404: an approved request is not theirs to know about here.
 */
export async function issueTap(actor: Actor, input: IssueTapInput, ctx: RequestContext, options: UseCaseOptions = {}): Promise<IssuedTap> {
  const db = await resolveDb(options);
  const request = await findRequest(db, input.id);
  if (request === null || !sameId(request.requesterId, actor.id)) throw new BrokerError('not-found', 'No such request.');
  // Step-up before anything else can happen (an approval lapsing included) and before Graph: a
  // session without the second factor learns nothing beyond its own request existing.
  const policy = await getCurrentPolicy(db);
  await requireStepUp(db, actor, policy, 'issue', { request }, ctx);
  if (request.status === 'approved' && !isApprovalValid(request, new Date())) {
    await expireApproval(db, request, ctx);
    throw new BrokerError('conflict', 'The approval has expired; request a new pass.');
  }
  if (request.status !== 'approved') throw new BrokerError('conflict', `The request is ${request.status}; only an approved request can be issued.`);

  // Round trip 1: the facts, under the policy in force now (not the one the request was made under).
  const facts = await getTargetFacts(request.targetUserId, { includeTapMethods: true, log: ctx.log });
  const ineligibleReasons = facts.target === null ? [] : getTargetIneligibleReasons(facts, actor.id, policy);
  const check = canRequestTapFor(actor, facts.chain, { target: facts.target, ineligibleReasons }, policy);
  // Evidence: on a refusal, the whole chain as Graph has it now (where the target sits); once
  // allowed, the chain from the target's manager up to the requester, as at creation.
  const seen = { chain: facts.chain.map((link) => link.id), policyVersion: policy.version, graphRequestId: facts.graphRequestId };
  if (!check.ok) {
    const failureReason =
      check.code === 'target-ineligible'
        ? `The target is no longer eligible (${check.reasons.join(', ')}).`
        : check.code === 'forbidden'
          ? 'Your account is no longer an enabled member account.'
          : 'You are no longer in the target’s reporting chain.';
    await failRequest(db, request, actor.id, ctx, {
      failureCode: check.code === 'forbidden' ? check.why : check.code,
      failureReason,
      audit: {
        ...seen,
        stage: 'issue',
        code: check.code,
        ...(check.code === 'target-ineligible' ? { reasons: check.reasons } : check.code === 'forbidden' ? { reasons: [check.why] } : {}),
      },
    });
    if (check.code === 'target-ineligible') throw new BrokerError('target-ineligible', failureReason, { reasons: check.reasons });
    if (check.code === 'forbidden') throw new BrokerError('forbidden', failureReason);
    throw new BrokerError('not-in-reporting-chain');
  }
  const evidence = { ...seen, chain: check.chain, depth: check.depth };

  // An automatic approval is only as good as the policy that allowed it: judged again under the
  // policy in force and at the depth Graph reports now. No Graph write happens for it.
  if (needsApproverNow(request, policy, check.depth)) {
    await expireAutoApproval(db, request, policy, evidence, ctx);
    throw new BrokerError('conflict', 'The policy in force now requires an approver for this pass, and nobody approved this request; nothing was issued. Make a new request: an approver must approve it.');
  }

  // The terms were checked at creation; the broker or tenant policy may have narrowed since, and
  // the broker never asks Graph for what the tenant would refuse.
  // An unreadable tenant TAP policy made the target `cannot-verify` above; this only narrows the type.
  const tapPolicy = facts.tapPolicy;
  if (tapPolicy === null) throw new BrokerError('target-ineligible', undefined, { reasons: ['cannot-verify'] });
  const bounds = getLifetimeBounds(policy, tapPolicy);
  const forcedOnce = policy.isUsableOnce || tapPolicy.isUsableOnce;
  if (request.lifetimeInMinutes < bounds.min || request.lifetimeInMinutes > bounds.max || (forcedOnce && !request.isUsableOnce)) {
    const failureReason = 'The policy changed since the request was made and no longer allows its terms; request a new pass.';
    await failRequest(db, request, actor.id, ctx, {
      failureCode: 'terms-outside-policy',
      failureReason,
      audit: { ...evidence, stage: 'issue', code: 'conflict', reasons: ['terms-outside-policy'] },
    });
    throw new BrokerError('conflict', failureReason);
  }

  // The method Graph holds now is the one our create will replace (Graph keeps one per user).
  const replacingMethodId = facts.tapMethods?.[0]?.id ?? null;
  const intent = await inTransaction(db, async (tx) => {
    const now = new Date();
    // Takes the per-requester lock first: everything below is serialized per requester.
    const quota = await checkIssuanceQuota(tx, actor.id, policy, now);
    const current = await tx.tapRequest.findUnique({ where: { id: request.id } });
    if (current === null || current.status !== 'approved') return { kind: 'conflict' as const, status: current?.status ?? null };
    if (!isApprovalValid(current, now)) return { kind: 'expired' as const };
    if (!quota.ok) {
      await appendAuditEvent(tx, {
        type: 'tap_request.refused',
        actorId: actor.id,
        targetId: request.targetUserId,
        requestId: request.id,
        data: { ...evidence, stage: 'issue', code: 'rate-limited', retryAfterSeconds: quota.retryAfterSeconds, details: { used: quota.used, limit: policy.maxIssuancesPerManagerPerDay } },
        context: ctx,
      });
      return { kind: 'rate-limited' as const, retryAfterSeconds: quota.retryAfterSeconds };
    }
    const idempotencyKey = randomUUID();
    const { count } = await tx.tapRequest.updateMany({
      where: { id: request.id, status: 'approved' },
      data: { status: 'issuing', idempotencyKey, intentAt: now, replacedMethodId: replacingMethodId },
    });
    if (count !== 1) return { kind: 'conflict' as const, status: null };
    const startDateTime = request.startDateTime !== null && request.startDateTime.getTime() > now.getTime() ? request.startDateTime : null;
    await appendAuditEvent(tx, {
      type: 'tap.issue_started',
      actorId: actor.id,
      targetId: request.targetUserId,
      requestId: request.id,
      data: {
        ...evidence,
        idempotencyKey,
        replacingMethodId,
        lifetimeInMinutes: request.lifetimeInMinutes,
        isUsableOnce: request.isUsableOnce,
        startDateTime,
      },
      context: ctx,
    });
    return { kind: 'started' as const, idempotencyKey, intentAt: now, startDateTime };
  });
  if (intent.kind === 'conflict') {
    throw new BrokerError('conflict', intent.status === null ? 'The request is being issued by another call.' : `The request is ${intent.status}; only an approved request can be issued.`);
  }
  if (intent.kind === 'expired') {
    await expireApproval(db, request, ctx);
    throw new BrokerError('conflict', 'The approval has expired; request a new pass.');
  }
  if (intent.kind === 'rate-limited') {
    throw new BrokerError('rate-limited', 'You have reached the daily number of passes you may issue.', { retryAfterSeconds: intent.retryAfterSeconds });
  }

  // Round trip 2: the create. From here on the request is `issuing` until an outcome is recorded.
  const { idempotencyKey } = intent;
  let created: { method: CreatedTap; graphRequestId: string | null };
  try {
    created = await createTapMethod(
      request.targetUserId,
      {
        lifetimeInMinutes: request.lifetimeInMinutes,
        isUsableOnce: request.isUsableOnce,
        ...(intent.startDateTime === null ? {} : { startDateTime: intent.startDateTime.toISOString() }),
      },
      { log: ctx.log },
    );
  } catch (error) {
    if (error instanceof TapCreateRejectedError) {
      await recordRejection(db, request, idempotencyKey, error, actor.id, evidence, ctx);
      throw new BrokerError('conflict', `Microsoft Graph refused to create the pass (${error.status} ${error.graphCode}); the request has failed.`, { cause: error });
    }
    if (error instanceof TapCreateOutcomeUnknownError) {
      await reconcileInline(db, request.id, actor.id, ctx, error);
      throw new BrokerError('upstream-unavailable', UNAVAILABLE, {
        cause: error,
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      });
    }
    // Anything else (a defect, or a RangeError on the id) happened before or without a send we
    // can vouch for; the reconciler resolves the `issuing` row.
    throw error;
  }

  const { method } = created;
  const startMs = Date.parse(method.startDateTime);
  const start = Number.isNaN(startMs) ? new Date() : new Date(startMs);
  const expires = new Date(start.getTime() + method.lifetimeInMinutes * 60_000);
  try {
    await inTransaction(db, async (tx) => {
      const { count } = await tx.tapRequest.updateMany({
        where: { id: request.id, status: 'issuing', idempotencyKey },
        data: {
          status: 'issued',
          methodId: method.id,
          issuedAt: new Date(),
          startDateTime: start,
          lifetimeInMinutes: method.lifetimeInMinutes,
          isUsableOnce: method.isUsableOnce,
          expiresDateTime: expires,
        },
      });
      // Only the reconciler moves an `issuing` row, and only after it has removed the pass; the
      // pass we hold must then not be handed out either.
      if (count !== 1) throw new BrokerError('conflict', 'The issuance was resolved by the reconciler meanwhile.');
      await appendAuditEvent(tx, {
        type: 'tap.issued',
        actorId: actor.id,
        targetId: request.targetUserId,
        requestId: request.id,
        data: {
          ...evidence,
          graphRequestId: created.graphRequestId,
          idempotencyKey,
          methodId: method.id,
          replacedMethodId: replacingMethodId,
          startDateTime: start,
          lifetimeInMinutes: method.lifetimeInMinutes,
          isUsableOnce: method.isUsableOnce,
          expiresDateTime: expires,
        },
        context: ctx,
      });
      // The target hears that a pass was issued for them and by whom — never the pass:
      // the message is rendered from the stored row, which has no field for it.
      await enqueueNotifications(tx, 'pass_issued', await tx.tapRequest.findUniqueOrThrow({ where: { id: request.id } }));
    });
  } catch (error) {
    // The pass exists in Graph but its issuance is not on record: nobody may receive it. Delete it
    // (best effort; the reconciler deletes it otherwise) and leave the row `issuing`.
    ctx.log.error({ err: error, tapRequestId: request.id, methodId: method.id }, 'could not record the issued pass; deleting it');
    await deleteTapMethod(request.targetUserId, method.id, { log: ctx.log }).catch((deleteError: unknown) => {
      ctx.log.error({ err: deleteError, tapRequestId: request.id, methodId: method.id }, 'could not delete the unrecorded pass; the reconciler will');
    });
    if (error instanceof BrokerError && error.code === 'conflict') throw error;
    throw new BrokerError('upstream-unavailable', 'The pass could not be recorded, so it was withdrawn; nothing was issued. Try again later.', { cause: error });
  }

  kickNotificationDispatcher();
  ctx.log.info({ tapRequestId: request.id, methodId: method.id }, 'TAP issued');
  return {
    temporaryAccessPass: method.temporaryAccessPass,
    startDateTime: start.toISOString(),
    lifetimeInMinutes: method.lifetimeInMinutes,
    isUsableOnce: method.isUsableOnce,
    expiresDateTime: expires.toISOString(),
    methodId: method.id,
  };
}

/** `approved` whose approval lapsed → `expired` + `tap_request.expired` (conditional; idempotent). */
async function expireApproval(db: PrismaClient, request: TapRequest, ctx: RequestContext): Promise<void> {
  await inTransaction(db, async (tx) => {
    const { count } = await tx.tapRequest.updateMany({
      where: { id: request.id, status: 'approved', approvalExpiresAt: { lte: new Date() } },
      data: { status: 'expired' },
    });
    if (count !== 1) return;
    await appendAuditEvent(tx, {
      type: 'tap_request.expired',
      actorId: SYSTEM_ACTOR_ID,
      targetId: request.targetUserId,
      requestId: request.id,
      data: { previousStatus: 'approved', reason: 'approval expired before the pass was issued', policyVersion: request.policyVersion },
      context: ctx,
    });
  });
}

/**
 * An automatic approval the policy in force would not give: `approved → expired` (conditional, so
 * a policy change that expired it first wins) with `tap_request.expired` saying why — the policy
 * tightened since, or the target now sits deeper below the requester.
 */
async function expireAutoApproval(
  db: PrismaClient,
  request: TapRequest,
  policy: BrokerPolicy,
  evidence: { chain: string[]; depth: number; policyVersion: number; graphRequestId: string | null },
  ctx: RequestContext,
): Promise<void> {
  await inTransaction(db, async (tx) => {
    const { count } = await tx.tapRequest.updateMany({
      where: { id: request.id, status: 'approved', decidedBy: SYSTEM_ACTOR_ID },
      data: { status: 'expired' },
    });
    if (count !== 1) return;
    await appendAuditEvent(tx, {
      type: 'tap_request.expired',
      actorId: SYSTEM_ACTOR_ID,
      targetId: request.targetUserId,
      requestId: request.id,
      data: {
        ...evidence,
        previousStatus: 'approved',
        reason: requiresApproval(policy, request.depth) ? 'policy-tightened' : 'reporting-line-changed',
        approvedUnderPolicyVersion: request.policyVersion,
        requireApproval: policy.requireApproval,
      },
      context: ctx,
    });
  });
}

/** A refusal at issue time: `approved → failed` (if still approved) and `tap_request.refused`. */
async function failRequest(
  db: PrismaClient,
  request: TapRequest,
  actorId: string,
  ctx: RequestContext,
  failure: {
    failureCode: string;
    failureReason: string;
    audit: {
      stage: 'issue';
      code: 'not-in-reporting-chain' | 'target-ineligible' | 'forbidden' | 'conflict';
      reasons?: string[];
      chain: string[];
      policyVersion: number;
      graphRequestId: string | null;
    };
  },
): Promise<void> {
  await inTransaction(db, async (tx) => {
    const { count } = await tx.tapRequest.updateMany({
      where: { id: request.id, status: 'approved' },
      data: { status: 'failed', failureCode: failure.failureCode, failureReason: failure.failureReason },
    });
    await appendAuditEvent(tx, {
      type: 'tap_request.refused',
      actorId,
      targetId: request.targetUserId,
      requestId: request.id,
      data: { ...failure.audit, ...(count === 1 ? { newStatus: 'failed' as const } : {}) },
      context: ctx,
    });
  });
}

/** Graph refused the create definitively: nothing exists in Graph; `issuing → failed`. */
async function recordRejection(
  db: PrismaClient,
  request: TapRequest,
  idempotencyKey: string,
  error: TapCreateRejectedError,
  actorId: string,
  evidence: { chain: string[]; depth: number; policyVersion: number },
  ctx: RequestContext,
): Promise<void> {
  try {
    await inTransaction(db, async (tx) => {
      const { count } = await tx.tapRequest.updateMany({
        where: { id: request.id, status: 'issuing', idempotencyKey },
        data: {
          status: 'failed',
          failureCode: `graph-rejected:${error.graphCode}`.slice(0, 128),
          failureReason: `Microsoft Graph refused to create the pass (${error.status} ${error.graphCode}).`,
        },
      });
      if (count !== 1) return;
      await appendAuditEvent(tx, {
        type: 'tap.issue_failed',
        actorId,
        targetId: request.targetUserId,
        requestId: request.id,
        data: {
          ...evidence,
          graphRequestId: error.graphRequestId,
          idempotencyKey,
          graphStatus: error.status,
          graphCode: error.graphCode,
          outcome: 'rejected',
          retryable: false,
          newStatus: 'failed',
        },
        context: ctx,
      });
    });
  } catch (recordError) {
    // Nothing was created, so nothing is at risk: the reconciler will find no pass and put the
    // request back to approved.
    ctx.log.error({ err: recordError, tapRequestId: request.id }, 'could not record the rejected TAP create');
  }
}

/**
 * The create's outcome is unknown: ask Graph now what happened (list the target's methods) and
 * delete any pass created since the intent — nobody received it. On success the request is back
 * to `approved` (or `expired`) with `tap.issue_failed` (outcome unknown, retryable). If Graph or
 * the database cannot be reached, the row stays `issuing` and the background reconciler finishes.
 */
async function reconcileInline(db: PrismaClient, requestId: string, actorId: string, ctx: RequestContext, error: TapCreateOutcomeUnknownError): Promise<void> {
  try {
    await resolveIssuingRequest(db, requestId, ctx, { cause: 'create-outcome-unknown', actorId, graphRequestId: error.graphRequestId });
  } catch (reconcileError) {
    ctx.log.warn({ err: reconcileError, tapRequestId: requestId }, 'inline reconcile failed; leaving the request issuing for the reconciler');
  }
}
