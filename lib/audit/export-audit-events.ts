import 'server-only';
import { z } from 'zod';
import { appendAuditEventNow } from '@/lib/audit/append-audit-event';
import { encodeExportHeader, encodeExportRow, exportRowSql, exportSourceSql } from '@/lib/audit/export-format';
import type { Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { AUDIT_EVENT_FILTER_NAMES, AUDIT_EXPORT_FORMATS, auditExportQuerySchema, type AuditEventFilterName, type AuditExportFormat } from '@/lib/contract/audit';
import { BrokerError } from '@/lib/core/errors';
import { getPostgresUrlOf, openBinaryCopyOut, type BinaryCopyOut, type BinaryCopyTuple } from '@/lib/db/binary-copy-out';
import { Prisma, type PrismaClient } from '@/lib/db/generated/client';

/** `GET /api/audit/export?format=csv|jsonl&from&to&type&actorId&targetId&requestId`, as the contract declares it. */
export { auditExportQuerySchema };
export type AuditExportQuery = z.infer<typeof auditExportQuerySchema>;

/** The list's filters an export applies on top of its time range; absent ones match every event. */
export type AuditExportFilters = Partial<Record<AuditEventFilterName, string>>;

/** The filters `query` sets, or null when it sets none (an unfiltered export: one run of the chain). */
export function getAuditExportFilters(query: Partial<Record<AuditEventFilterName, string | undefined>>): AuditExportFilters | null {
  const filters: AuditExportFilters = {};
  for (const name of AUDIT_EVENT_FILTER_NAMES) {
    const value = query[name];
    if (value !== undefined) filters[name] = name === 'requestId' ? value.toLowerCase() : value;
  }
  return Object.keys(filters).length === 0 ? null : filters;
}

/**
 * What a stream of the export needs: its format, seq range and filters, and its moment
 * (`exportedAt`): the names shown are those recorded up to it (lib/audit/export-format.ts
 * exportSourceSql), so the manifest, which streams the export again later, hashes the same bytes.
 */
export type AuditExportRange = Pick<AuditExportRecord, 'format' | 'firstSeq' | 'lastSeq'> & { filters?: AuditExportFilters | null; exportedAt?: Date | null };

const FILTER_COLUMNS: Record<AuditEventFilterName, string> = { type: 'type', actorId: 'actor_id', targetId: 'target_id', requestId: 'request_id' };

/** `AND column = value` for each filter, as bound parameters. */
function filterSql(filters: AuditExportFilters | null | undefined): Prisma.Sql {
  const parts = AUDIT_EVENT_FILTER_NAMES.flatMap((name) => {
    const value = filters?.[name];
    if (value === undefined) return [];
    const column = Prisma.raw(FILTER_COLUMNS[name]);
    return [name === 'requestId' ? Prisma.sql` AND ${column} = ${value}::uuid` : Prisma.sql` AND ${column} = ${value}`];
  });
  return parts.length === 0 ? Prisma.empty : Prisma.join(parts, '');
}

/**
 * {@link filterSql} as SQL text, for the COPY statement (which takes no parameters): each value a
 * standard string literal (`'` doubled; the COPY connection sets `standard_conforming_strings`, so
 * `\` is literal), the request id a UUID the contract has validated.
 */
function filterSqlText(filters: AuditExportFilters | null | undefined): string {
  return AUDIT_EVENT_FILTER_NAMES.map((name) => {
    const value = filters?.[name];
    if (value === undefined) return '';
    const literal = `'${value.replaceAll("'", "''")}'`;
    return ` AND ${FILTER_COLUMNS[name]} = ${name === 'requestId' ? `${literal}::uuid` : literal}`;
  }).join('');
}

/**
 * One export, as its `audit.exported` event records it. Unfiltered, the exported events are exactly
 * those with `firstSeq ≤ seq ≤ lastSeq` (a contiguous piece of the chain: `at` never goes backwards
 * along `seq`, so a time range is a seq range); filtered, those of them that match `filters`, and
 * `firstSeq`/`lastSeq` are the first and last matching ones. The export's own event comes after
 * `lastSeq`.
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
  /** null for an unfiltered export. */
  filters: AuditExportFilters | null;
  /** Rows in the file. */
  count: number;
  /** null when the range holds no event. */
  firstSeq: bigint | null;
  lastSeq: bigint | null;
  firstHash: string | null;
  lastHash: string | null;
}

