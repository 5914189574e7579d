import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { hasRole, type Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { findRequest, sameId } from '@/lib/broker/tap-request-store';
import { inTransaction, resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { toRequestView, type TapRequestView } from '@/lib/broker/to-request-view';

/**
 * The requester takes back a request before its pass exists
 * (`POST /api/tap-requests/{id}/withdraw`, `withdrawTapRequest`).
 */

export interface WithdrawTapRequestInput {
  id: string;
  /** Optional: why, for the record. */
  reason?: string | undefined;
}

/** The statuses a request can be withdrawn from: nothing exists in Entra yet. */
const WITHDRAWABLE = ['pending_approval', 'approved'] as const;

/**
 * The requester withdraws a request waiting for an approver or approved but not yet issued:
 * `pending_approval | approved → withdrawn` with `tap_request.withdrawn`, in one transaction. The
 * update is conditional on the status read, so a withdrawal racing an approval, a denial or an
 * issuance either wins outright or gets 409 — never both. A withdrawn request leaves the
 * approvers' queue and the pending cap, which count `pending_approval` only.
 *
 * No Graph call: nothing has been created. Only the requester may withdraw (admins revoke passes,
 * they do not take back someone else's request); others who may see the request (approvers,
 * auditors, admins) get 403, everyone else 404.
 */
export async function withdrawTapRequest(
  actor: Actor,
  input: WithdrawTapRequestInput,
  ctx: RequestContext,
  options: UseCaseOptions & { now?: Date } = {},
): Promise<TapRequestView> {
  const reason = input.reason?.trim() || null;
  const db = await resolveDb(options);
  const request = await findRequest(db, input.id);
  const isRequester = request !== null && sameId(request.requesterId, actor.id);
  if (request === null || (!isRequester && !hasRole(actor, 'approver') && !hasRole(actor, 'auditor'))) {
    throw new BrokerError('not-found', 'No such request.');
  }
  if (!isRequester) throw new BrokerError('forbidden', 'Only the requester may withdraw a request.');
  const previousStatus = request.status;
  if (!isWithdrawable(previousStatus)) {
    throw new BrokerError('conflict', `The request is ${previousStatus}; only a request waiting for approval or not yet issued can be withdrawn.`);
  }

  const withdrawnAt = options.now ?? new Date();
  const updated = await inTransaction(db, async (tx) => {
    const [withdrawn] = await tx.tapRequest.updateManyAndReturn({
      where: { id: request.id, status: previousStatus },
      data: { status: 'withdrawn', withdrawnAt, withdrawReason: reason },
    });
    if (withdrawn === undefined) throw new BrokerError('conflict', 'The request changed meanwhile (decided, issued or withdrawn); reload it.');
    // Last: the audit append holds the chain's head until this transaction commits.
    await appendAuditEvent(tx, {
      type: 'tap_request.withdrawn',
      actorId: actor.id,
      targetId: request.targetUserId,
      requestId: request.id,
      data: { previousStatus, reason, policyVersion: request.policyVersion },
      context: ctx,
    });
    return withdrawn;
  });
  ctx.log.info({ tapRequestId: updated.id, previousStatus }, 'TAP request withdrawn');
  return toRequestView(updated);
}

function isWithdrawable(status: string): status is (typeof WITHDRAWABLE)[number] {
  return (WITHDRAWABLE as readonly string[]).includes(status);
}
