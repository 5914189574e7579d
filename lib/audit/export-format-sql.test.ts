/**
 * The SQL row encoder (exportRowSql) against the JavaScript one (encodeExportRow), byte for byte,
 * on PGlite and PostgreSQL: events full of values that need JSON escaping, CSV quoting or formula
 * defusing, exported through the streaming exporter, must come out exactly as the JavaScript
 * encoder writes them — including events without `data_canonical`, which the exporter encodes in
 * JavaScript, mixed into the same pages as the others.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { canonicalJson } from '@/lib/audit/canonical';
import { createAuditExportStream } from '@/lib/audit/export-audit-events';
import { encodeExportHeader, encodeExportRow } from '@/lib/audit/export-format';
import type { AuditExportFormat } from '@/lib/contract/audit';
import { DB_KINDS, useTestDatabases } from '@/lib/testing/audit';
import type { TestDb } from '@/lib/testing/db';

const CONTROL = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('');
const NASTY = [
  'plain',
  '',
  'quote " and "" doubled',
  'back\\slash \\" \\\\ \\u0041',
  CONTROL,
  '\u007f \u0080 \u00a0 \u2028 \u2029 \ufeff',
  'é 漢字 😀 𝄞',
  '=1+1',
  '+1',
  '-1',
  '@x',
  '\t=',
  '\r\n=c',
  "'=x",
  "''+1",
  "'''-1",
  "'",
  "''",
  "'x",
  ' =1',
  '=HYPERLINK("https://evil.test/?"&A1,"open")',
  'a,b\r\n"c";d',
  '{"json":"looking"}',
  'null',
];

function nastyEvent(seq: number, withCanonical: boolean) {
  const value = NASTY[seq % NASTY.length] ?? '';
  const other = NASTY[(seq * 7 + 3) % NASTY.length] ?? '';
  const data = {
    [value || 'empty']: other,
    nested: { list: [value, 1.5, -0.25, 1e21, 12345678901234, true, false, null], [other || 'k']: { deep: value } },
    zeta: seq,
    Alpha: [],
    '': {},
  };
  return {
    seq: BigInt(seq),
    id: randomUUID(),
    at: new Date(Date.UTC(2026, 0, 1) + seq * 1_234_567 + (seq % 1000)),
    type: value,
    actorId: other,
    targetId: seq % 5 === 0 ? null : `${other}${value}`,
    requestId: seq % 3 === 0 ? null : randomUUID(),
    data,
    dataCanonical: withCanonical ? canonicalJson(data) : null,
    // Stored as they are; a broken chain must export exactly as a sound one is encoded.
    prevHash: value,
    hash: `${other}#${seq}`,
  };
}

async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe.each(DB_KINDS)('the SQL row encoder on %s', (kind) => {
  const databases = useTestDatabases();
  let db: TestDb;
  afterEach(async () => {
    await db.close();
  });

  test('streams every row byte-identical to encodeExportRow, with and without data_canonical, whatever the page size', async () => {
    db = await databases.open(kind);
    const count = NASTY.length * 3;
    // Events 1..9 predate data_canonical, as after migration 0012; 30 and 40 lack it too, mid-trail.
    const events = Array.from({ length: count }, (_, i) => nastyEvent(i + 1, i + 1 > 9 && i + 1 !== 30 && i + 1 !== 40));
    await db.prisma.auditEvent.createMany({ data: events });
    const stored = await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(stored.filter((e) => e.dataCanonical === null)).toHaveLength(11);

    for (const format of ['csv', 'jsonl'] as AuditExportFormat[]) {
      const expected = encodeExportHeader(format) + stored.map((event) => encodeExportRow(format, event)).join('');
      for (const pageSize of [1, 7, 1_000]) {
        const text = await readText(createAuditExportStream(db.prisma, { format, firstSeq: 1n, lastSeq: BigInt(count) }, { pageSize }));
        expect(text, `${format}, pages of ${pageSize}`).toBe(expected);
      }
      // A range inside the trail: from the middle of the legacy rows to the middle of the rest.
      const inner = encodeExportHeader(format) + stored.slice(4, 50).map((event) => encodeExportRow(format, event)).join('');
      expect(await readText(createAuditExportStream(db.prisma, { format, firstSeq: 5n, lastSeq: 50n }, { pageSize: 8 }))).toBe(inner);
    }
  });

  test('names beside the ids: per event the newest version recorded at or before it, else the oldest, up to the export; nasty names encode as in JavaScript', async () => {
    db = await databases.open(kind);
    const events = Array.from({ length: NASTY.length }, (_, i) => ({ ...nastyEvent(i + 1, true), actorId: 'actor', targetId: i % 2 === 0 ? `target-${i}` : null }));
    await db.prisma.auditEvent.createMany({ data: events });
    const stored = await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    const atOf = (seq: number) => stored[seq - 1]?.at ?? new Date(0);
    // The actor: version A recorded at event 5, B at event 10 — events 1..4 get A (the oldest), 5..9 A, 10.. B.
    await db.prisma.recordedName.createMany({
      data: [
        { id: 'actor', displayName: 'Actor A', userPrincipalName: 'a@contoso.test', recordedAt: atOf(5) },
        { id: 'actor', displayName: 'Actor B', userPrincipalName: 'b@contoso.test', recordedAt: atOf(10) },
        // Recorded after the export's moment below: shown nowhere.
        { id: 'actor', displayName: 'Actor Later', userPrincipalName: 'later@contoso.test', recordedAt: new Date(atOf(NASTY.length).getTime() + 60_000) },
        ...events.flatMap((event, i) =>
          event.targetId === null ? [] : [{ id: event.targetId, displayName: NASTY[i] ?? '', userPrincipalName: NASTY[(i + 5) % NASTY.length] ?? '', recordedAt: event.at }],
        ),
      ],
    });
    const exportedAt = new Date(atOf(NASTY.length).getTime() + 1_000);
    const actorAt = (seq: number) => (seq >= 10 ? { actorDisplayName: 'Actor B', actorUserPrincipalName: 'b@contoso.test' } : { actorDisplayName: 'Actor A', actorUserPrincipalName: 'a@contoso.test' });
    for (const format of ['csv', 'jsonl'] as AuditExportFormat[]) {
      const expected =
        encodeExportHeader(format) +
        stored
          .map((event, i) =>
            encodeExportRow(format, {
              ...event,
              ...actorAt(i + 1),
              ...(event.targetId === null ? {} : { targetDisplayName: NASTY[i] ?? '', targetUserPrincipalName: NASTY[(i + 5) % NASTY.length] ?? '' }),
            }),
          )
          .join('');
      const text = await readText(createAuditExportStream(db.prisma, { format, firstSeq: 1n, lastSeq: BigInt(stored.length), exportedAt }, { pageSize: 7 }));
      expect(text, format).toBe(expected);
      expect(text).not.toContain('Actor Later');
    }
  });
});

/** Backends of this database running the export's COPY, other than the asking one. */
async function countExportCopies(db: TestDb): Promise<number> {
  const [row] = await db.prisma.$queryRaw<{ count: bigint }[]>`
    SELECT count(*)::bigint AS count FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'COPY (SELECT seq, %'`;
  return Number(row?.count ?? -1n);
}