interface EndRow {
  seq: bigint;
  hash: string;
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
  const filters = getAuditExportFilters(query);
  return db.$transaction(async (tx) => {
    // Waits for any append in flight to end; under READ COMMITTED the range query below then sees
    // every event up to the head, and appendAuditEvent (same transaction) moves the head it holds.
    await tx.$queryRaw`SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE`;
    // Index probes only, so the head stays locked for milliseconds whatever the trail's size: `at`
    // never goes backwards along seq, so the events in [from, to) are one seq range, found from
    // its ends through the index on `at`.
    // (A query per case, so that no plan has to allow for an absent bound.)
    const [first] =
      from === null
        ? await tx.$queryRaw<EndRow[]>`SELECT seq, hash FROM audit_event ORDER BY seq LIMIT 1`
        : await tx.$queryRaw<EndRow[]>`SELECT seq, hash FROM audit_event WHERE at >= ${from} ORDER BY at, seq LIMIT 1`;
    const [last] =
      to === null
        ? await tx.$queryRaw<EndRow[]>`SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1`
        : await tx.$queryRaw<EndRow[]>`SELECT seq, hash FROM audit_event WHERE at < ${to} ORDER BY at DESC, seq DESC LIMIT 1`;
    const inRange = first !== undefined && last !== undefined && first.seq <= last.seq;
    const ends = filters === null || !inRange ? { first, last, count: 0 } : await getFilteredEnds(tx, first.seq, last.seq, filters);
    const { firstSeq, lastSeq, firstHash, lastHash } =
      inRange && ends.first && ends.last
        ? { firstSeq: ends.first.seq, lastSeq: ends.last.seq, firstHash: ends.first.hash, lastHash: ends.last.hash }
        : { firstSeq: null, lastSeq: null, firstHash: null, lastHash: null };
    // Unfiltered, seqs are gapless by construction (each append takes head + 1 under the head row's
    // lock), so the count is the range's length; a hole cut behind the triggers' back then shows as
    // fewer rows than the manifest's count in audit:verify, as well as a broken link. Filtered, the
    // matching rows are counted.
    const count = firstSeq === null || lastSeq === null ? 0 : filters === null ? Number(lastSeq - firstSeq + 1n) : ends.count;
    const appended = await appendAuditEventNow(tx, {
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
        ...(filters === null ? {} : { filtered: true, filters }),
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
      filters,
      count,
      firstSeq,
      lastSeq,
      firstHash,
      lastHash,
    };
  });
}

/**
 * The first and last events of seqs `from..to` that match `filters`, and how many match: one scan
 * of the range through the primary key (the filters' own indexes are on `(column, at)`, and the
 * range is bounded already).
 */
async function getFilteredEnds(
  tx: Prisma.TransactionClient,
  from: bigint,
  to: bigint,
  filters: AuditExportFilters,
): Promise<{ first: EndRow | undefined; last: EndRow | undefined; count: number }> {
  const [stats] = await tx.$queryRaw<{ count: bigint; first: bigint | null; last: bigint | null }[]>`
    SELECT count(*) AS count, min(seq) AS first, max(seq) AS last
    FROM audit_event WHERE seq BETWEEN ${from} AND ${to}${filterSql(filters)}`;
  if (!stats || stats.first === null || stats.last === null) return { first: undefined, last: undefined, count: 0 };
  const ends = await tx.$queryRaw<EndRow[]>`SELECT seq, hash FROM audit_event WHERE seq IN (${stats.first}, ${stats.last})`;
  const firstSeq = BigInt(stats.first);
  const lastSeq = BigInt(stats.last);
  return { first: ends.find((e) => BigInt(e.seq) === firstSeq), last: ends.find((e) => BigInt(e.seq) === lastSeq), count: Number(stats.count) };
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
  filtered: z.literal(true).optional(),
  filters: z.object({ type: z.string(), actorId: z.string(), targetId: z.string(), requestId: z.string() }).partial().optional(),
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
    filters: d.filtered ? getAuditExportFilters(d.filters ?? {}) : null,
    count: d.count,
    firstSeq: d.firstSeq === null ? null : BigInt(d.firstSeq),
    lastSeq: d.lastSeq === null ? null : BigInt(d.lastSeq),
    firstHash: d.firstHash,
    lastHash: d.lastHash,
  };
}

export const DEFAULT_EXPORT_PAGE_SIZE = 2_000;

/** Pages read ahead of the one being written, each on its own pooled connection. */
export const EXPORT_READ_AHEAD = 2;

/**
 * The export's bytes as a stream: the header (CSV), then every event from `firstSeq` to `lastSeq`
 * in seq order, each row's text derived by the database ({@link exportRowSql}), so the process
 * encodes no event. Memory stays a few chunks whatever the range, and a slow client slows the read
 * down instead of piling rows up. The download and the manifest (which hashes the same bytes again)
 * both read through here.
 *
 * On PostgreSQL (a client of lib/db/client.ts) the range is one `COPY … TO STDOUT (FORMAT binary)`
 * ({@link createCopyExportStream}); on PGlite, which has no second connection to COPY on, it is read
 * in pages ({@link createPagedExportStream}, `pageSize` applies there only).
 */
