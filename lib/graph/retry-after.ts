import 'server-only';

/**
 * Reading Graph's `Retry-After` header, shared by the retry policy (lib/graph/client.ts), the
 * budget's shared hold (lib/graph/graph-budget.ts) and the `$batch` item retries.
 */

/** Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date); undefined if absent. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}
