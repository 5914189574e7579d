import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { IssuedTap } from '@/lib/contract/tap-requests';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import type { IssueCheck } from '@/lib/broker/check-issue';
import { markPassReplaced } from '@/lib/broker/mark-pass-replaced';
import type { IssueIntent } from '@/lib/broker/start-issue';
import { inTransaction } from '@/lib/db/transaction';
import type { PrismaClient, TapRequest } from '@/lib/db/generated/client';
import { deleteTapMethod, type CreatedTap } from '@/lib/graph/tap-methods';
import { countIssuance } from '@/lib/metrics/registry';
import { enqueueNotifications } from '@/lib/notify/enqueue-notifications';

/**
 * Step 4 of issuing a pass (`recordIssuedPass`): the outcome. The pass may only be handed out once
 * its issuance is on record; a pass that cannot be recorded is withdrawn.
 */

/**
 * `issuing → issued` + `tap.issued` (method id, the method it replaced) + the target's
 * notification, in one transaction; when the replaced method was one of our passes, that request
 * is marked replaced by this one (`tap.replaced`) in the same transaction, and `tap.issued` names
 * it (`replacedRequestId`); returns what the route answers — the only object in the
 * portal that ever holds the pass, sent once and never stored, logged, audited or put into an
 * error. If the transaction fails, the new pass is deleted in Graph (nobody will see it), the row
 * stays `issuing` for the reconciler, and the answer is 503 (409 when the reconciler resolved the
 * row meanwhile).
 */
export async function recordIssuedPass(
  db: PrismaClient,
  actorId: string,
  request: TapRequest,
  intent: IssueIntent,
  created: { method: CreatedTap; graphRequestId: string | null },
  check: IssueCheck,
  ctx: RequestContext,
): Promise<IssuedTap> {
  const { method } = created;
  const startMs = Date.parse(method.startDateTime);
  const start = Number.isNaN(startMs) ? new Date() : new Date(startMs);
  const expires = new Date(start.getTime() + method.lifetimeInMinutes * 60_000);
  const { idempotencyKey } = intent;
  try {
    await inTransaction(db, async (tx) => {
      const [issued] = await tx.tapRequest.updateManyAndReturn({
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
      if (issued === undefined) throw new BrokerError('conflict', 'The issuance was resolved by the reconciler meanwhile.');
      // The target hears that a pass was issued for them and by whom — never the pass:
      // the message is rendered from the stored row, which has no field for it.
      await enqueueNotifications(tx, 'pass_issued', issued);
      // Last: the audit appends hold the chain's head until this transaction commits.
      const replacedRequestId =
        check.replacingMethodId === null
          ? null
          : await markPassReplaced(
              tx,
              { targetUserId: request.targetUserId, methodId: check.replacingMethodId, replacedByRequestId: request.id, actorId, at: issued.issuedAt ?? new Date() },
              ctx,
            );
      await appendAuditEvent(tx, {
        type: 'tap.issued',
        actorId,
        targetId: request.targetUserId,
        requestId: request.id,
        data: {
          ...check.evidence,
          graphRequestId: created.graphRequestId,
          idempotencyKey,
          methodId: method.id,
          replacedMethodId: check.replacingMethodId,
          ...(replacedRequestId === null ? {} : { replacedRequestId }),
          startDateTime: start,
          lifetimeInMinutes: method.lifetimeInMinutes,
          isUsableOnce: method.isUsableOnce,
          expiresDateTime: expires,
        },
        context: ctx,
      });
    });
  } catch (error) {
    // The pass exists in Graph but its issuance is not on record: nobody may receive it. Delete it
    // (best effort; the reconciler deletes it otherwise) and leave the row `issuing`.
    countIssuance('failed');
    ctx.log.error({ err: error, tapRequestId: request.id, methodId: method.id }, 'could not record the issued pass; deleting it');
    await deleteTapMethod(request.targetUserId, method.id, { log: ctx.log }).catch((deleteError: unknown) => {
      ctx.log.error({ err: deleteError, tapRequestId: request.id, methodId: method.id }, 'could not delete the unrecorded pass; the reconciler will');
    });
    if (error instanceof BrokerError && error.code === 'conflict') throw error;
    throw new BrokerError('upstream-unavailable', 'The pass could not be recorded, so it was withdrawn; nothing was issued. Try again later.', { cause: error });
  }
  countIssuance('issued');
  return {
    temporaryAccessPass: method.temporaryAccessPass,
    startDateTime: start.toISOString(),
    lifetimeInMinutes: method.lifetimeInMinutes,
    isUsableOnce: method.isUsableOnce,
    expiresDateTime: expires.toISOString(),
    methodId: method.id,
  };
}
