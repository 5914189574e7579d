import 'server-only';
import { hasAnyRole, hasRole, type Actor } from '@/lib/auth/actor';
import { BrokerError } from '@/lib/core/errors';
import { resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { toRequestView, type TapRequestView } from '@/lib/broker/to-request-view';

/**
 * Requests listed by scope — mine, pending, all — for `GET /api/tap-requests` (`listTapRequests`).
 */

export type TapRequestScope = 'mine' | 'pending' | 'all';

/** The newest this many requests are listed (the contract has no paging for this list). */
export const MAX_LISTED_REQUESTS = 500;

/**
 * Requests by scope:
 * - `mine`: the caller's own requests, newest first (anyone signed in);
 * - `pending`: requests waiting for a decision, oldest first (approvers; the caller's own are
 *   included — the UI marks them as not actionable, the core refuses to decide them);
 * - `all`: every request, newest first (approvers, auditors; admin implies both).
 * A role that does not allow the scope → 403.
 */
export async function listTapRequests(actor: Actor, input: { scope: TapRequestScope }, options: UseCaseOptions = {}): Promise<{ requests: TapRequestView[] }> {
  if (input.scope === 'pending' && !hasRole(actor, 'approver')) throw new BrokerError('forbidden', 'Only approvers may list pending requests.');
  if (input.scope === 'all' && !hasAnyRole(actor, ['approver', 'auditor'])) throw new BrokerError('forbidden', 'Only approvers and auditors may list all requests.');
  const db = await resolveDb(options);
  const rows = await db.tapRequest.findMany({
    where: input.scope === 'mine' ? { requesterId: actor.id } : input.scope === 'pending' ? { status: 'pending_approval' } : {},
    orderBy: input.scope === 'pending' ? [{ createdAt: 'asc' }, { id: 'asc' }] : [{ createdAt: 'desc' }, { id: 'desc' }],
    take: MAX_LISTED_REQUESTS,
  });
  return { requests: rows.map(toRequestView) };
}