describe('the COPY export on PostgreSQL', () => {
  const databases = useTestDatabases();
  let db: TestDb;
  afterEach(async () => {
    await db.close();
  });

  test('streams a range far bigger than a chunk through one COPY, a legacy event in its middle, and an abandoned download ends it', async () => {
    db = await databases.open('postgres');
    const count = 30_000;
    // Rows of ~800 bytes: megabytes, more than the socket buffers hold, so the COPY is still
    // running when the download below is abandoned. Event 15000 predates data_canonical.
    await db.prisma.$executeRaw`
      INSERT INTO audit_event (seq, id, at, type, actor_id, target_id, request_id, data, data_canonical, prev_hash, hash)
      SELECT n, gen_random_uuid(), timestamptz '2026-01-01T00:00:00Z' + n * interval '1.001 second', 'tap_request.denied', 'actor-' || n,
        CASE WHEN n % 2 = 0 THEN '=target ' || n END, NULL, jsonb_build_object('n', n, 'pad', repeat('x', 600)),
        CASE WHEN n <> 15000 THEN '{"n":' || n || ',"pad":"' || repeat('x', 600) || '"}' END, 'prev-' || n, 'hash-' || n
      FROM generate_series(1, ${count}) AS n`;
    const stored = await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(stored.filter((e) => e.dataCanonical === null).map((e) => e.seq)).toEqual([15_000n]);
    const range = { firstSeq: 1n, lastSeq: BigInt(count) };

    for (const format of ['csv', 'jsonl'] as AuditExportFormat[]) {
      const expected = encodeExportHeader(format) + stored.map((event) => encodeExportRow(format, event)).join('');
      expect(await readText(createAuditExportStream(db.prisma, { format, ...range }))).toBe(expected);
    }
    expect(await countExportCopies(db)).toBe(0);

    const reader = createAuditExportStream(db.prisma, { format: 'jsonl', ...range }).getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value ?? []).toString('utf8')).toMatch(/^\{"seq":1,/);
    // The rows come from a COPY on a connection of the exporter's own, still running.
    expect(await countExportCopies(db)).toBe(1);
    await reader.cancel();
    // The cancel has dropped the connection; the server ends the statement when its next write to
    // it fails, which it reports to nobody, so this waits for its backend to go.
    let copies = await countExportCopies(db);
    for (let polls = 0; copies > 0 && polls < 200; polls += 1) {
      await db.prisma.$executeRaw`SELECT pg_sleep(0.025)`;
      copies = await countExportCopies(db);
    }
    expect(copies).toBe(0);
  });
});
