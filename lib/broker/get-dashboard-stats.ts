import 'server-only';
import { z } from 'zod';
import { hasAnyRole, type Actor } from '@/lib/auth/actor';
import { BrokerError } from '@/lib/core/errors';
import type { Prisma, PrismaClient } from '@/lib/db/generated/client';
import { DEFAULT_RECONCILE_AFTER_MS } from '@/lib/broker/reconcile-tap-requests';

/**
 * The figures of the auditors' and admins' dashboard (`GET /api/dashboard`, `getDashboardStats`),
 * computed by PostgreSQL in one statement.
 */

/** How far back the dashboard looks, in whole UTC days including today. */
export const DASHBOARD_WINDOW_DAYS = 30;
/** How many requesting managers the leaderboard names. */
export const DASHBOARD_TOP_REQUESTERS = 5;

const count = z.coerce.number().int().min(0);
const seconds = z.coerce.number().min(0).nullable();

const statsSchema = z.strictObject({
  from: z.string(),
  issuedPerDay: z.array(z.strictObject({ date: z.iso.date(), count })),
  requestsByOutcome: z.array(z.strictObject({ status: z.string(), count })),
  timeToIssue: z.strictObject({ count, medianSeconds: seconds, p95Seconds: seconds }),
  approvalsWaiting: z.strictObject({ count, oldestCreatedAt: z.string().nullable() }),
  topRequesters: z.array(z.strictObject({ requesterId: z.string(), displayName: z.string().nullable(), count })),
  refusalsByReason: z.array(z.strictObject({ reason: z.string(), count })),
  attention: z.strictObject({ failedIssuances: count, stuckIssuances: count, failedNotifications: count }),
});

export interface DashboardStats {
  generatedAt: string;
  windowDays: number;
  /** Inclusive start of the window: midnight UTC, `windowDays - 1` days before today. */
  from: string;
  /** One entry per UTC day of the window, oldest first; passes issued (later revocation included). */
  issuedPerDay: { date: string; count: number }[];
  /** Requests created in the window by their current status, most frequent first. */
  requestsByOutcome: { status: string; count: number }[];
  /** From `createdAt` to `issuedAt` for passes issued in the window; null without any. */
  timeToIssue: { count: number; medianSeconds: number | null; p95Seconds: number | null };
  /** Requests pending approval now, whenever they were made. */
  approvalsWaiting: { count: number; oldestCreatedAt: string | null };
  /** The managers who made the most requests in the window. */
  topRequesters: { requesterId: string; displayName: string | null; count: number }[];
  /**
   * `tap_request.refused` events in the window by reason: each named eligibility reason of a
   * `target-ineligible` refusal, else the refusal's code (`not-in-reporting-chain`, `rate-limited`…).
   */
  refusalsByReason: { reason: string; count: number }[];
  /**
   * What needs an administrator now: passes whose issuance failed (requests made in the window),
   * issuances stuck in `issuing` past the reconciler's wait (whenever they started), and mails the
   * dispatcher gave up on (queued in the window).
   */
  attention: { failedIssuances: number; stuckIssuances: number; failedNotifications: number };
}

/**
 * The admin and auditor dashboard's figures over the last {@link DASHBOARD_WINDOW_DAYS} UTC days,
 * computed by PostgreSQL in ONE statement, so every figure comes from the same snapshot and the
 * cost stays a handful of index range scans however large the tables grow (nothing is loaded
 * into memory to be counted here).
 *
 * Auditors and admins only (403 `forbidden` otherwise): the figures name requesting managers.
 */
