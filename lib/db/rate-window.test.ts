/**
 * The database budget primitive: one count per key and window shared by every caller (as several
 * instances on one database would be), exactly one first refusal per window, and pauses that only
 * ever grow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteEndedRateWindows, getRateHoldMs, holdRate, takeFromRateWindow, takeFromRateWindowUnlessHeld } from '@/lib/db/rate-window';
import { createTestDb, type TestDb } from '@/lib/testing/db';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db.close();
});

describe('takeFromRateWindow', () => {
  it('counts concurrent takes once each and refuses beyond the limit, flagging one first refusal', async () => {
    const key = `test:${crypto.randomUUID()}`;
    // A long window so that the 30 takes cannot straddle two windows.
    const takes = await Promise.all(Array.from({ length: 30 }, () => takeFromRateWindow(db.prisma, key, { windowMs: 3_600_000, limit: 20 })));
    const hits = takes.map((take) => take.hits).sort((a, b) => a - b);
    expect(hits).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(takes.filter((take) => take.allowed)).toHaveLength(20);
    expect(takes.filter((take) => take.firstRefusal).map((take) => take.hits)).toEqual([21]);
    for (const take of takes) {
      expect(take.retryAfterMs).toBeGreaterThan(0);
      expect(take.retryAfterMs).toBeLessThanOrEqual(3_600_000);
    }
    const rows = await db.prisma.rateWindow.findMany({ where: { key } });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.hits).toBe(30);
  });

  it('weighs a take by its cost', async () => {
    const key = `test:${crypto.randomUUID()}`;
    expect((await takeFromRateWindow(db.prisma, key, { windowMs: 3_600_000, limit: 20, cost: 15 })).allowed).toBe(true);
    const over = await takeFromRateWindow(db.prisma, key, { windowMs: 3_600_000, limit: 20, cost: 15 });
    expect(over).toMatchObject({ allowed: false, hits: 30, firstRefusal: true });
    expect((await takeFromRateWindow(db.prisma, key, { windowMs: 3_600_000, limit: 20, cost: 1 })).firstRefusal).toBe(false);
  });

  it('keeps keys apart', async () => {
    const [a, b] = [`test:${crypto.randomUUID()}`, `test:${crypto.randomUUID()}`];
    await takeFromRateWindow(db.prisma, a, { windowMs: 3_600_000, limit: 1 });
    expect((await takeFromRateWindow(db.prisma, a, { windowMs: 3_600_000, limit: 1 })).allowed).toBe(false);
    expect((await takeFromRateWindow(db.prisma, b, { windowMs: 3_600_000, limit: 1 })).allowed).toBe(true);
  });
});

describe('rate holds', () => {
  it('extends a pause but never shortens it, and reports none for an unknown key', async () => {
    const key = `hold:${crypto.randomUUID()}`;
    expect(await getRateHoldMs(db.prisma, key)).toBe(0);
    await holdRate(db.prisma, key, 60_000);
    await holdRate(db.prisma, key, 1_000);
    const remaining = await getRateHoldMs(db.prisma, key);
    expect(remaining).toBeGreaterThan(50_000);
    expect(remaining).toBeLessThanOrEqual(60_000);
  });

  it('deletes ended windows and holds only', async () => {
    const live = `live:${crypto.randomUUID()}`;
    await takeFromRateWindow(db.prisma, live, { windowMs: 3_600_000, limit: 5 });
    await holdRate(db.prisma, live, 3_600_000);
    await db.prisma.rateWindow.create({ data: { key: 'ended', windowStart: new Date(Date.now() - 120_000), hits: 3, expiresAt: new Date(Date.now() - 60_000) } });
    await db.prisma.rateHold.create({ data: { key: 'ended', until: new Date(Date.now() - 60_000) } });
    expect(await deleteEndedRateWindows(db.prisma)).toBe(2);
    expect(await db.prisma.rateWindow.count({ where: { key: live } })).toBe(1);
    expect(await db.prisma.rateHold.count({ where: { key: live } })).toBe(1);
  });
});

describe('takeFromRateWindowUnlessHeld', () => {
  it('counts like takeFromRateWindow while no pause runs, and counts nothing while one does', async () => {
    const key = `test:${crypto.randomUUID()}`;
    const holdKey = `hold:${crypto.randomUUID()}`;
    const first = await takeFromRateWindowUnlessHeld(db.prisma, key, holdKey, { windowMs: 3_600_000, limit: 1 });
    expect(first).toMatchObject({ allowed: true, hits: 1, firstRefusal: false });
    expect(await takeFromRateWindowUnlessHeld(db.prisma, key, holdKey, { windowMs: 3_600_000, limit: 1 })).toMatchObject({ allowed: false, hits: 2, firstRefusal: true });

    await holdRate(db.prisma, holdKey, 60_000);
    const held = await takeFromRateWindowUnlessHeld(db.prisma, key, holdKey, { windowMs: 3_600_000, limit: 1 });
    expect('heldMs' in held && held.heldMs).toBeGreaterThan(50_000);
    expect((await db.prisma.rateWindow.findFirstOrThrow({ where: { key } })).hits).toBe(2);
  });

  it('ignores a pause that has ended', async () => {
    const key = `test:${crypto.randomUUID()}`;
    const holdKey = `hold:${crypto.randomUUID()}`;
    await db.prisma.rateHold.create({ data: { key: holdKey, until: new Date(Date.now() - 60_000) } });
    expect(await takeFromRateWindowUnlessHeld(db.prisma, key, holdKey, { windowMs: 3_600_000, limit: 5, cost: 3 })).toMatchObject({ allowed: true, hits: 3 });
  });
});
