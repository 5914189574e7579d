import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { listAuditEvents, listAuditEventsQuerySchema, type AuditEventView } from '@/lib/audit/list-audit-events';
import { TEST_CONTEXT } from '@/lib/testing/audit';
import { computeAuditEventHash } from '@/lib/audit/canonical';
import { BrokerError } from '@/lib/core/errors';
import { createTestDb, type TestDb } from '@/lib/testing/db';

const ALICE = 'a0000000-0000-4000-8000-00000000000a';
const BOB = 'a0000000-0000-4000-8000-00000000000b';
const TARGET_1 = 'c0000000-0000-4000-8000-000000000001';
const TARGET_2 = 'c0000000-0000-4000-8000-000000000002';
const REQUEST_1 = 'b0000000-0000-4000-8000-000000000001';

let db: TestDb;
const all: AuditEventView[] = [];

// 12 events: seq n is by ALICE when n is odd, else BOB; about TARGET_1 when n ≤ 6, else TARGET_2;
// `tap_request.denied` when n % 3 === 0, else `tap_request.refused`; REQUEST_1 for n ≤ 4.
beforeAll(async () => {
  db = await createTestDb();
  for (let n = 1; n <= 12; n += 1) {
    const common = {
      actorId: n % 2 === 1 ? ALICE : BOB,
      targetId: n <= 6 ? TARGET_1 : TARGET_2,
      requestId: n <= 4 ? REQUEST_1 : null,
      context: TEST_CONTEXT,
    };
    await db.prisma.$transaction((tx) =>
      n % 3 === 0
        ? appendAuditEvent(tx, { ...common, type: 'tap_request.denied', data: { decidedBy: common.actorId, reason: `no ${n}` } })
        : appendAuditEvent(tx, { ...common, type: 'tap_request.refused', data: { stage: 'create', code: 'not-in-reporting-chain' } }),
    );
  }
  let cursor: string | undefined;
  do {
    const page = await listAuditEvents(db.prisma, { limit: 5, cursor });
    all.push(...page.events);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
});
afterAll(async () => {
  await db.close();
});

const seqs = (events: AuditEventView[]) => events.map((event) => event.seq);

describe('listAuditEvents', () => {
  test('pages newest first through every event exactly once, in the contract shape', async () => {
    expect(seqs(all)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    const first = all.at(-1);
    expect(first).toMatchObject({ seq: 1, type: 'tap_request.refused', actorId: ALICE, targetId: TARGET_1, requestId: REQUEST_1 });
    expect(first?.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(first?.data).toMatchObject({ stage: 'create', code: 'not-in-reporting-chain', context: { requestId: 'req-test-0001' } });
    // Absent rather than null when the event has no request.
    expect(all[0]).not.toHaveProperty('requestId');
    // The view carries everything needed to re-check a hash.
    for (const event of all) {
      expect(computeAuditEventHash(event.prevHash, { ...event, targetId: event.targetId ?? null, requestId: event.requestId ?? null })).toBe(event.hash);
    }
    const lastPage = await listAuditEvents(db.prisma, { limit: 12 });
    expect(lastPage.nextCursor).toBeNull();
    expect(lastPage.events).toEqual(all);
  });

  test('the default page is 100 and the last page has no cursor', async () => {
    const page = await listAuditEvents(db.prisma, {});
    expect(page.events).toHaveLength(12);
    expect(page.nextCursor).toBeNull();
  });

  test('filters by type, actor, target and request, alone and combined, with the cursor', async () => {
    expect(seqs((await listAuditEvents(db.prisma, { type: 'tap_request.denied' })).events)).toEqual([12, 9, 6, 3]);
    expect(seqs((await listAuditEvents(db.prisma, { actorId: BOB })).events)).toEqual([12, 10, 8, 6, 4, 2]);
    expect(seqs((await listAuditEvents(db.prisma, { targetId: TARGET_2 })).events)).toEqual([12, 11, 10, 9, 8, 7]);
    expect(seqs((await listAuditEvents(db.prisma, { requestId: REQUEST_1 })).events)).toEqual([4, 3, 2, 1]);
    expect(seqs((await listAuditEvents(db.prisma, { actorId: ALICE, targetId: TARGET_1, type: 'tap_request.refused' })).events)).toEqual([5, 1]);
    expect((await listAuditEvents(db.prisma, { type: 'tap.issued' })).events).toEqual([]);

    const first = await listAuditEvents(db.prisma, { actorId: BOB, limit: 4 });
    expect(seqs(first.events)).toEqual([12, 10, 8, 6]);
    const second = await listAuditEvents(db.prisma, { actorId: BOB, limit: 4, cursor: first.nextCursor ?? undefined });
    expect(seqs(second.events)).toEqual([4, 2]);
    expect(second.nextCursor).toBeNull();
  });

  test('filters by time: from inclusive, to exclusive', async () => {
    const at = (seq: number) => new Date(all.find((event) => event.seq === seq)?.at ?? '');
    const fromFifth = seqs((await listAuditEvents(db.prisma, { from: at(5) })).events);
    expect(fromFifth).toContain(5);
    expect(Math.min(...fromFifth)).toBeLessThanOrEqual(5);
    expect(fromFifth.filter((seq) => seq < 5).every((seq) => at(seq).getTime() === at(5).getTime())).toBe(true);
    const beforeFifth = seqs((await listAuditEvents(db.prisma, { to: at(5) })).events);
    expect(beforeFifth.every((seq) => at(seq) < at(5))).toBe(true);
    expect([...beforeFifth, ...fromFifth].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, n) => n + 1));
    expect((await listAuditEvents(db.prisma, { from: new Date(Date.now() + 60_000) })).events).toEqual([]);
    expect((await listAuditEvents(db.prisma, { to: new Date('2000-01-01') })).events).toEqual([]);
  });

  test('refuses a forged cursor and an out-of-range limit', async () => {
    for (const cursor of ['garbage', Buffer.from('seq:0').toString('base64url'), Buffer.from('seq:-1').toString('base64url'), Buffer.from("seq:1'").toString('base64url')]) {
      await expect(listAuditEvents(db.prisma, { cursor })).rejects.toMatchObject({ code: 'validation-failed', errors: [{ path: 'cursor' }] });
    }
    await expect(listAuditEvents(db.prisma, { limit: 501 })).rejects.toBeInstanceOf(BrokerError);
    await expect(listAuditEvents(db.prisma, { limit: 0 })).rejects.toBeInstanceOf(BrokerError);
  });
});

describe('listAuditEventsQuerySchema (GET /api/audit)', () => {
  const parse = (query: Record<string, string>) => listAuditEventsQuerySchema.safeParse(query);
  test('coerces limit, parses timestamps and dates, accepts every documented filter', () => {
    const result = parse({ from: '2025-01-01', to: '2025-01-02T12:00:00+02:00', type: 'tap.issued', actorId: ALICE, targetId: TARGET_1, requestId: REQUEST_1, limit: '25', cursor: 'abc' });
    expect(result.success).toBe(true);
    expect(result.data).toMatchObject({ limit: 25, from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-01-02T10:00:00Z') });
  });
  test('refuses unknown parameters, bad limits, timestamps and request ids', () => {
    const refused: Record<string, string>[] = [
      { actorid: ALICE },
      { limit: '0' },
      { limit: '501' },
      { limit: 'ten' },
      { from: 'yesterday' },
      { from: '2025-01-01T10:00:00' },
      { from: '2025-01-02', to: '2025-01-01' },
      { from: '2025-01-01', to: '2025-01-01T00:00:00Z' },
      { requestId: 'nope' },
      { type: '' },
    ];
    for (const query of refused) {
      expect(parse(query).success, JSON.stringify(query)).toBe(false);
    }
  });
});
