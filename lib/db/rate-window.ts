import 'server-only';
import type { Prisma, PrismaClient } from '@/lib/db/generated/client';

/**
 * Fixed-window budgets kept in the database, so that every instance on one database shares one
 * count (an in-memory limiter would give each instance its own budget). A window is counted by one
 * atomic `INSERT … ON CONFLICT DO UPDATE … RETURNING` and timed by the database's clock, so
 * instances with skewed clocks still agree on which window they are in.
 *
 * Why not a library: rate-limiter-flexible's stores need a driver pool (`pg`) or Redis; the
 * embedded database (PGlite) has neither, and one statement through the Prisma client we already
 * hold is all a fixed window needs.
 */

type Db = PrismaClient | Prisma.TransactionClient;

export interface RateWindowTake {
  /** True when the hits of this window, this call included, are within the limit. */
  allowed: boolean;
  /** Hits counted in this window, this call included (refused calls count too). */
  hits: number;
  /** True for the one call of the window that first went over the limit (to record it once). */
  firstRefusal: boolean;
  windowStart: Date;
  /** Milliseconds until this window ends (by the database's clock). */
  retryAfterMs: number;
}

/**
 * Counts `cost` hits against `key` in the current window of `windowMs` and says whether they are
 * within `limit`. Refused calls are counted too: a client that keeps knocking does not get in
 * sooner, and exactly one call per window sees `firstRefusal`.
 */
export async function takeFromRateWindow(db: Db, key: string, options: { windowMs: number; limit: number; cost?: number }): Promise<RateWindowTake> {
  const cost = options.cost ?? 1;
  const windowMs = Math.max(1, Math.round(options.windowMs));
  const rows = await db.$queryRaw<{ hits: number; window_start: Date; now_ms: number }[]>`
    WITH clock AS (
      SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms
    ), slot AS (
      SELECT now_ms, to_timestamp(floor(now_ms / ${windowMs}::float8) * ${windowMs}::float8 / 1000) AS window_start FROM clock
    )
    INSERT INTO rate_window (key, window_start, hits, expires_at)
    SELECT ${key}, window_start, ${cost}::int, window_start + make_interval(secs => ${windowMs}::float8 / 1000) FROM slot
    ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_window.hits + EXCLUDED.hits
    RETURNING hits, window_start, (SELECT now_ms FROM slot) AS now_ms`;
  const row = rows[0];
  if (row === undefined) throw new Error('rate window upsert returned no row');
  return toTake(Number(row.hits), new Date(row.window_start), Number(row.now_ms), windowMs, options.limit, cost);
}

/**
 * {@link takeFromRateWindow}, unless a pause on `holdKey` is running: then nothing is counted and
 * the answer is how long the pause still runs. One statement, so a caller that honours both (the
 * Graph budget, before every Graph call) pays one round trip, not two.
 */
export async function takeFromRateWindowUnlessHeld(
  db: Db,
  key: string,
  holdKey: string,
  options: { windowMs: number; limit: number; cost?: number },
): Promise<{ heldMs: number } | RateWindowTake> {
  const cost = options.cost ?? 1;
  const windowMs = Math.max(1, Math.round(options.windowMs));
  const rows = await db.$queryRaw<{ held_ms: number | null; hits: number | null; window_start: Date | null; now_ms: number }[]>`
    WITH held AS (
      SELECT greatest(0, extract(epoch FROM until - clock_timestamp()) * 1000)::float8 AS held_ms
      FROM rate_hold WHERE key = ${holdKey} AND until > clock_timestamp()
    ), clock AS (
      SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms
    ), slot AS (
      SELECT now_ms, to_timestamp(floor(now_ms / ${windowMs}::float8) * ${windowMs}::float8 / 1000) AS window_start FROM clock
    ), taken AS (
      INSERT INTO rate_window (key, window_start, hits, expires_at)
      SELECT ${key}, window_start, ${cost}::int, window_start + make_interval(secs => ${windowMs}::float8 / 1000) FROM slot
      WHERE NOT EXISTS (SELECT 1 FROM held)
      ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_window.hits + EXCLUDED.hits
      RETURNING hits, window_start
    )
    SELECT (SELECT held_ms FROM held) AS held_ms, taken.hits, taken.window_start, (SELECT now_ms FROM slot) AS now_ms
    FROM (SELECT 1) AS one LEFT JOIN taken ON true`;
  const row = rows[0];
  if (row === undefined) throw new Error('rate window statement returned no row');
  if (row.held_ms !== null) return { heldMs: Math.max(1, Math.ceil(Number(row.held_ms))) };
  if (row.hits === null || row.window_start === null) throw new Error('rate window upsert returned no count');
  return toTake(Number(row.hits), new Date(row.window_start), Number(row.now_ms), windowMs, options.limit, cost);
}

function toTake(hits: number, windowStart: Date, nowMs: number, windowMs: number, limit: number, cost: number): RateWindowTake {
  const allowed = hits <= limit;
  return {
    allowed,
    hits,
    firstRefusal: !allowed && hits - cost <= limit,
    windowStart,
    retryAfterMs: Math.max(0, windowStart.getTime() + windowMs - nowMs),
  };
}

/** Sets (or extends, never shortens) a pause on `key` for `ms` from now, by the database's clock. */
export async function holdRate(db: Db, key: string, ms: number): Promise<void> {
  await db.$executeRaw`
    INSERT INTO rate_hold (key, until) VALUES (${key}, clock_timestamp() + make_interval(secs => ${Math.max(0, ms)}::float8 / 1000))
    ON CONFLICT (key) DO UPDATE SET until = GREATEST(rate_hold.until, EXCLUDED.until)`;
}

/** Milliseconds the pause on `key` still has to run; 0 when there is none. */
export async function getRateHoldMs(db: Db, key: string): Promise<number> {
  const rows = await db.$queryRaw<{ remaining_ms: number }[]>`
    SELECT greatest(0, extract(epoch FROM until - clock_timestamp()) * 1000)::float8 AS remaining_ms FROM rate_hold WHERE key = ${key}`;
  return rows[0] === undefined ? 0 : Math.ceil(Number(rows[0].remaining_ms));
}

/** Deletes windows and holds that have ended; returns how many rows went. */
export async function deleteEndedRateWindows(db: Db): Promise<number> {
  const windows = await db.$executeRaw`DELETE FROM rate_window WHERE expires_at < clock_timestamp()`;
  const holds = await db.$executeRaw`DELETE FROM rate_hold WHERE until < clock_timestamp()`;
  return windows + holds;
}
