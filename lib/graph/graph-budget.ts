import 'server-only';
import { setTimeout as delay } from 'node:timers/promises';
import { GraphClientError, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { holdRate, takeFromRateWindowUnlessHeld } from '@/lib/db/rate-window';
import { parseRetryAfter } from '@/lib/graph/retry-after';
import type { Logger } from '@/lib/log';

/**
 * The broker's budget of Graph requests (`GraphBudgetHandler`), one for every instance on one
 * database: Graph throttles per app and tenant, so instances that each kept their own count
 * would together overrun it. A middleware of the Graph client, placed after the RetryHandler so
 * that every HTTP attempt, retries included, passes it (docs/graph-behaviours.md#throttling):
 *
 * - before the fetch: while a shared hold is on (some instance was throttled), wait for it; then
 *   take the request's cost from the fixed window `graph` (1, or the number of requests inside a
 *   `$batch`, which Graph counts one by one); refused, wait for the next window and ask again —
 *   a queue, not a burst. When the next wait would take the request past its maximum total
 *   wait, give up with {@link GraphBudgetExhaustedError}: nothing was sent.
 * - after the fetch: a 429 (or a 503 with Retry-After) puts everyone on hold for Retry-After.
 *
 * A waiting request has no place in line: whoever asks first in a new window gets in. Fair
 * enough for a budget sized well above the broker's usual load; what it prevents is the burst.
 */

/** The `rate_window` / `rate_hold` key every instance shares. */
export const GRAPH_BUDGET_KEY = 'graph';
export const GRAPH_BUDGET_WINDOW_MS = 1000;
/** The hold after a 429 without Retry-After (some Graph services send none). */
export const DEFAULT_THROTTLE_HOLD_SECONDS = 3;
/**
 * The longest hold one answer can put on every instance: what Microsoft's SDK honours at most.
 * A longer Retry-After still stops the request that got it (the retry policy gives up).
 */
const MAX_HOLD_SECONDS = 180;
/** Graph's per-`$batch` maximum: the cost of a `$batch` whose body cannot be read. */
const MAX_BATCH_COST = 20;
/** The budget's database work must not hold a Graph call for longer than this. */
const DB_TIMEOUT_MS = 2_000;
/** After the database failed, the budget stands aside this long (one timeout per period, not per call). */
const DB_RETRY_AFTER_MS = 10_000;
const WARN_INTERVAL_MS = 60_000;

export interface GraphBudgetSettings {
  /** Requests (`$batch` items counted one by one) per window, across all instances. */
  limit: number;
  windowMs: number;
  /** The most one request may wait in total (holds and windows, across its retries). */
  maxWaitMs: number;
  /** The shared database; its failure lets calls through (see `withDb`). */
  getDb: () => Promise<PrismaClient>;
  log: Logger;
}

/**
 * The budget stayed exhausted past the request's maximum wait; the request was never sent. A
 * GraphClientError so that the Graph SDK hands it to the caller as is (it wraps anything else).
 */
export class GraphBudgetExhaustedError extends GraphClientError {
  override readonly name = 'GraphBudgetExhaustedError';
  /** When it is worth asking again: the hold or window still to run, whole seconds, at least 1. */
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('the Graph budget is exhausted; the request was not sent');
    // GraphClientError resets the prototype to its own, which would hide this subclass.
    Object.setPrototypeOf(this, new.target.prototype);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const batchBodySchema = z.object({ requests: z.array(z.unknown()) });

function requestMethod(context: Context): string {
  return (context.options?.method ?? (typeof context.request === 'string' ? 'GET' : context.request.method)).toUpperCase();
}

function isBatchUrl(url: string): boolean {
  try {
    return decodeURIComponent(new URL(url).pathname).endsWith('/$batch');
  } catch {
    return false;
  }
}

/** What a request costs Graph's throttling: 1, or each request a `$batch` carries. */
export function getRequestCost(context: Context): number {
  const url = typeof context.request === 'string' ? context.request : context.request.url;
  if (requestMethod(context) !== 'POST' || !isBatchUrl(url)) return 1;
  const body = context.options?.body;
  if (typeof body !== 'string') return MAX_BATCH_COST;
  try {
    const parsed = batchBodySchema.safeParse(JSON.parse(body));
    return parsed.success ? Math.max(1, parsed.data.requests.length) : MAX_BATCH_COST;
  } catch {
    return MAX_BATCH_COST;
  }
}

/** Seconds every instance should pause after `response`; undefined when it was not throttled. */
export function getThrottleHoldSeconds(response: Response): number | undefined {
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
  if (response.status === 429) return retryAfter ?? DEFAULT_THROTTLE_HOLD_SECONDS;
  if (response.status === 503) return retryAfter;
  return undefined;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The Graph client middleware that keeps the budget (see the file comment). */
export class GraphBudgetHandler implements Middleware {
  private next: Middleware | undefined;
  /** Per request (the RetryHandler passes the same context to every attempt): ms waited so far. */
  private readonly waited = new WeakMap<Context, number>();
  private dbSkipUntil = 0;
  private lastWarnAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly settings: GraphBudgetSettings) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    if (this.next === undefined) throw new Error('GraphBudgetHandler needs a middleware after it');
    await this.admit(context);
    await this.next.execute(context);
    const holdSeconds = context.response === undefined ? undefined : getThrottleHoldSeconds(context.response);
    if (holdSeconds !== undefined) await this.hold(holdSeconds);
  }

  /** Puts every instance on hold for `seconds` (never shortens a longer hold). */
  async hold(seconds: number): Promise<void> {
    const ms = Math.min(seconds, MAX_HOLD_SECONDS) * 1000;
    if (ms > 0) await this.withDb((db) => holdRate(db, GRAPH_BUDGET_KEY, ms));
  }

  private async admit(context: Context): Promise<void> {
    const { limit, windowMs, maxWaitMs } = this.settings;
    // A `$batch` dearer than a whole window would never get in; it takes the whole window instead.
    const cost = Math.min(getRequestCost(context), limit);
    let waited = this.waited.get(context) ?? 0;
    for (;;) {
      const waitMs = await this.withDb(async (db) => {
        const take = await takeFromRateWindowUnlessHeld(db, GRAPH_BUDGET_KEY, GRAPH_BUDGET_KEY, { windowMs, limit, cost });
        if ('heldMs' in take) return take.heldMs;
        return take.allowed ? 0 : Math.max(1, take.retryAfterMs);
      });
      if (waitMs === undefined || waitMs === 0) return;
      if (waited + waitMs > maxWaitMs) throw new GraphBudgetExhaustedError(Math.max(1, Math.ceil(waitMs / 1000)));
      // Waiting is the point: the window is full or Graph asked everyone to come back later.
      await delay(waitMs);
      waited += waitMs;
      this.waited.set(context, waited);
    }
  }

  /**
   * Runs the budget's database work; undefined when the database cannot be reached (or does not
   * answer in time), and the Graph call then goes ahead unbudgeted. The budget protects Graph's
   * quota — Graph still throttles, and the retry policy still honours its 429s — it is not an
   * authorization check; refusing reads while the database is down would turn one outage into two.
   */
  private async withDb<T>(work: (db: PrismaClient) => Promise<T>): Promise<T | undefined> {
    if (Date.now() < this.dbSkipUntil) return undefined;
    try {
      return await withTimeout(
        this.settings.getDb().then((db) => work(db)),
        DB_TIMEOUT_MS,
      );
    } catch (error) {
      const now = Date.now();
      this.dbSkipUntil = now + DB_RETRY_AFTER_MS;
      if (now - this.lastWarnAt >= WARN_INTERVAL_MS) {
        this.lastWarnAt = now;
        this.settings.log.warn({ err: error }, 'the Graph budget cannot reach the database; Graph calls go unbudgeted meanwhile');
      }
      return undefined;
    }
  }
}
