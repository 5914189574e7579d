/**
 * The offline verifier cut into pieces: records handed to worker threads in batches (tiny ones
 * here, so that every boundary case occurs), the file arriving in pieces that split records —
 * CSV records with line breaks inside quotes included — must give exactly the answer of the same
 * verifier working through the file in one piece in one thread, down to the first bad seq and
 * its message. Exports are written with the portal's own encoder (lib/audit/export-format.ts).
 */
import { describe, expect, test } from 'vitest';
import { computeAuditEventHash, GENESIS_PREV_HASH } from '@/lib/audit/canonical';
import { encodeExportHeader, encodeExportRow } from '@/lib/audit/export-format';
import type { AuditExportFormat } from '@/lib/contract/audit';
import { verifyAuditExport, type VerifyExportOptions, type VerifyExportResult } from '@/scripts/audit-verify';

const FORMATS: AuditExportFormat[] = ['csv', 'jsonl'];
const EVENTS = 24;
/** Values that make CSV records span lines, double quotes, need defusing, or are not ASCII. */
const AWKWARD = ['line one\nline two', 'crlf\r\n"quoted", and more\r\n', '=1+1\n', 'é 漢字 😀', '""\n""', ''];

interface Event {
  seq: number;
  id: string;
  at: Date;
  type: string;
  actorId: string;
  targetId: string | null;
  requestId: string | null;
  data: Record<string, unknown>;
}

function makeEvent(seq: number, variant = ''): Event {
  const hex = (n: number) => n.toString(16).padStart(12, '0');
  const awkward = AWKWARD[seq % AWKWARD.length] ?? '';
  return {
    seq,
    id: `e0000000-0000-4000-8000-${hex(seq)}`,
    at: new Date(Date.UTC(2026, 0, 1) + seq * 1000),
    type: seq % 5 === 0 ? `type with\na break ${seq}` : 'tap_request.denied',
    actorId: `a0000000-0000-4000-8000-${hex(seq % 3)}`,
    targetId: seq % 4 === 1 ? null : `${awkward}${variant}`,
    requestId: seq % 3 === 0 ? null : `b0000000-0000-4000-8000-${hex(seq)}`,
    data: { reason: `${awkward} #${seq}`, nested: { list: [1, 2.5, 'x', null, true], z: awkward }, policyVersion: 1 },
  };
}

/** An export of `events` written with the portal's encoder, each hash chained to the prevHash given. */
function writeExport(format: AuditExportFormat, events: Event[], prevHashOf: (seq: number, computed: string) => string = (_, h) => h): Buffer {
  let text = encodeExportHeader(format);
  let prevHash = GENESIS_PREV_HASH;
  for (const event of events) {
    const hash = computeAuditEventHash(prevHash, event);
    text += encodeExportRow(format, { ...event, seq: BigInt(event.seq), prevHash, hash });
    prevHash = prevHashOf(event.seq + 1, hash);
  }
  return Buffer.from(text, 'utf8');
}

function events(count = EVENTS): Event[] {
  return Array.from({ length: count }, (_, i) => makeEvent(i + 1));
}

function pieces(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** The verdict in one piece, in this thread … */
function inOnePiece(bytes: Buffer, options: VerifyExportOptions): Promise<VerifyExportResult> {
  return verifyAuditExport([bytes], { ...options, workers: 0 });
}

/** … and cut every way: pieces of the file × batch sizes, two worker threads. */
async function expectSameVerdictCut(bytes: Buffer, options: VerifyExportOptions, expected: Partial<VerifyExportResult>): Promise<void> {
  const reference = await inOnePiece(bytes, options);
  expect(reference).toMatchObject(expected);
  for (const [pieceSize, chunkBytes] of [
    [1, 1],
    [7, 64],
    [13, 300],
    [4096, 1 << 20],
  ] as const) {
    const result = await verifyAuditExport(pieces(bytes, pieceSize), { ...options, workers: 2, chunkBytes });
    expect(result, `pieces of ${pieceSize} bytes, batches of ${chunkBytes}`).toEqual(reference);
  }
}

describe.each(FORMATS)('audit:verify in parallel, %s', (format) => {
  test('an intact export holding line breaks inside quoted cells verifies, however it is cut', async () => {
    const bytes = writeExport(format, events());
    if (format === 'csv') {
      // Records do span lines: more line breaks than records.
      expect(bytes.toString('utf8').split('\n').length - 1).toBeGreaterThan(EVENTS + 1);
    }
    await expectSameVerdictCut(bytes, { format }, { ok: true, count: EVENTS, firstSeq: 1, lastSeq: EVENTS });
  });

  test('a broken link in the middle names the same first bad seq as the one-piece check', async () => {
    // Event 12 is replaced by another whose own hash is right; event 13 still points at the old one.
    const chain = events();
    chain[11] = makeEvent(12, ' (rewritten)');
    let originalHash12 = '';
    const original = events();
    let prev = GENESIS_PREV_HASH;
    for (const event of original) {
      prev = computeAuditEventHash(prev, event);
      if (event.seq === 12) originalHash12 = prev;
    }
    const bytes = writeExport(format, chain, (next, computed) => (next === 13 ? originalHash12 : computed));
    const expected = { ok: false, firstBadSeq: 13, problem: 'seq 13: prevHash is not the hash of seq 12', count: 12 };
    await expectSameVerdictCut(bytes, { format }, expected);
  });

  test('an altered byte, a removed row and invalid UTF-8 in the middle name the same first bad seq', async () => {
    const bytes = writeExport(format, events());
    const text = bytes.toString('latin1');
    const row = (seq: number) => text.indexOf(format === 'csv' ? `\r\n${seq},"` : `{"seq":${seq},`) + (format === 'csv' ? 2 : 0);

    const altered = Buffer.from(bytes);
    const reasonAt = text.indexOf('#9', row(9));
    altered[reasonAt + 1] = '8'.charCodeAt(0);
    await expectSameVerdictCut(altered, { format }, { ok: false, firstBadSeq: 9, problem: 'seq 9: hash does not match the event\'s content' });

    const removed = Buffer.concat([bytes.subarray(0, row(10)), bytes.subarray(row(11))]);
    await expectSameVerdictCut(removed, { format }, { ok: false, firstBadSeq: 10, problem: 'seq 10 expected, found seq 11 (an event is missing or out of order)' });

    const invalid = Buffer.from(bytes);
    invalid[text.indexOf('#', row(15))] = 0xff;
    await expectSameVerdictCut(invalid, { format }, { ok: false, firstBadSeq: 15, problem: 'invalid UTF-8 in the row after seq 14' });
  });

  test('a truncated file is refused at the cut row, wherever the cut falls', async () => {
    const bytes = writeExport(format, events());
    const text = bytes.toString('latin1');
    const lastRow = text.lastIndexOf(format === 'csv' ? `\r\n${EVENTS},"` : `{"seq":${EVENTS},`) + (format === 'csv' ? 2 : 0);
    // Inside the last row (in CSV also between the lines of a record), and one byte short.
    for (const cut of [lastRow + 5, lastRow + Math.floor((bytes.length - lastRow) / 2), bytes.length - 1]) {
      await expectSameVerdictCut(bytes.subarray(0, cut), { format }, { ok: false, firstBadSeq: EVENTS, count: EVENTS - 1, problem: 'the file does not end with a complete row' });
    }
  });
});
