import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import type { IssueCheck } from '@/lib/broker/check-issue';
import { resolveIssuingRequest } from '@/lib/broker/reconcile-tap-requests';
import type { IssueIntent } from '@/lib/broker/start-issue';
import { isApprovalValid } from '@/lib/broker/tap-request-policy';
import { inTransaction } from '@/lib/db/transaction';
import type { PrismaClient, TapRequest } from '@/lib/db/generated/client';
import { countIssuance } from '@/lib/metrics/registry';
import { createTapMethod, TapCreateNotSentError, TapCreateOutcomeUnknownError, TapCreateRejectedError, type CreatedTap } from '@/lib/graph/tap-methods';

/**
 * Step 3 of issuing a pass (`createPass`): the one Graph write, and what a failed one leaves
 * behind — a definitive refusal fails the request; a create the Graph budget never sent puts it
 * back to approved; an unknown outcome is reconciled at once so that no pass nobody received
 * stays usable.
 */

const UNAVAILABLE = 'Microsoft Graph did not confirm the pass; nothing was issued. Try again later.';

/**
 * Creates the pass in Graph for the `issuing` request. Graph refused (definitive 4xx) →
 * `issuing → failed` + `tap.issue_failed` (rejected), 409. Never sent (the Graph budget stayed
 * exhausted) → `issuing → approved` + `tap.issue_failed` (not-sent, retryable), 503 with
 * Retry-After. Outcome unknown (5xx, timeout, dropped
 * connection) → reconciled inline: any pass created since the intent is deleted, the request goes
 * back to `approved` (retryable), 503; if Graph cannot even be asked, the row stays `issuing` for
 * the background reconciler, 503.
 */
export async function createPass(
  db: PrismaClient,
  actorId: string,
  request: TapRequest,
  intent: IssueIntent,
  evidence: IssueCheck['evidence'],
  ctx: RequestContext,
): Promise<{ method: CreatedTap; graphRequestId: string | null }> {
  try {
    return await createTapMethod(
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
      countIssuance('failed');
      await recordRejection(db, request, intent.idempotencyKey, error, actorId, evidence, ctx);
      throw new BrokerError('conflict', `Microsoft Graph refused to create the pass (${error.status} ${error.graphCode}); the request has failed.`, { cause: error });
    }
    if (error instanceof TapCreateNotSentError) {
      countIssuance('failed');
      await recordNotSent(db, request, intent.idempotencyKey, actorId, evidence, ctx);
      throw new BrokerError('upstream-unavailable', 'Microsoft Graph is busy; nothing was issued. Try again later.', {
        cause: error,
        retryAfterSeconds: error.retryAfterSeconds,
      });
    }
    if (error instanceof TapCreateOutcomeUnknownError) {
      countIssuance('unknown');
      await reconcileInline(db, request.id, actorId, ctx, error);
      throw new BrokerError('upstream-unavailable', UNAVAILABLE, {
        cause: error,
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      });
    }
    // Anything else (a defect, or a RangeError on the id) happened before or without a send we
    // can vouch for; the reconciler resolves the `issuing` row.
    throw error;
  }
}

/** Graph refused the create definitively: nothing exists in Graph; `issuing → failed`. */
async function recordRejection(
  db: PrismaClient,
  request: TapRequest,
  idempotencyKey: string,
  error: TapCreateRejectedError,
  actorId: string,
  evidence: IssueCheck['evidence'],
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
 * The create was never sent, so nothing exists in Graph and nothing needs asking: `issuing →
 * approved` (or `expired` when the approval lapsed meanwhile), as the reconciler would conclude.
 */
async function recordNotSent(
  db: PrismaClient,
  request: TapRequest,
  idempotencyKey: string,
  actorId: string,
  evidence: IssueCheck['evidence'],
  ctx: RequestContext,
): Promise<void> {
  try {
    await inTransaction(db, async (tx) => {
      const current = await tx.tapRequest.findUnique({ where: { id: request.id }, select: { approvalExpiresAt: true } });
      const newStatus = current !== null && isApprovalValid({ status: 'approved', approvalExpiresAt: current.approvalExpiresAt }, new Date()) ? 'approved' : 'expired';
      const { count } = await tx.tapRequest.updateMany({
        where: { id: request.id, status: 'issuing', idempotencyKey },
        data: { status: newStatus, replacedMethodId: null },
      });
      if (count !== 1) return;
      await appendAuditEvent(tx, {
        type: 'tap.issue_failed',
        actorId,
        targetId: request.targetUserId,
        requestId: request.id,
        data: { ...evidence, graphRequestId: null, idempotencyKey, graphStatus: null, graphCode: null, outcome: 'not-sent', retryable: newStatus === 'approved', newStatus },
        context: ctx,
      });
    });
  } catch (recordError) {
    // Nothing was sent, so nothing is at risk: the reconciler will find no pass and put the
    // request back to approved.
    ctx.log.error({ err: recordError, tapRequestId: request.id }, 'could not record the TAP create that was not sent');
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
