import 'server-only';
import type { Actor } from '@/lib/auth/actor';
import type { ReporteeCurrentRequest } from '@/lib/contract/reportees';
import type { Prisma, PrismaClient } from '@/lib/db/generated/client';

/**
 * Each listed person's open request or live pass (`findCurrentRequests`), so the team view can
 * show it and the request form can warn before a new pass replaces a live one.
 */

/**
 * For the people `targetIds` (one listed page), the newest request per person that is open
 * (`pending_approval`, `approved`, `issuing`) or whose pass is live as far as the broker knows
 * (`issued`, expiry after `now`, no outcome recorded — not used, expired, removed or replaced; a
 * revoked pass is `revoked`, not `issued`). ONE query for the page, no Graph call: a pass deleted
 * outside the broker shows until the tracking job records it. Keys are the ids lower-cased.
 */
export async function findCurrentRequests(
  db: PrismaClient | Prisma.TransactionClient,
  actor: Pick<Actor, 'id'>,
  targetIds: readonly string[],
  now: Date,
): Promise<Map<string, ReporteeCurrentRequest>> {
  const byTarget = new Map<string, ReporteeCurrentRequest>();
  if (targetIds.length === 0) return byTarget;
  // Graph's ids are lower-case GUIDs and stored as Graph gave them; both spellings keep the match exact.
  const ids = [...new Set(targetIds.flatMap((id) => [id, id.toLowerCase()]))];
  const rows = await db.tapRequest.findMany({
    where: {
      targetUserId: { in: ids },
      OR: [
        { status: { in: ['pending_approval', 'approved', 'issuing'] } },
        { status: 'issued', passOutcome: null, expiresDateTime: { gt: now } },
      ],
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: { id: true, status: true, targetUserId: true, requesterId: true, expiresDateTime: true, isUsableOnce: true },
  });
  const caller = actor.id.toLowerCase();
  for (const row of rows) {
    const key = row.targetUserId.toLowerCase();
    if (byTarget.has(key)) continue; // newest first: the first row per person is theirs
    if (row.status !== 'pending_approval' && row.status !== 'approved' && row.status !== 'issuing' && row.status !== 'issued') continue;
    byTarget.set(key, {
      requestId: row.id,
      status: row.status,
      ...(row.status === 'issued' && row.expiresDateTime !== null ? { expiresDateTime: row.expiresDateTime.toISOString() } : {}),
      isUsableOnce: row.isUsableOnce,
      requestedByCaller: row.requesterId.toLowerCase() === caller,
    });
  }
  return byTarget;
}
