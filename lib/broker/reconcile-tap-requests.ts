import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR_ID, systemContext, type RequestContext } from '@/lib/core/request-context';
import { findRequest } from '@/lib/broker/tap-request-store';
import { inTransaction, resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { isApprovalValid, PENDING_REQUEST_MAX_AGE_MS } from '@/lib/broker/tap-request-policy';
import type { PrismaClient } from '@/lib/db/generated/client';
import type { TapMethodInfo } from '@/lib/graph/get-target-facts';
import { deleteTapMethod, listTapMethods } from '@/lib/graph/tap-methods';
import { logger } from '@/lib/log';

/**
 * The background reconciler (`reconcileTapRequests`), and the resolution of one `issuing` request
 * that issue also runs inline (`resolveIssuingRequest`): finishes what a crash or an unknown Graph
 * outcome left behind, and expires stale requests.
 */

/** Default age of an `issuing` intent before the reconciler touches it: well past any live create (15 s timeout). */
export const DEFAULT_RECONCILE_AFTER_MS = 2 * 60_000;
/** Clock skew allowed between us and Graph when matching a method's createdDateTime to an intent. */
export const CREATED_SKEW_MS = 2 * 60_000;
/** Rows handled per category and run; the next run takes the rest. */
const BATCH = 100;

export interface ReconcileSummary {
  /** `issuing` rows resolved (back to approved or expired). */
  reconciled: number;
  /** Methods deleted in Graph: passes nobody received. */
  deletedMethods: number;
  /** `approved` or `pending_approval` rows expired. */
  expired: number;
  /** Rows that could not be resolved this run (Graph or the database failed); retried next run. */
  errors: number;
}

/**
 * The background reconciler: finishes what a crash, timeout or lost database write left behind,
 * and expires stale requests. Safe to run on several instances at once and repeatedly: every
 * transition is a conditional update, and only the instance whose update matched writes the
 * audit event. Never throws for a single row: failures are logged and counted.
 *
 * - `issuing` with an intent older than `olderThanMs` (default 2 min; tests pass 0): the pass may
 *   or may not exist in Graph, and nobody received it (the pass is returned only after `issued`
 *   is committed). Any method created since the intent is deleted, then `issuing → approved`
 *   (or `expired` when the approval lapsed meanwhile), audited as `tap.reconciled`.
 * - `approved` past `approvalExpiresAt`, and `pending_approval` older than 7 days → `expired`
 *   (`tap_request.expired`).
 *
 * `signal` (graceful shutdown) stops it between rows: it holds no lease, so what is left is
 * simply the next run's, on whichever instance.
 */
export async function reconcileTapRequests(
  input: { olderThanMs?: number; signal?: AbortSignal } = {},
  ctx: RequestContext = systemContext(logger.child({ component: 'reconciler' }), `reconciler-${randomUUID()}`),
  options: UseCaseOptions = {},
): Promise<ReconcileSummary> {
  const db = await resolveDb(options);
  const olderThanMs = input.olderThanMs ?? DEFAULT_RECONCILE_AFTER_MS;
  const summary: ReconcileSummary = { reconciled: 0, deletedMethods: 0, expired: 0, errors: 0 };
  const now = new Date();

  const issuing = await db.tapRequest.findMany({
    where: { status: 'issuing', OR: [{ intentAt: null }, { intentAt: { lte: new Date(now.getTime() - olderThanMs) } }] },
    orderBy: { intentAt: 'asc' },
    take: BATCH,
    select: { id: true },
  });
  for (const { id } of issuing) {
    if (input.signal?.aborted) return summary;
    try {
      const result = await resolveIssuingRequest(db, id, ctx, { cause: 'reconciler' });
      if (result.resolved) summary.reconciled += 1;
      summary.deletedMethods += result.deletedMethodIds.length;
    } catch (error) {
      summary.errors += 1;
      ctx.log.warn({ err: error, tapRequestId: id }, 'could not reconcile an issuing request; will retry');
    }
  }

  const stale = await db.tapRequest.findMany({
    where: {
      OR: [
        { status: 'approved', approvalExpiresAt: { lte: now } },
        { status: 'pending_approval', createdAt: { lte: new Date(now.getTime() - PENDING_REQUEST_MAX_AGE_MS) } },
      ],
    },
    orderBy: { createdAt: 'asc' },
    take: BATCH * 2,
    select: { id: true, status: true, targetUserId: true, policyVersion: true },
  });
  for (const row of stale) {
    if (input.signal?.aborted) return summary;
    try {
      const expired = await inTransaction(db, async (tx) => {
        const { count } = await tx.tapRequest.updateMany({
          where:
            row.status === 'approved'
              ? { id: row.id, status: 'approved', approvalExpiresAt: { lte: now } }
              : { id: row.id, status: 'pending_approval', createdAt: { lte: new Date(now.getTime() - PENDING_REQUEST_MAX_AGE_MS) } },
          data: { status: 'expired' },
        });
        if (count !== 1) return false;
        await appendAuditEvent(tx, {
          type: 'tap_request.expired',
          actorId: SYSTEM_ACTOR_ID,
          targetId: row.targetUserId,
          requestId: row.id,
          data: {
            previousStatus: row.status,
            reason: row.status === 'approved' ? 'the approval expired before the pass was issued' : 'no decision within 7 days',
            policyVersion: row.policyVersion,
          },
          context: ctx,
        });
        return true;
      });
      if (expired) summary.expired += 1;
    } catch (error) {
      summary.errors += 1;
      ctx.log.warn({ err: error, tapRequestId: row.id }, 'could not expire a request; will retry');
    }
  }

  if (summary.reconciled + summary.expired + summary.errors > 0) ctx.log.info(summary, 'reconciler run');
  return summary;
}

function parseTime(value: string | null): number | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Resolves one `issuing` request against Graph: lists the target's TAP methods, deletes a pass
 * created since the intent (minus {@link CREATED_SKEW_MS}) that no request has on record, then
 * `issuing → approved | expired`. Shared by the background reconciler and `issueTap`'s inline
 * recovery (`cause: 'create-outcome-unknown'`, audited as `tap.issue_failed` with outcome
 * unknown, instead of `tap.reconciled`).
 *
 * Never deletes a pass someone may hold: methods recorded on any request (the one ours replaced,
 * another request's issued pass) are kept, and while another issuance for the same target may
 * still be in flight (`issuing`, intent younger than {@link DEFAULT_RECONCILE_AFTER_MS}) nothing
 * is deleted — Graph keeps one pass per user, so the method there may be theirs, about to be
 * handed out; if theirs fails, its own recovery deletes what it finds. The row is re-read just
 * before deleting, and the final transition is conditional on the same idempotency key, so a
 * concurrent resolution wins cleanly.
 *
 * @throws BrokerError upstream-unavailable when Graph cannot be reached (the row stays issuing)
 */
export async function resolveIssuingRequest(
  db: PrismaClient,
  requestId: string,
  ctx: RequestContext,
  options: { cause: 'reconciler' | 'create-outcome-unknown'; actorId?: string; graphRequestId?: string | null },
): Promise<{ resolved: boolean; deletedMethodIds: string[] }> {
  const row = await findRequest(db, requestId);
  if (row === null || row.status !== 'issuing') return { resolved: false, deletedMethodIds: [] };
  const { idempotencyKey, intentAt } = row;

  const methods: TapMethodInfo[] = await listTapMethods(row.targetUserId, { log: ctx.log });
  const threshold = (intentAt?.getTime() ?? 0) - CREATED_SKEW_MS;
  const candidates = methods.filter((m) => {
    const created = parseTime(m.createdDateTime);
    // Fail towards deleting: a pass of unknown age that nobody has on record was not handed out.
    return created === null || created >= threshold;
  });

  const deletedMethodIds: string[] = [];
  if (candidates.length > 0) {
    const [recorded, inFlightElsewhere, current] = await Promise.all([
      db.tapRequest.findMany({
        where: { targetUserId: row.targetUserId, OR: [{ methodId: { in: candidates.map((m) => m.id) } }, { replacedMethodId: { in: candidates.map((m) => m.id) } }], NOT: { id: row.id } },
        select: { methodId: true, replacedMethodId: true },
      }),
      // Another issuance for the same target that may still be in flight (its create not yet
      // answered or recorded): the method in Graph may be its pass.
      db.tapRequest.count({
        where: { targetUserId: row.targetUserId, NOT: { id: row.id }, status: 'issuing', intentAt: { gt: new Date(Date.now() - DEFAULT_RECONCILE_AFTER_MS) } },
      }),
      findRequest(db, row.id),
    ]);
    if (current === null || current.status !== 'issuing' || current.idempotencyKey !== idempotencyKey) {
      return { resolved: false, deletedMethodIds: [] };
    }
    const keep = new Set<string>(recorded.flatMap((r) => [r.methodId, r.replacedMethodId]).filter((id): id is string => id !== null));
    if (row.replacedMethodId !== null) keep.add(row.replacedMethodId);
    if (inFlightElsewhere === 0) {
      for (const method of candidates) {
        if (keep.has(method.id)) continue;
        const { deleted } = await deleteTapMethod(row.targetUserId, method.id, { log: ctx.log });
        if (deleted) deletedMethodIds.push(method.id);
      }
    } else {
      ctx.log.warn({ tapRequestId: row.id }, 'another issuance for the same target may be in flight; not deleting any method');
    }
  }

  const actorId = options.actorId ?? SYSTEM_ACTOR_ID;
  const resolved = await inTransaction(db, async (tx) => {
    const fresh = await tx.tapRequest.findUnique({ where: { id: row.id }, select: { approvalExpiresAt: true } });
    const newStatus = fresh !== null && isApprovalValid({ status: 'approved', approvalExpiresAt: fresh.approvalExpiresAt }, new Date()) ? 'approved' : 'expired';
    const { count } = await tx.tapRequest.updateMany({
      where: { id: row.id, status: 'issuing', idempotencyKey },
      data: { status: newStatus, replacedMethodId: null },
    });
    if (count !== 1) return false;
    if (options.cause === 'create-outcome-unknown') {
      await appendAuditEvent(tx, {
        type: 'tap.issue_failed',
        actorId,
        targetId: row.targetUserId,
        requestId: row.id,
        data: {
          graphRequestId: options.graphRequestId ?? null,
          ...(idempotencyKey === null ? {} : { idempotencyKey }),
          graphStatus: null,
          graphCode: null,
          outcome: 'unknown',
          retryable: newStatus === 'approved',
          newStatus,
          deletedMethodIds,
          policyVersion: row.policyVersion,
        },
        context: ctx,
      });
    } else {
      await appendAuditEvent(tx, {
        type: 'tap.reconciled',
        actorId,
        targetId: row.targetUserId,
        requestId: row.id,
        data: {
          idempotencyKey,
          intentAt,
          foundMethodIds: methods.map((m) => m.id),
          deletedMethodIds,
          newStatus,
          policyVersion: row.policyVersion,
        },
        context: ctx,
      });
    }
    return true;
  });
  if (resolved) ctx.log.info({ tapRequestId: row.id, deletedMethods: deletedMethodIds.length, cause: options.cause }, 'issuing request resolved');
  return { resolved, deletedMethodIds };
}