export async function getDashboardStats(
  actor: Pick<Actor, 'roles'>,
  db: PrismaClient | Prisma.TransactionClient,
  options: { now?: Date } = {},
): Promise<DashboardStats> {
  if (!hasAnyRole(actor, ['auditor', 'admin'])) {
    throw new BrokerError('forbidden', 'Only auditors and administrators see the dashboard.');
  }
  const now = options.now ?? new Date();
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const from = new Date(today.getTime() - (DASHBOARD_WINDOW_DAYS - 1) * 86_400_000);
  // An intent older than this has outlived any live Graph call: the reconciler should have resolved it.
  const stuckBefore = new Date(now.getTime() - DEFAULT_RECONCILE_AFTER_MS);

  // Returned as text and parsed with zod: the shape is checked rather than trusted, whichever
  // driver (pg or PGlite) runs it.
  const rows = await db.$queryRaw<{ stats: string }[]>`
    WITH
      days AS (
        SELECT generate_series(${from}::timestamptz, ${today}::timestamptz, interval '1 day') AS day
      ),
      issued AS (
        SELECT issued_at, created_at FROM tap_request
        WHERE issued_at >= ${from}::timestamptz AND issued_at < ${now}::timestamptz
      ),
      per_day AS (
        SELECT to_char(d.day AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS date,
               count(i.issued_at) AS count
        FROM days d
        LEFT JOIN issued i ON i.issued_at >= d.day AND i.issued_at < d.day + interval '1 day'
        GROUP BY d.day
      ),
      outcomes AS (
        SELECT status::text AS status, count(*) AS count FROM tap_request
        WHERE created_at >= ${from}::timestamptz AND created_at < ${now}::timestamptz
        GROUP BY status
      ),
      latency AS (
        SELECT count(*) AS count,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM issued_at - created_at)) AS median,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM issued_at - created_at)) AS p95
        FROM issued
      ),
      waiting AS (
        SELECT count(*) AS count, min(created_at) AS oldest FROM tap_request WHERE status = 'pending_approval'
      ),
      requesters AS (
        SELECT requester_id, max(requester_display_name) AS display_name, count(*) AS count
        FROM tap_request WHERE created_at >= ${from}::timestamptz AND created_at < ${now}::timestamptz
        GROUP BY requester_id
        ORDER BY count(*) DESC, requester_id
        LIMIT ${DASHBOARD_TOP_REQUESTERS}
      ),
      refusals AS (
        SELECT coalesce(r.reason, e.data->>'code', 'unknown') AS reason, count(*) AS count
        FROM audit_event e
        LEFT JOIN LATERAL jsonb_array_elements_text(
          CASE WHEN jsonb_typeof(e.data->'reasons') = 'array' THEN e.data->'reasons' ELSE '[]'::jsonb END
        ) AS r(reason) ON true
        WHERE e.type = 'tap_request.refused' AND e.at >= ${from}::timestamptz AND e.at < ${now}::timestamptz
        GROUP BY 1
      ),
      attention AS (
        SELECT
          (SELECT count(*) FROM tap_request
            WHERE status = 'failed' AND created_at >= ${from}::timestamptz AND created_at < ${now}::timestamptz) AS failed,
          (SELECT count(*) FROM tap_request
            WHERE status = 'issuing' AND (intent_at IS NULL OR intent_at <= ${stuckBefore}::timestamptz)) AS stuck,
          (SELECT count(*) FROM notification
            WHERE status = 'failed' AND created_at >= ${from}::timestamptz AND created_at < ${now}::timestamptz) AS mails
      )
    SELECT json_build_object(
      'from', to_char(${from}::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'issuedPerDay', (SELECT coalesce(json_agg(json_build_object('date', date, 'count', count) ORDER BY date), '[]'::json) FROM per_day),
      'requestsByOutcome', (SELECT coalesce(json_agg(json_build_object('status', status, 'count', count) ORDER BY count DESC, status), '[]'::json) FROM outcomes),
      'timeToIssue', (SELECT json_build_object('count', count, 'medianSeconds', median, 'p95Seconds', p95) FROM latency),
      'approvalsWaiting', (SELECT json_build_object('count', count, 'oldestCreatedAt',
         to_char(oldest AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) FROM waiting),
      'topRequesters', (SELECT coalesce(json_agg(json_build_object('requesterId', requester_id, 'displayName', display_name, 'count', count) ORDER BY count DESC, requester_id), '[]'::json) FROM requesters),
      'refusalsByReason', (SELECT coalesce(json_agg(json_build_object('reason', reason, 'count', count) ORDER BY count DESC, reason), '[]'::json) FROM refusals),
      'attention', (SELECT json_build_object('failedIssuances', failed, 'stuckIssuances', stuck, 'failedNotifications', mails) FROM attention)
    )::text AS stats`;
  const text = rows[0]?.stats;
  if (text === undefined) throw new Error('the dashboard query returned no row');
  const stats = statsSchema.parse(JSON.parse(text));
  return { generatedAt: now.toISOString(), windowDays: DASHBOARD_WINDOW_DAYS, ...stats };
}
