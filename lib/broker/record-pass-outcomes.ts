import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { SYSTEM_ACTOR_ID, type RequestContext } from '@/lib/core/request-context';
import { toPassState } from '@/lib/broker/get-pass-status';
import { markPassReplaced } from '@/lib/broker/mark-pass-replaced';
import type { PrismaClient } from '@/lib/db/generated/client';
import { inTransaction, resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { listTapMethodsForUsers } from '@/lib/graph/list-tap-methods-for-users';

/**
 * What became of issued passes — used, expired, removed — read from Graph by the background job
 * and recorded once per pass (`recordPassOutcomes`).
 */

/** Passes looked at per run, oldest issuance first; the next run continues. */
const BATCH = 500;

export type PassOutcome = 'used' | 'expired' | 'removed';

/**
 * Records what became of issued passes, for the compliance trail ("when used"): reads the TAP
 * methods of every issued-and-still-open request's target in one batched round and, per pass,
 * once: `used` (Graph says `OneTimeUsed`), `expired` (Graph says `Expired`, or the stored expiry
 * passed and Graph no longer holds it), or `removed` (Graph no longer holds it before its
 * expiry: deleted elsewhere or replaced). Each outcome is stored on the request and audited as
 * `tap.outcome_observed` in one transaction; a pass that is still live is left for a later run.
 * A pass gone because another of our requests replaced it is not `removed`: when that issuance is
 * on record the pass is marked replaced by it (`tap.replaced`, as the issuance itself would), and
 * while it is still `issuing` the pass is left for the issuance to record.
 * People Graph will not describe (403, unexpected shapes) are skipped, never guessed.
 */
export async function recordPassOutcomes(
  ctx: RequestContext,
  options: UseCaseOptions & { now?: Date } = {},
): Promise<{ checked: number; recorded: number }> {
  const db = await resolveDb(options);
  const now = options.now ?? new Date();
  const rows = await db.tapRequest.findMany({
    where: { status: 'issued', passOutcome: null, methodId: { not: null } },
    orderBy: [{ issuedAt: 'asc' }, { id: 'asc' }],
    take: BATCH,
    select: { id: true, targetUserId: true, methodId: true, expiresDateTime: true, policyVersion: true },
  });
  if (rows.length === 0) return { checked: 0, recorded: 0 };
  const methodsByUser = await listTapMethodsForUsers(
    rows.map((r) => r.targetUserId),
    { log: ctx.log },
  );
  const replacers = await findReplacers(db, rows);
  let recorded = 0;
  for (const row of rows) {
    const methods = methodsByUser.get(row.targetUserId) ?? null;
    if (methods === null || row.methodId === null) continue;
    const method = methods.find((m) => m.id === row.methodId) ?? null;
    const state = toPassState(method, methods);
    const pastExpiry = row.expiresDateTime !== null && row.expiresDateTime <= now;
    const outcome: PassOutcome | null =
      state === 'used' ? 'used' : state === 'expired' || (state === 'gone' && pastExpiry) ? 'expired' : state === 'gone' ? 'removed' : null;
    if (outcome === null) continue;
    const methodId = row.methodId;
    const replacer = outcome === 'removed' ? replacers.get(methodId) : undefined;
    if (replacer?.status === 'issuing') continue;
    if (replacer !== undefined) {
      const marked = await inTransaction(db, (tx) =>
        markPassReplaced(tx, { targetUserId: row.targetUserId, methodId, replacedByRequestId: replacer.id, actorId: SYSTEM_ACTOR_ID, at: now }, ctx),
      );
      if (marked !== null) recorded += 1;
      continue;
    }
    const wrote = await inTransaction(db, async (tx) => {
      const { count } = await tx.tapRequest.updateMany({
        where: { id: row.id, status: 'issued', passOutcome: null },
        data: { passOutcome: outcome, passOutcomeAt: now },
      });
      if (count === 0) return false; // revoked meanwhile, or another instance recorded it
      await appendAuditEvent(tx, {
        type: 'tap.outcome_observed',
        actorId: SYSTEM_ACTOR_ID,
        targetId: row.targetUserId,
        requestId: row.id,
        data: { policyVersion: row.policyVersion, methodId, outcome, methodUsabilityReason: method?.methodUsabilityReason ?? null, observedAt: now },
        context: ctx,
      });
      return true;
    });
    if (wrote) recorded += 1;
  }
  ctx.log.debug({ checked: rows.length, recorded }, 'pass outcomes observed');
  return { checked: rows.length, recorded };
}

/**
 * Our requests that replaced one of `rows`' passes (their `replacedMethodId`), being issued or
 * issued, by the replaced method id; one query for the batch.
 */
async function findReplacers(
  db: PrismaClient,
  rows: readonly { methodId: string | null }[],
): Promise<Map<string, { id: string; status: 'issuing' | 'issued' }>> {
  const methodIds = rows.flatMap((row) => (row.methodId === null ? [] : [row.methodId]));
  const replacing = await db.tapRequest.findMany({
    where: { replacedMethodId: { in: methodIds }, status: { in: ['issuing', 'issued'] } },
    orderBy: { createdAt: 'asc' },
    select: { id: true, status: true, replacedMethodId: true },
  });
  // The first issuance that replaced a method is the one that removed it.
  const byMethod = new Map<string, { id: string; status: 'issuing' | 'issued' }>();
  for (const { id, status, replacedMethodId } of replacing) {
    if (replacedMethodId !== null && !byMethod.has(replacedMethodId) && (status === 'issuing' || status === 'issued')) byMethod.set(replacedMethodId, { id, status });
  }
  return byMethod;
}
