import 'server-only';
import { randomUUID } from 'node:crypto';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import type { IssueCheck } from '@/lib/broker/check-issue';
import { expireApproval } from '@/lib/broker/expire-approval';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { checkIssuanceQuota } from '@/lib/broker/quota';
import { isApprovalValid } from '@/lib/broker/tap-request-policy';
import { inTransaction } from '@/lib/db/transaction';
import type { Prisma, PrismaClient, TapRequest, TapRequestStatus } from '@/lib/db/generated/client';

/**
 * Step 2 of issuing a pass (`startIssue`): the intent, written before Graph is asked, so that a
 * crash between the create and its outcome leaves an `issuing` row the reconciler can resolve.
 */

/** The recorded intent: what the create sends and how its outcome finds the row again. */
export interface IssueIntent {
  idempotencyKey: string;
  /** The requested start, or null when it is not in the future any more (the pass starts now). */
  startDateTime: Date | null;
}

/**
 * Under the requester's advisory lock (parallel calls serialize; only the first finds the request
 * `approved`): checks the rolling 24 h quota (→ audited, 429 with Retry-After), then moves
 * `approved → issuing` with an idempotency key and `intent_at`, audited as `tap.issue_started` —
 * provided the request is still approved (else 409) and its approval has not lapsed meanwhile
 * (→ `expired`, 409), which the update's own condition checks; the row is re-read only to say why
 * it did not move. A refused quota is only audited for a request that could have been issued.
 */
export async function startIssue(db: PrismaClient, actor: Actor, request: TapRequest, policy: BrokerPolicy, check: IssueCheck, ctx: RequestContext): Promise<IssueIntent> {
  const { evidence, replacingMethodId } = check;
  const intent = await inTransaction(db, async (tx) => {
    const now = new Date();
    // Takes the per-requester lock first: everything below is serialized per requester.
    const quota = await checkIssuanceQuota(tx, actor.id, policy, now);
    if (!quota.ok) {
      const notStartable = await findWhyNotStartable(tx, request.id, now);
      if (notStartable !== null) return notStartable;
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
    // Still approved and the approval not lapsed (isApprovalValid), checked by the update itself:
    // the common case costs no separate read.
    const { count } = await tx.tapRequest.updateMany({
      where: { id: request.id, status: 'approved', approvalExpiresAt: { gt: now } },
      data: { status: 'issuing', idempotencyKey, intentAt: now, replacedMethodId: replacingMethodId },
    });
    if (count !== 1) return (await findWhyNotStartable(tx, request.id, now)) ?? { kind: 'conflict' as const, status: null };
    const startDateTime = request.startDateTime !== null && request.startDateTime.getTime() > now.getTime() ? request.startDateTime : null;
    await appendAuditEvent(tx, {
      type: 'tap.issue_started',
      actorId: actor.id,
      targetId: request.targetUserId,
      requestId: request.id,
      data: { ...evidence, idempotencyKey, replacingMethodId, lifetimeInMinutes: request.lifetimeInMinutes, isUsableOnce: request.isUsableOnce, startDateTime },
      context: ctx,
    });
    return { kind: 'started' as const, idempotencyKey, startDateTime };
  });
  switch (intent.kind) {
    case 'started':
      return { idempotencyKey: intent.idempotencyKey, startDateTime: intent.startDateTime };
    case 'conflict':
      throw new BrokerError('conflict', intent.status === null ? 'The request is being issued by another call.' : `The request is ${intent.status}; only an approved request can be issued.`);
    case 'expired':
      await expireApproval(db, request, ctx);
      throw new BrokerError('conflict', 'The approval has expired; request a new pass.');
    case 'rate-limited':
      throw new BrokerError('rate-limited', 'You have reached the daily number of passes you may issue.', { retryAfterSeconds: intent.retryAfterSeconds });
  }
}

/** Why the request cannot move to `issuing` now: not approved (any more), or its approval lapsed; null when it can. */
async function findWhyNotStartable(
  tx: Prisma.TransactionClient,
  id: string,
  now: Date,
): Promise<{ kind: 'conflict'; status: TapRequestStatus | null } | { kind: 'expired' } | null> {
  const current = await tx.tapRequest.findUnique({ where: { id }, select: { status: true, approvalExpiresAt: true } });
  if (current === null || current.status !== 'approved') return { kind: 'conflict', status: current?.status ?? null };
  return isApprovalValid(current, now) ? null : { kind: 'expired' };
}
