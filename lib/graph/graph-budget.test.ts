/**
 * The Graph budget against the local tenant and a real database behind `getDb()`: a burst queues
 * window by window, a `$batch` costs its items, a 429 (top-level or inside a `$batch`) holds every
 * instance, a request that would wait too long is refused unsent, and a database outage lets
 * Graph calls through. A second "instance" is a second Graph client (its own token cache and
 * budget middleware) on the same database. Counts and the database's own times, never durations.
 */
import { RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BrokerError } from '@/lib/core/errors';
import { closeDb, getDb, type PrismaClient } from '@/lib/db/client';
import { getRateHoldMs } from '@/lib/db/rate-window';
import { resetEnvForTests } from '@/lib/env';
import { graphBatch } from '@/lib/graph/batch';
import { callGraph, getGraphClient, GraphNotSentError, sendGraphRaw } from '@/lib/graph/client';
import { GRAPH_BUDGET_KEY } from '@/lib/graph/graph-budget';
import { buildTestSeed, startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';
import { useFreshRouteDatabase } from '@/lib/testing/route-harness';
import { defaultFaults } from '@/tenant/faults';

let local: LocalTenant;
let restoreDb: () => Promise<void>;
let db: PrismaClient;
let userPath: string;
const USER_READ = 'GET /v1.0/users/{id}';
const idSchema = z.object({ id: z.string() });

beforeAll(async () => {
  local = await startLocalTenant(buildTestSeed([{ upn: 'boss', displayName: 'Boss Person' }, { upn: 'worker', displayName: 'Wor Ker', manager: 'boss' }]));
  restoreDb = await useFreshRouteDatabase();
  db = await getDb();
  userPath = `/users/${local.userId('worker')}?$select=id`;
});

afterAll(async () => {
  await restoreDb?.();
  await local?.close();
});

beforeEach(async () => {
  await db.$executeRaw`DELETE FROM rate_window`;
  await db.$executeRaw`DELETE FROM rate_hold`;
  for (const bucket of Object.values(local.tenant.ctx.stats)) for (const key of Object.keys(bucket)) delete bucket[key];
});

afterEach(() => {
  Object.assign(local.tenant.ctx.faults, defaultFaults());
});

/** Turns the budget on for the next Graph client (a fresh configuration is a fresh client). */
function useBudget(perSecond: number, maxWaitSeconds: number): void {
  process.env.GRAPH_BUDGET_PER_SECOND = String(perSecond);
  process.env.GRAPH_BUDGET_MAX_WAIT_SECONDS = String(maxWaitSeconds);
  resetEnvForTests();
}

async function graphWindows(): Promise<{ windowStart: Date; hits: number }[]> {
  const rows = await db.$queryRaw<{ window_start: Date; hits: number }[]>`
    SELECT window_start, hits FROM rate_window WHERE key = ${GRAPH_BUDGET_KEY} ORDER BY window_start`;
  return rows.map((row) => ({ windowStart: new Date(row.window_start), hits: Number(row.hits) }));
}

async function holdUntil(): Promise<Date | null> {
  const rows = await db.$queryRaw<{ until: Date }[]>`SELECT until FROM rate_hold WHERE key = ${GRAPH_BUDGET_KEY}`;
  return rows[0] === undefined ? null : new Date(rows[0].until);
}

const served = (template: string) => local.tenant.ctx.stats.graph[template] ?? 0;

/** One read that the retry policy does not repeat, so that a 429 comes back to the test. */
function readOnce() {
  return sendGraphRaw({ method: 'GET', url: userPath }, { middlewareOptions: [new RetryHandlerOptions(0, 0)] });
}

describe('the Graph budget', () => {
  it('queues a burst: 12 concurrent reads on a budget of 5 a second take at least 3 windows, 5 at most in each', async () => {
    useBudget(5, 10);
    const results = await Promise.all(Array.from({ length: 12 }, () => callGraph({ method: 'GET', url: userPath }, idSchema)));

    expect(results.every((user) => user.id === local.userId('worker'))).toBe(true);
    expect(served(USER_READ)).toBe(12);
    const windows = await graphWindows();
    // Each request knocks once per window until let in (refused knocks count, like the database
    // counts them); the first 5 hits of a window are the ones let in.
    expect(windows.reduce((sum, w) => sum + Math.min(w.hits, 5), 0)).toBe(12);
    expect(windows.length).toBeGreaterThanOrEqual(3);
    for (const w of windows) expect(w.hits).toBeLessThanOrEqual(12);
  });

  it('counts every request inside a $batch, and queues a $batch the window cannot take', async () => {
    useBudget(10, 10);
    const items = (n: number) => Array.from({ length: n }, () => ({ method: 'GET' as const, url: userPath }));
    const [first, second] = await Promise.all([graphBatch(items(7)), graphBatch(items(7))]);

    expect([...first, ...second].every((answer) => answer.status === 200)).toBe(true);
    expect(served('POST /v1.0/$batch')).toBe(2);
    expect(local.tenant.ctx.stats.batched[USER_READ]).toBe(14);
    const windows = await graphWindows();
    // 7 + 7 > 10: the second $batch waited for a window of its own (had each cost 1, one
    // window would have held both).
    expect(windows).toHaveLength(2);
    for (const w of windows) expect(w.hits % 7).toBe(0);
  });

  it('a 429 with Retry-After holds every instance: another client waits for the hold to end before it sends', async () => {
    useBudget(100, 10);
    const instanceA = getGraphClient();
    Object.assign(local.tenant.ctx.faults, { throttleNext: 1, retryAfterSeconds: 3 });
    expect((await readOnce()).status).toBe(429);
    const until = await holdUntil();
    expect(until).not.toBeNull();
    expect(await getRateHoldMs(db, GRAPH_BUDGET_KEY)).toBeGreaterThan(1000);

    resetEnvForTests();
    const instanceB = getGraphClient();
    expect(instanceB).not.toBe(instanceA);
    await db.$executeRaw`DELETE FROM rate_window`;
    const user: unknown = await instanceB.api(userPath).get();

    expect(idSchema.parse(user).id).toBe(local.userId('worker'));
    expect(served(USER_READ)).toBe(2);
    // B took from the budget only once, in a window that ends after the hold: it did not ask
    // (let alone send) while the hold ran, though it started more than a window before its end.
    const windows = await graphWindows();
    expect(windows).toHaveLength(1);
    expect(windows[0]?.hits).toBe(1);
    expect((windows[0]?.windowStart.getTime() ?? 0) + 1000).toBeGreaterThan(until?.getTime() ?? Number.POSITIVE_INFINITY);
  });

  it('gives up unsent when the hold outlasts the maximum wait: upstream-unavailable with Retry-After', async () => {
    useBudget(100, 2);
    Object.assign(local.tenant.ctx.faults, { throttleNext: 1, retryAfterSeconds: 30 });
    expect((await readOnce()).status).toBe(429);
    expect(served(USER_READ)).toBe(1);
    await db.$executeRaw`DELETE FROM rate_window`;

    resetEnvForTests();
    const refused = await callGraph({ method: 'GET', url: userPath }, idSchema).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BrokerError);
    expect(refused).toMatchObject({ code: 'upstream-unavailable', status: 503 });
    expect((refused as BrokerError).retryAfterSeconds).toBeGreaterThan(2);
    expect((refused as BrokerError).retryAfterSeconds).toBeLessThanOrEqual(30);

    // The raw path says "not sent", which for a write means "not done".
    const raw = await sendGraphRaw({ method: 'GET', url: userPath }).catch((error: unknown) => error);
    expect(raw).toBeInstanceOf(GraphNotSentError);

    expect(served(USER_READ)).toBe(1);
    expect(await graphWindows()).toEqual([]);
  });

  it('a 429 inside a $batch answer holds every instance too', async () => {
    useBudget(100, 10);
    Object.assign(local.tenant.ctx.faults, { batchItemThrottleNext: 1, retryAfterSeconds: 1 });
    expect(await holdUntil()).toBeNull();

    const answers = await graphBatch(Array.from({ length: 3 }, () => ({ method: 'GET' as const, url: userPath })));

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    // Only the batched item was throttled: nothing else could have set the hold.
    expect(served('POST /v1.0/$batch')).toBe(2);
    expect(local.tenant.ctx.stats.batched[USER_READ]).toBe(4);
    expect(await holdUntil()).not.toBeNull();
  });
});

describe('the Graph budget without its database', () => {
  let saved: { DATABASE_URL: string | undefined };

  beforeEach(async () => {
    saved = { DATABASE_URL: process.env.DATABASE_URL };
    await closeDb();
    process.env.DATABASE_URL = 'postgresql://nobody:nothing@127.0.0.1:1/none';
  });

  afterEach(async () => {
    await closeDb();
    if (saved.DATABASE_URL === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved.DATABASE_URL;
    resetEnvForTests();
    db = await getDb();
  });

  it('lets Graph calls through: the budget guards a quota, not access', async () => {
    useBudget(1, 0);
    const users = await Promise.all(Array.from({ length: 3 }, () => callGraph({ method: 'GET', url: userPath }, idSchema)));

    expect(users.map((user) => user.id)).toEqual(Array(3).fill(local.userId('worker')));
    expect(served(USER_READ)).toBe(3);
  });
});
