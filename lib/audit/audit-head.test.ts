/**
 * The one-statement append (migration 0013's audit_head): PostgreSQL's hash equals the documented
 * one for awkward data, `at` never goes backwards, many concurrent appenders leave one chain, the
 * head row cannot be removed, and a trail written before 0013 continues unbroken.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { afterEach, describe, expect, test } from 'vitest';
import { appendAuditEvent, type AuditEventInput } from '@/lib/audit/append-audit-event';
import { canonicalJson, computeAuditEventHash, GENESIS_PREV_HASH } from '@/lib/audit/canonical';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { PrismaClient } from '@/lib/db/generated/client';
import { applyMigrations, getDefaultMigrationsDir } from '@/lib/db/migrate';
import { appendCommitted, DB_KINDS, TEST_CONTEXT, useTestDatabases } from '@/lib/testing/audit';
import { createTestDb, type TestDb } from '@/lib/testing/db';

const ACTOR = 'a0000000-0000-4000-8000-000000000001';
const REQUEST = 'B0000000-0000-4000-8000-0000000000AB';

type Details = NonNullable<AuditEventInput<'tap_request.denied'>['data']['details']>;

function withDetails(details: Details, actorId = ACTOR): AuditEventInput<'tap_request.denied'> {
  return {
    type: 'tap_request.denied',
    actorId,
    targetId: 'ünïcødé "target" \\ \n',
    requestId: REQUEST,
    data: { decidedBy: actorId, reason: 'r', policyVersion: 1, details },
    context: TEST_CONTEXT,
  };
}

const AWKWARD: Details[] = [
  { quote: '"', backslash: '\\', controls: '\b\t\n\f\r\u0001\u001f\u007f', slash: '/' },
  { emoji: '👩‍💻 𝄞', cjk: '漢字', rtl: 'עברית', combining: 'e\u0301', bom: '\uFEFF', lineSep: '\u2028\u2029' },
  { numbers: [0, -1, 1.5, 1e21, 1e-7, 123456789012345, -0.000001, 0.1 + 0.2, 5e-324, 1.7976931348623157e308] },
  { nested: { z: [{ b: 1, a: [true, false, null] }], a: { 'ü': 1, 'u': 2, 'U': 3, '': 4, ' ': 5 } }, empty: {}, list: [] },
  { 'key "with" quotes\\': 'v', '\u00e9': 'precomposed', e: 'plain' },
];

describe.each(DB_KINDS)('the one-statement append on %s', (kind) => {
  const databases = useTestDatabases();
  let db: TestDb;
  afterEach(async () => {
    await db.close();
  });

  test('the hash PostgreSQL computes is the documented one, for awkward data and ids', async () => {
    db = await databases.open(kind);
    const appended = [];
    for (const details of AWKWARD) appended.push(await appendCommitted(db.prisma, withDetails(details, `actor ✓ "${appended.length}"`)));
    const rows = await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(rows.map((row) => row.seq)).toEqual(AWKWARD.map((_, n) => BigInt(n + 1)));
    let prevHash = GENESIS_PREV_HASH;
    for (const [n, row] of rows.entries()) {
      expect(row.prevHash).toBe(prevHash);
      expect(row.hash).toBe(computeAuditEventHash(prevHash, row));
      expect(row.hash).toBe(appended[n]?.hash);
      expect(row.at).toEqual(appended[n]?.at);
      expect(row.requestId).toBe(REQUEST.toLowerCase());
      expect(row.dataCanonical).toBe(canonicalJson(row.data));
      expect((row.data as { details: unknown }).details).toEqual(AWKWARD[n]);
      prevHash = row.hash;
    }
    const head = await db.prisma.auditHead.findUniqueOrThrow({ where: { id: 1 } });
    expect(head).toEqual({ id: 1, seq: BigInt(AWKWARD.length), at: rows.at(-1)?.at, prevHash: rows.at(-2)?.hash, hash: prevHash });
    expect(await verifyAuditChain(db.prisma)).toEqual({ ok: true, count: AWKWARD.length, headHash: prevHash });
  });

  test('`at` never goes backwards along seq: a head ahead of this clock is kept, to the millisecond', async () => {
    db = await databases.open(kind);
    await db.prisma.$transaction((tx) => appendAuditEvent(tx, withDetails({})));
    const ahead = new Date(Date.now() + 3_600_000 + 0.5);
    // As if another instance with a fast clock had appended last (the row itself is never edited by the broker).
    await db.prisma.auditHead.update({ where: { id: 1 }, data: { at: ahead } });
    const next = await appendCommitted(db.prisma, withDetails({ n: 2 }));
    expect(next.at.getTime()).toBe(Math.floor(ahead.getTime()));
    const row = await db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: next.seq } });
    expect(row.hash).toBe(computeAuditEventHash(row.prevHash, row));
  });

  test('the head row cannot be added, deleted or truncated', async () => {
    db = await databases.open(kind);
    await db.prisma.$transaction((tx) => appendAuditEvent(tx, withDetails({})));
    const refused = [
      `INSERT INTO audit_head (id, seq, at, prev_hash, hash) VALUES (1, 0, now(), '', '')`,
      'DELETE FROM audit_head WHERE false',
      'DELETE FROM audit_head',
      'TRUNCATE audit_head',
    ];
    for (const statement of refused) {
      await expect(db.prisma.$executeRawUnsafe(statement), statement).rejects.toThrow(/audit_head.*refused/);
    }
    expect(await db.prisma.auditHead.findMany()).toMatchObject([{ id: 1, seq: 1n }]);
  });

  test('a tail cut behind the triggers’ back stays visible after later appends: they chain to the head row', async () => {
    db = await databases.open(kind);
    for (const n of [1, 2, 3]) await db.prisma.$transaction((tx) => appendAuditEvent(tx, withDetails({ n })));
    await db.prisma.$executeRawUnsafe('ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only');
    await db.prisma.$executeRawUnsafe('DELETE FROM audit_event WHERE seq = 3');
    await db.prisma.$executeRawUnsafe('ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only');
    const next = await appendCommitted(db.prisma, withDetails({ n: 4 }));
    expect(next.seq).toBe(4n);
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: false, count: 3, firstBrokenSeq: 3 });
  });

  if (kind === 'postgres') {
    test('50 concurrent appending transactions over a pool of 10 leave one chain, seqs committed in order', async () => {
      db = await databases.open(kind);
      const pooled = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url ?? '', max: 10 }) });
      try {
        await Promise.all(
          Array.from({ length: 50 }, (_, n) =>
            pooled.$transaction(async (tx) => {
              await tx.policyVersion.findFirst({ orderBy: { version: 'desc' } });
              return appendAuditEvent(tx, withDetails({ n }));
            }),
          ),
        );
      } finally {
        await pooled.$disconnect();
      }
      const rows = await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' }, select: { seq: true, at: true, data: true } });
      expect(rows.map((row) => Number(row.seq))).toEqual(Array.from({ length: 50 }, (_, n) => n + 1));
      expect(new Set(rows.map((row) => JSON.stringify((row.data as { details: unknown }).details))).size).toBe(50);
      for (let n = 1; n < rows.length; n += 1) expect(rows[n]?.at.getTime()).toBeGreaterThanOrEqual(rows[n - 1]?.at.getTime() ?? 0);
      expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: true, count: 50 });
    });
  }
});

describe('migration 0013 on a trail written before it', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  test('the head starts at the newest event, and appends continue the chain', async () => {
    const before = mkdtempSync(path.join(os.tmpdir(), 'tap-migrations-'));
    dirs.push(before);
    cpSync(getDefaultMigrationsDir(), before, { recursive: true, filter: (source) => !source.includes('0013_audit_head') });
    const pglite = await PGlite.create('memory://');
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    try {
      await applyMigrations({ pglite }, { migrationsDir: before });
      let prevHash = GENESIS_PREV_HASH;
      const at = new Date('2026-01-02T03:04:05.678Z');
      for (const seq of [1n, 2n]) {
        const event = { seq, id: crypto.randomUUID(), at, type: 'tap_request.denied', actorId: ACTOR, targetId: null, requestId: null, data: { reason: `${seq}` } };
        const hash = computeAuditEventHash(prevHash, event);
        await pglite.query(
          'INSERT INTO audit_event (seq, id, at, type, actor_id, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          [seq, event.id, at, event.type, ACTOR, JSON.stringify(event.data), prevHash, hash],
        );
        prevHash = hash;
      }
      await applyMigrations({ pglite });
      expect(await prisma.auditHead.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ seq: 2n, at, hash: prevHash });

      const next = await appendCommitted(prisma, withDetails({}));
      expect(next.seq).toBe(3n);
      expect(next.at.getTime()).toBeGreaterThan(at.getTime());
      expect(await verifyAuditChain(prisma)).toEqual({ ok: true, count: 3, headHash: next.hash });
    } finally {
      await prisma.$disconnect();
      await pglite.close();
    }
  });

  test('an empty trail gets seq 0 and the genesis hash', async () => {
    const db = await createTestDb({ kind: 'pglite' });
    try {
      expect(await db.prisma.auditHead.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ seq: 0n, hash: GENESIS_PREV_HASH, prevHash: GENESIS_PREV_HASH });
    } finally {
      await db.close();
    }
  });
});