export function createAuditExportStream(
  db: PrismaClient | Prisma.TransactionClient,
  range: AuditExportRange,
  options: { pageSize?: number } = {},
): ReadableStream<Uint8Array> {
  const url = getPostgresUrlOf(db);
  return url === undefined ? createPagedExportStream(db, range, options) : createCopyExportStream(db, url, range);
}

/** Bytes gathered before one is handed on: big enough that the stream's per-chunk cost is noise. */
const COPY_CHUNK_BYTES = 256 * 1024;

/** Seqs after a legacy event (no `data_canonical`) whose legacy events are read with it. */
const LEGACY_WINDOW = 2_000n;

/**
 * The range as one `COPY (SELECT seq, <row text> … ORDER BY seq) TO STDOUT (FORMAT binary)` on a
 * connection of its own: one statement, so one snapshot, and the rows' bytes pass from the socket
 * to the response as Buffers, never decoded (lib/db/binary-copy-out.ts). A row without text (an
 * event written before migration 0012) is read through Prisma and encoded by
 * {@link encodeExportRow} in its place — with the legacy events of the next {@link LEGACY_WINDOW}
 * seqs, which are usually many or none — while the COPY waits. The connection is opened on the
 * first pull and closed at the end, on an error, or when the consumer cancels (an abandoned
 * download), which stops the statement on the server.
 */
function createCopyExportStream(
  db: PrismaClient | Prisma.TransactionClient,
  url: string,
  { format, firstSeq, lastSeq, filters, exportedAt }: AuditExportRange,
): ReadableStream<Uint8Array> {
  let opening: Promise<BinaryCopyOut> | undefined;
  const close = async () => {
    if (opening) await (await opening.catch(() => undefined))?.close();
  };
  let header = encodeExportHeader(format);
  let tuples: BinaryCopyTuple[] = [];
  let next = 0;
  const legacy = new Map<bigint, string>();
  const encodeLegacy = async (seq: bigint): Promise<string> => {
    if (!legacy.has(seq)) {
      const events = await db.auditEvent.findMany({ where: { seq: { gte: seq, lte: seq + LEGACY_WINDOW - 1n }, dataCanonical: null } });
      legacy.clear();
      for (const event of events) legacy.set(event.seq, encodeExportRow(format, event));
    }
    const row = legacy.get(seq);
    if (row === undefined) throw new Error(`Audit event ${seq} has no row text and no data_canonical to encode.`);
    legacy.delete(seq);
    return row;
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const parts: Buffer[] = [];
        let bytes = 0;
        if (header.length > 0) {
          parts.push(Buffer.from(header, 'utf8'));
          bytes += parts[0]?.length ?? 0;
          header = '';
        }
        let ended = firstSeq === null || lastSeq === null;
        try {
          if (!ended) opening ??= openBinaryCopyOut(url, exportCopySql(format, firstSeq ?? 0n, lastSeq ?? 0n, filters, exportedAt ?? null), STREAMING_PLAN);
          const copy = ended ? undefined : await opening;
          while (copy && bytes < COPY_CHUNK_BYTES) {
            if (next === tuples.length) {
              const more = await copy.next();
              if (more === null) {
                ended = true;
                break;
              }
              tuples = more;
              next = 0;
            }
            const [seq, text] = tuples[next++] ?? [];
            const row = text ?? (seq ? Buffer.from(await encodeLegacy(seq.readBigInt64BE(0)), 'utf8') : undefined);
            if (!row) throw new Error('A binary COPY tuple of the export lacks its seq.');
            parts.push(row);
            bytes += row.length;
          }
        } catch (error) {
          await close();
          throw error;
        }
        if (bytes > 0) controller.enqueue(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes));
        if (ended) {
          await close();
          controller.close();
        }
      },
      cancel: close,
    },
    // The queue holds at most one chunk; the rest waits in the server's socket buffers.
    { highWaterMark: 1 },
  );
}

/**
 * Planner settings for the export's COPY connection. Over a whole trail the planner prefers a
 * (parallel) sequential scan and a sort of the row texts — which spills the whole export to disk
 * before the first byte is sent; the primary key's index scan yields rows in seq order from the
 * first one, so the download starts at once and nothing is written to temporary files.
 */
const STREAMING_PLAN = { enable_sort: 'off', max_parallel_workers_per_gather: '0', standard_conforming_strings: 'on' } as const;

