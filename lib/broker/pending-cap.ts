import 'server-only';
import type { BrokerPolicy } from '@/lib/broker/policy';
import type { Prisma, PrismaClient } from '@/lib/db/generated/client';

/**
 * The cap on one requester's requests waiting for an approver (`maxPendingRequestsPerRequester`):
 * a cheap count before Graph is asked, and the exact count under a lock inside the transaction
 * that would store one more.
 */

/** Within the cap, or the refusal (`too-many-pending`) as `refuseTapRequest` takes it. */
export type PendingCapDecision = { ok: true; waiting: number } | { ok: false; code: 'too-many-pending'; waiting: number; limit: number };

/** Pure: whether one more waiting request fits beside the `waiting` ones under `limit`. */
export function getPendingCapDecision(waiting: number, limit: number): PendingCapDecision {
  return waiting < limit ? { ok: true, waiting } : { ok: false, code: 'too-many-pending', waiting, limit };
}

/**
 * Whether every request under `policy` waits for an approver, whatever its depth: only then can
 * the cap refuse before Graph says how deep the target sits.
 */
export function isApprovalCertain(policy: Pick<BrokerPolicy, 'requireApproval'>): boolean {
  return policy.requireApproval === 'always';
}

/**
 * How many of the requester's requests are in `pending_approval` now. Unlocked: a pre-check that
 * spares a Graph read when the cap is already reached, never the final word (see `checkPendingCap`).
 */
export async function countPendingRequests(db: PrismaClient | Prisma.TransactionClient, requesterId: string): Promise<number> {
  return db.tapRequest.count({ where: { requesterId: { equals: requesterId, mode: 'insensitive' }, status: 'pending_approval' } });
}

/**
 * The cap inside the transaction that inserts the pending request. Takes a transaction-scoped
 * advisory lock on the requester first, so two requests by the same person serialize here: the
 * second counts after the first has committed (or rolled back) and cannot slip past the cap with
 * it. The lock is released at commit/rollback.
 */
export async function checkPendingCap(
  tx: Prisma.TransactionClient,
  requesterId: string,
  policy: Pick<BrokerPolicy, 'maxPendingRequestsPerRequester'>,
): Promise<PendingCapDecision> {
  // Its own namespace: the issuance quota's lock is another, so issuing never waits on requesting.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`tap-broker:pending:${requesterId.toLowerCase()}`}))`;
  return getPendingCapDecision(await countPendingRequests(tx, requesterId), policy.maxPendingRequestsPerRequester);
}
