/**
 * Formula defusing of CSV cells: what the exporter writes, that the offline verifier's reading
 * undoes it exactly, and that a chain of rows full of formula-looking values still verifies byte
 * for byte (hashes over the values, the file as written).
 */
import { describe, expect, test } from 'vitest';
import { computeAuditEventHash, GENESIS_PREV_HASH } from '@/lib/audit/canonical';
import { defuseCsvCell, encodeExportHeader, encodeExportRow, type ExportableAuditEvent } from '@/lib/audit/export-format';
import { defuseCsvCell as verifierDefuse, restoreCsvCell, verifyAuditExport } from '@/scripts/audit-verify';

const TRIGGERS = ['=', '+', '-', '@', '\t', '\r'];
const TRICKY = [
  '=1+1',
  '+1',
  '-1',
  '@x',
  '\t=',
  '\r=',
  "'=x",
  "''=x",
  "'''-1",
  "'",
  "''",
  "'x",
  "'x=",
  '',
  'plain',
  ' =1+1',
  '=HYPERLINK("https://evil.test","click")',
  '-2+3+cmd|\' /C calc\'!A0',
  '\n=1',
  'a,b\r\n=c',
];

describe('defuseCsvCell', () => {
  test.each(TRICKY)('%j: no cell begins with a formula character, and the verifier restores the value', (value) => {
    const cell = defuseCsvCell(value);
    expect(TRIGGERS).not.toContain(cell[0]);
    expect(restoreCsvCell(cell)).toBe(value);
    // The verifier re-implements the rule; both must write the same text.
    expect(verifierDefuse(value)).toBe(cell);
  });

  test('prefixes exactly the values a spreadsheet would evaluate, and those that only look defused', () => {
    expect(TRICKY.map((value) => [value, defuseCsvCell(value)])).toEqual([
      ['=1+1', "'=1+1"],
      ['+1', "'+1"],
      ['-1', "'-1"],
      ['@x', "'@x"],
      ['\t=', "'\t="],
      ['\r=', "'\r="],
      ["'=x", "''=x"],
      ["''=x", "'''=x"],
      ["'''-1", "''''-1"],
      ["'", "'"],
      ["''", "''"],
      ["'x", "'x"],
      ["'x=", "'x="],
      ['', ''],
      ['plain', 'plain'],
      [' =1+1', ' =1+1'],
      ['=HYPERLINK("https://evil.test","click")', '\'=HYPERLINK("https://evil.test","click")'],
      ['-2+3+cmd|\' /C calc\'!A0', '\'-2+3+cmd|\' /C calc\'!A0'],
      ['\n=1', '\n=1'],
      ['a,b\r\n=c', 'a,b\r\n=c'],
    ]);
  });

  test('distinct values never share a cell (the prefix is unambiguous)', () => {
    const cells = TRICKY.map(defuseCsvCell);
    expect(new Set(cells).size).toBe(TRICKY.length);
  });
});

describe('a CSV export of formula-looking values', () => {
  function chain(values: string[]): ExportableAuditEvent[] {
    let prevHash = GENESIS_PREV_HASH;
    return values.map((value, index) => {
      const event = {
        seq: BigInt(index + 1),
        id: `00000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`,
        at: new Date(Date.UTC(2026, 0, 1, 0, 0, index)),
        type: 'tap_request.refused',
        actorId: value,
        targetId: value,
        requestId: null,
        data: { stage: 'create', code: 'not-in-reporting-chain', note: value },
      };
      const hash = computeAuditEventHash(prevHash, event);
      const row = { ...event, prevHash, hash };
      prevHash = hash;
      return row;
    });
  }

  test('writes every such cell with its leading quote and still verifies byte for byte', async () => {
    const events = chain(TRICKY);
    const text = encodeExportHeader('csv') + events.map((event) => encodeExportRow('csv', event)).join('');
    const row = encodeExportRow('csv', events[0]!);
    expect(row).toContain(`,"'=1+1","'=1+1",,`);
    const result = await verifyAuditExport([Buffer.from(text, 'utf8')], { format: 'csv' });
    expect(result, result.problem).toMatchObject({ ok: true, count: TRICKY.length, lastHash: events.at(-1)?.hash });
  });

  test('a cell left undefused, or defused twice, is not the exporter’s encoding and is refused', async () => {
    const events = chain(['=1+1', 'plain']);
    const header = encodeExportHeader('csv');
    const [first = '', second = ''] = events.map((event) => encodeExportRow('csv', event));
    for (const altered of [first.replace(`"'=1+1"`, '"=1+1"'), first.replace(`"'=1+1"`, `"''=1+1"`)]) {
      expect(altered).not.toBe(first);
      const result = await verifyAuditExport([Buffer.from(header + altered + second, 'utf8')], { format: 'csv' });
      expect(result).toMatchObject({ ok: false, firstBadSeq: 1 });
    }
  });

  test('JSON Lines carries the values as they are', () => {
    const [event] = chain(['=1+1']);
    expect(encodeExportRow('jsonl', event!)).toContain('"targetId":"=1+1"');
  });
});
