import 'server-only';
import type { BrokerPolicy } from '@/lib/broker/policy';
import type { Prisma } from '@/lib/db/generated/client';

/**
 * The manager's rolling 24-hour issuance quota: the pure decision, and the count taken under a
 * lock inside the issue transaction.
 */

/** The quota's window: a rolling 24 hours. */
export const QUOTA_WINDOW_MS = 24 * 60 * 60_000;

/** Statuses that count as an issuance: a pass was created, or may have been (`issuing`). */
const COUNTED_STATUSES = ['issuing', 'issued', 'revoked'] as const;

export type QuotaDecision = { ok: true; used: number } | { ok: false; used: number; retryAfterSeconds: number };

/**
 * Pure: whether one more issuance fits into `limit` per rolling window, given the times of the
 * issuances already counted. When it does not, `retryAfterSeconds` is when the oldest issuance
 * inside the window leaves it (with a limit of 0, the whole window: nothing will ever fit).
 */
export function getQuotaDecision(issuedAt: readonly Date[], limit: number, now: Date, windowMs = QUOTA_WINDOW_MS): QuotaDecision {
  const windowStart = now.getTime() - windowMs;
  const inWindow = issuedAt.map((d) => d.getTime()).filter((t) => t > windowStart).sort((a, b) => a - b);
  if (inWindow.length < limit) return { ok: true, used: inWindow.length };
  // The (used − limit + 1)-th oldest must leave for one slot to free up.
  const freeing = inWindow[inWindow.length - limit];
  const retryAfterMs = freeing === undefined ? windowMs : freeing + windowMs - now.getTime();
  return { ok: false, used: inWindow.length, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
}

/**
 * The requester's quota inside the intent transaction. Takes a transaction-scoped advisory lock
 * on the requester first, so two parallel issues by the same manager (on different requests)
 * serialize here and cannot both take the last slot. The lock is released at commit/rollback.
 *
 * Counted: the requester's requests in `issuing`, `issued` or `revoked` whose intent was recorded
 * inside the window (a revoked pass was still issued; a failed or reconciled attempt gave nobody
 * a pass and does not count).
 */
export async function checkIssuanceQuota(
  tx: Prisma.TransactionClient,
  requesterId: string,
  policy: Pick<BrokerPolicy, 'maxIssuancesPerManagerPerDay'>,
  now: Date,
): Promise<QuotaDecision> {
  // Namespaced key: hashtext of a prefixed id, so it never collides with other advisory locks.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`tap-broker:quota:${requesterId.toLowerCase()}`}))`;
  const since = new Date(now.getTime() - QUOTA_WINDOW_MS);
  const rows = await tx.tapRequest.findMany({
    where: { requesterId: { equals: requesterId, mode: 'insensitive' }, status: { in: [...COUNTED_STATUSES] }, intentAt: { gt: since } },
    select: { intentAt: true },
  });
  const times = rows.flatMap((row) => (row.intentAt === null ? [] : [row.intentAt]));
  return getQuotaDecision(times, policy.maxIssuancesPerManagerPerDay, now);
}
