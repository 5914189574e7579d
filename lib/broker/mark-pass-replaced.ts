import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { RequestContext } from '@/lib/core/request-context';
import type { Prisma } from '@/lib/db/generated/client';

/**
 * Recording that one of the broker's passes was replaced by another of its issuances
 * (`markPassReplaced`): Entra keeps one pass per user and deletes the old one when a new one is
 * created, so the old request must say so — once, and not as an unexplained removal.
 */

export interface PassReplacement {
  /** The person both passes are for. */
  targetUserId: string;
  /** Graph's id of the replaced pass. */
  methodId: string;
  /** The request whose issuance replaced it. */
  replacedByRequestId: string;
  /** Who caused it: the issuer, or `system` when the tracking job records it. */
  actorId: string;
  at: Date;
}

/**
 * Inside the caller's transaction: the issued request that holds `methodId` for the target gets
 * `passOutcome = 'replaced'` and `replacedByRequestId`, with `tap.replaced` on that request. A
 * pass the tracking job had already written off as `removed` (it saw the method gone before this
 * issuance committed) is corrected, and the event says what it corrects; a pass already `used`,
 * `expired` or revoked keeps its story. Returns the replaced request's id, or null when the method
 * was not one of ours (issued outside the broker) or its story is already told.
 */
export async function markPassReplaced(tx: Prisma.TransactionClient, replacement: PassReplacement, ctx: RequestContext): Promise<string | null> {
  const old = await tx.tapRequest.findFirst({
    where: {
      targetUserId: { equals: replacement.targetUserId, mode: 'insensitive' },
      methodId: replacement.methodId,
      status: 'issued',
      id: { not: replacement.replacedByRequestId },
      OR: [{ passOutcome: null }, { passOutcome: 'removed' }],
    },
    select: { id: true, passOutcome: true, policyVersion: true },
  });
  if (old === null) return null;
  const { count } = await tx.tapRequest.updateMany({
    where: { id: old.id, status: 'issued', passOutcome: old.passOutcome },
    data: { passOutcome: 'replaced', passOutcomeAt: replacement.at, replacedByRequestId: replacement.replacedByRequestId },
  });
  // Revoked or re-recorded between the read and the write: its story is told already.
  if (count !== 1) return null;
  await appendAuditEvent(tx, {
    type: 'tap.replaced',
    actorId: replacement.actorId,
    targetId: replacement.targetUserId,
    requestId: old.id,
    data: {
      policyVersion: old.policyVersion,
      methodId: replacement.methodId,
      replacedByRequestId: replacement.replacedByRequestId,
      previousOutcome: old.passOutcome === 'removed' ? 'removed' : null,
    },
    context: ctx,
  });
  return old.id;
}
