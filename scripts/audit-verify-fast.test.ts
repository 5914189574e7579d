/**
 * The verifier's fast path (rows whose pieces are already canonical text, hashed without parsing)
 * must never answer differently from the exact path (parse, re-encode, compare): every row here,
 * intact or with a byte replaced, removed or added anywhere, gets the same outcome both ways; rows
 * the fast path leaves alone (escapes, big or fractional numbers, deep nesting) still verify; and
 * a row whose data is valid JSON but not canonical is refused as altered, as it always was.
 */
import { describe, expect, test } from 'vitest';
import { canonicalJson, computeAuditEventHash, GENESIS_PREV_HASH } from '@/lib/audit/canonical';
import { encodeExportHeader, encodeExportRow } from '@/lib/audit/export-format';
import type { AuditExportFormat } from '@/lib/contract/audit';
import { fastRow, inspectRecord, inspectRecordExactly, verifyAuditExport } from '@/scripts/audit-verify';

const FORMATS: AuditExportFormat[] = ['csv', 'jsonl'];

function event(seq: number, data: Record<string, unknown>, targetId: string | null = 'b0000000-0000-4000-8000-000000000001') {
  return {
    seq,
    id: `e0000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`,
    at: new Date(Date.UTC(2026, 1, 28, 23, 59, 59) + seq),
    type: 'tap_request.created',
    actorId: 'a0000000-0000-4000-8000-000000000001',
    targetId,
    requestId: seq % 2 === 0 ? null : `c0000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`,
    data,
  };
}

/** The rows (line endings included) of a chain of `datas`, written with the portal's encoder. */
function rows(format: AuditExportFormat, datas: Record<string, unknown>[]): string[] {
  let prevHash = GENESIS_PREV_HASH;
  return datas.map((data, i) => {
    const e = event(i + 1, data, i % 3 === 2 ? null : 'b0000000-0000-4000-8000-000000000001');
    const hash = computeAuditEventHash(prevHash, e);
    const row = encodeExportRow(format, { ...e, seq: BigInt(e.seq), prevHash, hash });
    prevHash = hash;
    return row;
  });
}

const PLAIN = { policyVersion: 1, chain: ['a', 'b'], depth: 2, context: { ip: '10.1.2.3', ok: true, none: null, empty: {}, list: [] }, n: -12 };

function bothWays(format: AuditExportFormat, row: string) {
  const text = row.slice(0, -1);
  const terminator = format === 'csv' ? '\r\n' : '\n';
  const raw = format === 'csv' ? text.slice(0, -1) : text;
  const exactly = format === 'csv' && !text.endsWith('\r') ? { kind: 'crlf' } : inspectRecordExactly(format, raw, terminator);
  return { fast: inspectRecord(format, text, false), vouched: text.endsWith(terminator.slice(0, -1)) ? fastRow(format, raw) : null, exactly };
}

describe.each(FORMATS)('the fast path of audit:verify, %s', (format) => {
  test('agrees with the exact path on every row with any byte replaced, removed or added', () => {
    const [first, second] = rows(format, [PLAIN, { ...PLAIN, n: 5 }]);
    let fastRows = 0;
    for (const row of [first, second]) {
      if (row === undefined) throw new Error('no row');
      const body = row.slice(0, format === 'csv' ? -2 : -1);
      const ending = row.slice(body.length);
      const variants = [row];
      for (let i = 0; i <= body.length; i += 1) {
        variants.push(body.slice(0, i) + body.slice(i + 1) + ending);
        for (const c of ['"', '\\', ' ', '0', '1', '9', 'a', 'F', ',', ':', '{', '}', '[', 'e', '.', '-', "'", '=', '\t', 'é']) {
          variants.push(body.slice(0, i) + c + body.slice(i + 1) + ending, body.slice(0, i) + c + body.slice(i) + ending);
        }
      }
      for (const variant of new Set(variants)) {
        const { fast, vouched, exactly } = bothWays(format, variant);
        expect(fast, JSON.stringify(variant)).toEqual(exactly);
        if (vouched !== null) {
          expect(vouched, JSON.stringify(variant)).toEqual(exactly);
          fastRows += 1;
        }
      }
    }
    // The fast path reads the intact rows, and no other (a changed byte that still verifies would be a broken hash).
    expect(fastRows).toBe(2);
  });

  test('rows the fast path leaves to the exact path still verify', async () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 80; i += 1) deep = [deep];
    const datas = [
      { escaped: 'quote " backslash \\ tab \t newline \n', control: '\u0001', slash: '/' },
      { big: 1e21, small: 1e-7, fraction: 0.1, negative: -0.5, unsafe: 12345678901234567890, max: Number.MAX_SAFE_INTEGER },
      { deep },
      { '10': 'numeric keys', '9': 'sort as strings', b: { '2': 2, '11': 11 } },
      { defused: '=SUM(A1)', plus: '+1', quote: "'=x", unicode: 'é 漢字 😀 \u2028' },
      PLAIN,
    ];
    const text = encodeExportHeader(format) + rows(format, datas).join('');
    for (const row of rows(format, datas)) {
      const { fast, exactly } = bothWays(format, row);
      expect(fast).toEqual(exactly);
      expect(fast).toMatchObject({ kind: 'row', hashOk: true });
    }
    const result = await verifyAuditExport([Buffer.from(text, 'utf8')], { format, workers: 0 });
    expect(result).toMatchObject({ ok: true, count: datas.length });
  });

  test('a row whose data is valid JSON but not canonical is refused as altered', async () => {
    const canonical = rows(format, [PLAIN, PLAIN]);
    const dataText = canonicalJson(PLAIN);
    const q = (json: string) => (format === 'csv' ? json.replaceAll('"', '""') : json);
    const nonCanonical = [
      dataText.replace('"policyVersion":1', '"policyVersion":1.0'),
      dataText.replace('"policyVersion":1', '"policyVersion":1e0'),
      dataText.replace('"n":-12', '"n":-12.00'),
      dataText.replace('"depth":2', '"depth": 2'),
      dataText.replace('"ip":"10.1.2.3"', '"ip":"10.1.2.\\u0033"'),
      dataText.replace('"ip":"10.1.2.3"', '"ip":"10.1.2.3","ip":"10.1.2.3"'),
      dataText.replace('{"chain"', '{"depth":2,"chain"').replace(',"depth":2', ''),
      dataText.replace('"chain":["a","b"]', '"chain":["a","b"] '),
    ];
    for (const replacement of nonCanonical) {
      expect(JSON.parse(replacement), replacement).toEqual(PLAIN);
      const second = canonical[1]?.replace(q(dataText), q(replacement)) ?? '';
      expect(second).not.toBe(canonical[1]);
      const bytes = Buffer.from(encodeExportHeader(format) + canonical[0] + second, 'utf8');
      const result = await verifyAuditExport([bytes], { format, workers: 0 });
      expect(result, replacement).toMatchObject({ ok: false, firstBadSeq: 2, problem: "seq 2: the row is not in the export's exact encoding (altered bytes)" });
    }
  });
});
