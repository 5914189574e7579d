import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { SYSTEM_ACTOR_ID, type RequestContext } from '@/lib/core/request-context';
import { inTransaction } from '@/lib/db/transaction';
import type { PrismaClient, TapRequest } from '@/lib/db/generated/client';

/**
 * An approval that lapsed before its pass was issued (`expireApproval`): `approved → expired`
 * with `tap_request.expired`. Conditional on the expiry really having passed, so it is idempotent
 * and never expires a request another call issued or renewed meanwhile.
 */
export async function expireApproval(db: PrismaClient, request: Pick<TapRequest, 'id' | 'targetUserId' | 'policyVersion'>, ctx: RequestContext): Promise<void> {
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
