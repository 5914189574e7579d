import 'server-only';

/**
 * Identical Graph reads in flight at the same moment share one call (`joinInFlight`): many tabs
 * or users asking for the same thing cost the broker's app identity one read, not one each. Only
 * calls already running are joined; nothing is kept once the call settles, so every later caller
 * reads Graph fresh — this is not a cache, and no decision is ever served from it.
 */

const inFlight = new Map<string, Promise<unknown>>();

/**
 * The running call for `key`, or a new one made by `read`. Callers that join get the same answer
 * or the same error, so the answer must not be mutated by any of them.
 */
export function joinInFlight<T>(key: string, read: () => Promise<T>): Promise<T> {
  const running = inFlight.get(key);
  if (running !== undefined) return running as Promise<T>;
  const call = read().finally(() => {
    if (inFlight.get(key) === call) inFlight.delete(key);
  });
  inFlight.set(key, call);
  return call;
}

/** How many distinct reads are running now (for tests and health). */
export function countReadsInFlight(): number {
  return inFlight.size;
}
