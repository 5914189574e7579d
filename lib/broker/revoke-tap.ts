import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { hasRole, type Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { findRequest, sameId } from '@/lib/broker/tap-request-store';
import { inTransaction, resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { toRequestView, type TapRequestView } from '@/lib/broker/to-request-view';
import { deleteTapMethod } from '@/lib/graph/tap-methods';

/**
 * The requester or an admin withdraws an issued pass (`POST /api/tap-requests/{id}/revoke`,
 * `revokeTap`).
 */

export interface RevokeTapInput {
  id: string;
}

/**
 * The requester (or an admin) revokes an issued pass: the method is deleted in Graph — by the id
 * recorded at issuance, so a newer pass someone else issued for the same person is never touched
 * — then `issued → revoked` with `tap.revoked` (who, and whether Graph still had it: a used,
 * expired or replaced pass is already gone, which is fine).
 *
 * No org-chart check: taking a pass away only reduces access, and a manager whose report moved
 * away must still be able to withdraw what they issued. Others who may see the request (approvers,
 * auditors) get 403; everyone else 404. Graph unreachable → 503 and nothing changes; a request
 * revoked meanwhile → 409.
 */
export async function revokeTap(actor: Actor, input: RevokeTapInput, ctx: RequestContext, options: UseCaseOptions = {}): Promise<TapRequestView> {
  const db = await resolveDb(options);
  const request = await findRequest(db, input.id);
  const isRequester = request !== null && sameId(request.requesterId, actor.id);
  const isAdmin = hasRole(actor, 'admin');
  if (request === null || (!isRequester && !isAdmin && !hasRole(actor, 'approver') && !hasRole(actor, 'auditor'))) {
    throw new BrokerError('not-found', 'No such request.');
  }
  if (!isRequester && !isAdmin) throw new BrokerError('forbidden', 'Only the requester or an admin may revoke a pass.');
  if (request.status !== 'issued' || request.methodId === null) {
    throw new BrokerError('conflict', `The request is ${request.status}; only an issued pass can be revoked.`);
  }
  const { methodId } = request;

  const { deleted, graphRequestId } = await deleteTapMethod(request.targetUserId, methodId, { log: ctx.log });
  const revokedAt = new Date();
  const updated = await inTransaction(db, async (tx) => {
    const { count } = await tx.tapRequest.updateMany({
      where: { id: request.id, status: 'issued' },
      data: { status: 'revoked', revokedAt, revokedBy: actor.id, revokedMethodDeleted: deleted },
    });
    if (count !== 1) throw new BrokerError('conflict', 'The pass was revoked meanwhile.');
    await appendAuditEvent(tx, {
      type: 'tap.revoked',
      actorId: actor.id,
      targetId: request.targetUserId,
      requestId: request.id,
      data: { methodId, revokedBy: actor.id, methodDeleted: deleted, graphRequestId, policyVersion: request.policyVersion },
      context: ctx,
    });
    return tx.tapRequest.findUniqueOrThrow({ where: { id: request.id } });
  });
  ctx.log.info({ tapRequestId: updated.id, methodDeleted: deleted }, 'TAP revoked');
  return toRequestView(updated);
}
