import 'server-only';
import { z } from 'zod';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { encodeExportHeader, encodeExportRow, type ExportableAuditEvent } from '@/lib/audit/export-format';
import type { Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { AUDIT_EXPORT_FORMATS, auditExportQuerySchema, type AuditExportFormat } from '@/lib/contract/audit';
import { BrokerError } from '@/lib/core/errors';
import type { Prisma, PrismaClient } from '@/lib/db/generated/client';

/** `GET /api/audit/export?format=csv|jsonl&from&to`, as the contract declares it. */
export { auditExportQuerySchema };
export type AuditExportQuery = z.infer<typeof auditExportQuerySchema>;

/**
 * One export, as its `audit.exported` event records it. The exported events are exactly those with
 * `firstSeq ≤ seq ≤ lastSeq` (a contiguous piece of the chain: `at` never goes backwards along
 * `seq`, so a time range is a seq range); the export's own event comes after `lastSeq`.
 */
export interface AuditExportRecord {
  /** The id of the `audit.exported` event; keys the manifest route. */
  exportId: string;
  exportSeq: bigint;
  exportHash: string;
  exportedAt: Date;
  exportedBy: string;
  format: AuditExportFormat;
  from: Date | null;
  to: Date | null;
  count: number;
  /** null when the range holds no event. */
  firstSeq: bigint | null;
  lastSeq: bigint | null;
  firstHash: string | null;
  lastHash: string | null;
}

interface RangeRow {
  first: bigint | null;
  last: bigint | null;
  count: bigint;
}

/**
 * Fixes the range of a new export and records it: in one transaction, holding the lock on the
 * chain's head row (the one appends take, so no event can slip in between), resolves `from`/`to`
 * to the seq range of the events that exist now and appends `audit.exported` with the range, count, first/last seq and hash. The event
 * is written before a byte is streamed, so an export that is started is on the record even if the
 * download is abandoned.
 */
export async function startAuditExport(
  db: PrismaClient,
  actor: Pick<Actor, 'id'>,
  query: AuditExportQuery,
  context: Pick<RequestContext, 'requestId' | 'ip' | 'userAgent' | 'clientRequestId'>,
): Promise<AuditExportRecord> {
  const from = query.from ?? null;
  const to = query.to ?? null;
  return db.$transaction(async (tx) => {
    // Waits for any append in flight to end; under READ COMMITTED the range query below then sees
    // every event up to the head, and appendAuditEvent (same transaction) moves the head it holds.
    await tx.$queryRaw`SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE`;
    const [range] = await tx.$queryRaw<RangeRow[]>`
      SELECT min(seq) AS first, max(seq) AS last, count(*)::bigint AS count FROM audit_event
      WHERE (${from}::timestamptz IS NULL OR at >= ${from}::timestamptz) AND (${to}::timestamptz IS NULL OR at < ${to}::timestamptz)`;
    const firstSeq = range?.first ?? null;
    const lastSeq = range?.last ?? null;
    const count = Number(range?.count ?? 0n);
    const ends =
      firstSeq === null || lastSeq === null
        ? []
        : await tx.auditEvent.findMany({ where: { seq: { in: [firstSeq, lastSeq] } }, select: { seq: true, hash: true } });
    const firstHash = ends.find((e) => e.seq === firstSeq)?.hash ?? null;
    const lastHash = ends.find((e) => e.seq === lastSeq)?.hash ?? null;
    const appended = await appendAuditEvent(tx, {
      type: 'audit.exported',
      actorId: actor.id,
      data: {
        format: query.format,
        from: from?.toISOString() ?? null,
        to: to?.toISOString() ?? null,
        count,
        firstSeq: firstSeq === null ? null : Number(firstSeq),
        lastSeq: lastSeq === null ? null : Number(lastSeq),
        firstHash,
        lastHash,
      },
      context,
    });
    return {
      exportId: appended.id,
      exportSeq: appended.seq,
      exportHash: appended.hash,
      exportedAt: appended.at,
      exportedBy: actor.id,
      format: query.format,
      from,
      to,
      count,
      firstSeq,
      lastSeq,
      firstHash,
      lastHash,
    };
  });
}

const exportedEventData = z.object({
  format: z.enum(AUDIT_EXPORT_FORMATS),
  from: z.string().nullable(),
  to: z.string().nullable(),
  count: z.number().int(),
  firstSeq: z.number().int().nullable(),
  lastSeq: z.number().int().nullable(),
  firstHash: z.string().nullable(),
  lastHash: z.string().nullable(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The export recorded by the `audit.exported` event `exportId`; `not-found` when there is none. */
export async function getAuditExportOrThrow(db: PrismaClient | Prisma.TransactionClient, exportId: string): Promise<AuditExportRecord> {
  const event = UUID.test(exportId) ? await db.auditEvent.findUnique({ where: { id: exportId.toLowerCase() } }) : null;
  const parsed = event?.type === 'audit.exported' ? exportedEventData.safeParse(event.data) : undefined;
  if (!event || !parsed?.success) throw new BrokerError('not-found', 'No such export.');
  const d = parsed.data;
  return {
    exportId: event.id,
    exportSeq: event.seq,
    exportHash: event.hash,
    exportedAt: event.at,
    exportedBy: event.actorId,
    format: d.format,
    from: d.from === null ? null : new Date(d.from),
    to: d.to === null ? null : new Date(d.to),
    count: d.count,
    firstSeq: d.firstSeq === null ? null : BigInt(d.firstSeq),
    lastSeq: d.lastSeq === null ? null : BigInt(d.lastSeq),
    firstHash: d.firstHash,
    lastHash: d.lastHash,
  };
}

export const DEFAULT_EXPORT_PAGE_SIZE = 1_000;

/**
 * The export's bytes as a stream: the header (CSV), then every event from `firstSeq` to `lastSeq`
 * in seq order, read in keyset pages of `pageSize` rows, one page per `pull` — so memory stays
 * constant whatever the range and a slow client slows the reads down instead of piling rows up.
 * The download and the manifest (which hashes the same bytes again) both read through here.
 */
export function createAuditExportStream(
  db: PrismaClient | Prisma.TransactionClient,
  range: Pick<AuditExportRecord, 'format' | 'firstSeq' | 'lastSeq'>,
  options: { pageSize?: number } = {},
): ReadableStream<Uint8Array> {
  const pageSize = options.pageSize ?? DEFAULT_EXPORT_PAGE_SIZE;
  const encoder = new TextEncoder();
  const { format, firstSeq, lastSeq } = range;
  let next = firstSeq;
  let headerSent = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let text = '';
        if (!headerSent) {
          headerSent = true;
          text = encodeExportHeader(format);
        }
        if (next !== null && lastSeq !== null && next <= lastSeq) {
          const page = await readExportPage(db, next, lastSeq, pageSize);
          const parts: string[] = [text];
          for (const event of page) parts.push(encodeExportRow(format, event));
          text = parts.join('');
          const last = page.at(-1);
          // A short page means the range ran out (the trail is append-only, so only a broken
          // chain has holes; the verifier reports those, the export just carries what is there).
          next = last === undefined || page.length < pageSize ? null : last.seq + 1n;
        } else {
          next = null;
        }
        if (text.length > 0) controller.enqueue(encoder.encode(text));
        if (next === null) controller.close();
      },
    },
    // One page in flight at a time; the queue holds at most one encoded page.
    { highWaterMark: 1 },
  );
}

/** A row as the raw query hands it over, before `seq` and `at` are normalized. */
type RawExportRow = Omit<ExportableAuditEvent, 'seq' | 'at'> & { seq: bigint | number | string; at: Date | string };

/**
 * One keyset page, `from ≤ seq ≤ to`, in seq order. A raw query rather than `findMany`: it reads
 * the 1M-row benchmark about 2.5 times faster, with less garbage per row.
 */
async function readExportPage(db: PrismaClient | Prisma.TransactionClient, from: bigint, to: bigint, limit: number): Promise<ExportableAuditEvent[]> {
  const rows = await db.$queryRaw<RawExportRow[]>`
    SELECT seq, id::text AS id, at, type, actor_id AS "actorId", target_id AS "targetId", request_id::text AS "requestId",
           data, prev_hash AS "prevHash", hash
    FROM audit_event WHERE seq >= ${from} AND seq <= ${to} ORDER BY seq LIMIT ${limit}`;
  return rows.map((row) => ({
    ...row,
    seq: typeof row.seq === 'bigint' ? row.seq : BigInt(row.seq),
    at: row.at instanceof Date ? row.at : new Date(row.at),
    data: typeof row.data === 'string' ? (JSON.parse(row.data) as unknown) : row.data,
  }));
}

/** `tap-broker-audit-<exportId>.<csv|jsonl>` */
export function getAuditExportFileName(record: Pick<AuditExportRecord, 'exportId' | 'format'>): string {
  return `tap-broker-audit-${record.exportId}.${record.format}`;
}
