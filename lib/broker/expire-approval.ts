import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { AuditDataFor } from '@/lib/audit/catalogue';
import { SYSTEM_ACTOR_ID, type RequestContext } from '@/lib/core/request-context';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { requiresApproval } from '@/lib/broker/tap-request-policy';
import { inTransaction } from '@/lib/db/transaction';
import type { Prisma, PrismaClient, TapRequest } from '@/lib/db/generated/client';

/**
 * Approvals that no longer stand (`expireApproval`, `expireAutoApproval`): `approved → expired`
 * with `tap_request.expired`. Each move is conditional, so it is idempotent and never expires a
 * request another call issued or renewed meanwhile.
 */

type ExpiringRequest = Pick<TapRequest, 'id' | 'targetUserId' | 'policyVersion' | 'depth'>;

/** An approval that lapsed before its pass was issued. */
export async function expireApproval(db: PrismaClient, request: ExpiringRequest, ctx: RequestContext): Promise<void> {
  await expireIfStill(db, request, { approvalExpiresAt: { lte: new Date() } }, { previousStatus: 'approved', reason: 'approval expired before the pass was issued', policyVersion: request.policyVersion }, ctx);
}

/**
 * An automatic approval the policy in force would not give any more, with why: the policy
 * tightened since, or the target now sits deeper below the requester. A policy change that
 * expired it first wins.
 */
export async function expireAutoApproval(
  db: PrismaClient,
  request: ExpiringRequest,
  policy: Pick<BrokerPolicy, 'requireApproval'>,
  evidence: { chain: string[]; depth: number; policyVersion: number; graphRequestId: string | null },
  ctx: RequestContext,
): Promise<void> {
  await expireIfStill(
    db,
    request,
    { decidedBy: SYSTEM_ACTOR_ID },
    {
      ...evidence,
      previousStatus: 'approved',
      reason: requiresApproval(policy, request.depth) ? 'policy-tightened' : 'reporting-line-changed',
      approvedUnderPolicyVersion: request.policyVersion,
      requireApproval: policy.requireApproval,
    },
    ctx,
  );
}

async function expireIfStill(
  db: PrismaClient,
  request: ExpiringRequest,
  condition: Prisma.TapRequestWhereInput,
  data: AuditDataFor<'tap_request.expired'>,
  ctx: RequestContext,
): Promise<void> {
  await inTransaction(db, async (tx) => {
    const { count } = await tx.tapRequest.updateMany({ where: { ...condition, id: request.id, status: 'approved' }, data: { status: 'expired' } });
    if (count !== 1) return;
    await appendAuditEvent(tx, { type: 'tap_request.expired', actorId: SYSTEM_ACTOR_ID, targetId: request.targetUserId, requestId: request.id, data, context: ctx });
  });
}
