/**
 * What the metrics scrape reads from the database (lib/observability-boot.ts wires these into the
 * `/metrics` server): the reconciler's backlog, the notification outbox's and the audit chain's
 * head. One statement each, on indexed columns or a one-row table, so a scrape every few seconds
 * from several instances costs the database little; the scrape bounds each by a timeout.
 */
import 'server-only';
import type { Db } from '@/lib/db/client';

/** Requests left `issuing` (a create whose outcome the reconciler resolves) and how long the oldest has waited. */
export async function readReconcilerBacklog(db: Db): Promise<{ issuing: number; oldestAgeSeconds: number }> {
  const rows = await db.$queryRaw<{ issuing: number; oldest_age_seconds: number }[]>`
    SELECT count(*)::int AS issuing,
           coalesce(extract(epoch FROM clock_timestamp() - min(coalesce(intent_at, updated_at))), 0)::float8 AS oldest_age_seconds
    FROM tap_request WHERE status = 'issuing'`;
  const row = rows[0];
  return { issuing: Number(row?.issuing ?? 0), oldestAgeSeconds: Math.max(0, Number(row?.oldest_age_seconds ?? 0)) };
}

/** Notifications not yet handed to Graph: waiting (`pending`) and claimed by a dispatcher (`sending`). */
export async function readNotificationBacklog(db: Db): Promise<{ pending: number; sending: number }> {
  const rows = await db.$queryRaw<{ pending: number; sending: number }[]>`
    SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
           count(*) FILTER (WHERE status = 'sending')::int AS sending
    FROM notification WHERE status IN ('pending', 'sending')`;
  const row = rows[0];
  return { pending: Number(row?.pending ?? 0), sending: Number(row?.sending ?? 0) };
}

/** The audit chain head's `seq` (0 before the first event). */
export async function readAuditHeadSeq(db: Db): Promise<number> {
  const rows = await db.$queryRaw<{ seq: bigint | number }[]>`SELECT coalesce(max(seq), 0)::bigint AS seq FROM audit_head`;
  return Number(rows[0]?.seq ?? 0);
}