/** The COPY of {@link createCopyExportStream}; `first` and `last` are bigints, so their text is digits. */
function exportCopySql(format: AuditExportFormat, first: bigint, last: bigint, filters: AuditExportFilters | null | undefined, asOf: Date | null): string {
  return (
    `COPY (SELECT seq, ${exportRowSql(format)} FROM ${exportSourceSql(asOf)} ` +
    `WHERE seq BETWEEN ${first.toString()} AND ${last.toString()}${filterSqlText(filters)} ORDER BY seq) TO STDOUT (FORMAT binary)`
  );
}

/**
 * The range in pages of `pageSize` consecutive seqs ({@link readExportPage}). Pages are seq ranges
 * rather than keyset pages, so the next {@link EXPORT_READ_AHEAD} can be read (on the database's
 * other cores) while one is written, and no more. A hole in the range (only a broken chain has one;
 * the verifier reports it) just leaves a page short.
 */
function createPagedExportStream(
  db: PrismaClient | Prisma.TransactionClient,
  range: AuditExportRange,
  options: { pageSize?: number },
): ReadableStream<Uint8Array> {
  const pageSize = BigInt(options.pageSize ?? DEFAULT_EXPORT_PAGE_SIZE);
  const { format, firstSeq, lastSeq, filters } = range;
  const asOf = range.exportedAt ?? null;
  let next = firstSeq;
  const ahead: Promise<string>[] = [];
  const readAhead = () => {
    while (next !== null && lastSeq !== null && next <= lastSeq && ahead.length <= EXPORT_READ_AHEAD) {
      const to = next + pageSize - 1n < lastSeq ? next + pageSize - 1n : lastSeq;
      const page = readExportPage(db, format, next, to, filters, asOf);
      // Handled here so a failure while no pull awaits it is no unhandled rejection; its pull rethrows it.
      page.catch(() => undefined);
      ahead.push(page);
      next = to + 1n;
    }
  };
  let headerSent = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        readAhead();
        let text = '';
        if (!headerSent) {
          headerSent = true;
          text = encodeExportHeader(format);
        }
        const page = ahead.shift();
        if (page !== undefined) {
          text += await page;
          readAhead();
        }
        if (text.length > 0) controller.enqueue(Buffer.from(text, 'utf8'));
        if (ahead.length === 0) controller.close();
      },
      cancel() {
        // The reads in flight are left to finish; nothing more is started.
        next = null;
        ahead.length = 0;
      },
    },
    // The queue holds at most one encoded page.
    { highWaterMark: 1 },
  );
}

const toBigInt = (value: bigint | number | string): bigint => (typeof value === 'bigint' ? value : BigInt(value));

/**
 * The rows of the events with `from ≤ seq ≤ to` that match `filters`, in seq order, as one string; their text is derived
 * by the database ({@link exportRowSql}), so the process only joins strings. Rows are fetched one
 * by one rather than concatenated by `string_agg(… ORDER BY seq)`, whose sort of a page of wide
 * rows spills out of `work_mem` and measured slower. Events without `data_canonical` (written
 * before migration 0012) come back as NULL and are read again in full and encoded by
 * {@link encodeExportRow}.
 */
async function readExportPage(
  db: PrismaClient | Prisma.TransactionClient,
  format: AuditExportFormat,
  from: bigint,
  to: bigint,
  filters: AuditExportFilters | null | undefined,
  asOf: Date | null,
): Promise<string> {
  const rows = await db.$queryRaw<{ seq: bigint | number | string; rowText: string | null }[]>`
    SELECT seq, ${Prisma.raw(exportRowSql(format))} AS "rowText"
    FROM ${Prisma.raw(exportSourceSql(asOf))} WHERE seq >= ${from} AND seq <= ${to}${filterSql(filters)} ORDER BY seq`;
  const legacySeqs = rows.filter((row) => row.rowText === null).map((row) => toBigInt(row.seq));
  const legacy = legacySeqs.length === 0 ? new Map<bigint, string>() : await encodeLegacyRows(db, format, legacySeqs);
  return rows.map((row) => row.rowText ?? legacy.get(toBigInt(row.seq)) ?? '').join('');
}

/** The rows of events `seqs` (which have no `data_canonical`) as {@link encodeExportRow} writes them. */
async function encodeLegacyRows(db: PrismaClient | Prisma.TransactionClient, format: AuditExportFormat, seqs: bigint[]): Promise<Map<bigint, string>> {
  const events = await db.auditEvent.findMany({ where: { seq: { in: seqs } } });
  return new Map(events.map((event) => [event.seq, encodeExportRow(format, event)]));
}

/** `tap-broker-audit-<exportId>.<csv|jsonl>` */
export function getAuditExportFileName(record: Pick<AuditExportRecord, 'exportId' | 'format'>): string {
  return `tap-broker-audit-${record.exportId}.${record.format}`;
}
