import 'server-only';

/**
 * Whether this process is draining — a SIGTERM or SIGINT arrived (lib/jobs/graceful-shutdown.ts)
 * and it is finishing what it has in flight before it exits — and the API calls it still has in
 * flight. Readiness (`GET /api/health/ready`) answers 503 from the moment draining starts, so the
 * load balancer sends new requests to other instances; the drain waits for the calls in flight
 * (the route wrapper, lib/http/route.ts, counts them) before it closes the database under them.
 *
 * Kept on globalThis, not in module state: Next bundles instrumentation.ts and the route handlers
 * separately, and each bundle gets its own copy of this module, but all must share one state.
 */

interface DrainState {
  /** When draining began; undefined while serving normally. */
  since: Date | undefined;
  inFlight: number;
  /** Resolved (and emptied) whenever `inFlight` drops to 0. */
  idleWaiters: (() => void)[];
}

const STATE_KEY = Symbol.for('tap-broker.lib.core.draining');
type Store = typeof globalThis & { [STATE_KEY]?: DrainState };

function getState(): DrainState {
  const store = globalThis as Store;
  return (store[STATE_KEY] ??= { since: undefined, inFlight: 0, idleWaiters: [] });
}

/** Marks the process as draining; idempotent (the first call's time is kept). */
export function markDraining(now: Date = new Date()): void {
  const state = getState();
  state.since ??= now;
}

/** True once {@link markDraining} was called in this process. */
export function isDraining(): boolean {
  return getState().since !== undefined;
}

/**
 * Undoes {@link markDraining}. A real process never comes back from draining; this is for a test
 * process that drains one portal setup and then goes on with the next test.
 */
export function clearDraining(): void {
  getState().since = undefined;
}

/**
 * Runs one API call, counted as in flight until it settles (the handler's answer is built; a
 * streamed body may still be flowing, which the HTTP server's own close waits for).
 */
export async function trackRequest<T>(run: () => Promise<T>): Promise<T> {
  const state = getState();
  state.inFlight += 1;
  try {
    return await run();
  } finally {
    state.inFlight -= 1;
    if (state.inFlight === 0) {
      const waiters = state.idleWaiters.splice(0);
      for (const resolve of waiters) resolve();
    }
  }
}

/** How many API calls are in flight in this process. */
export function countRequestsInFlight(): number {
  return getState().inFlight;
}

/** Resolves once no API call is in flight (at once when none is). */
export function waitForRequestsInFlight(): Promise<void> {
  const state = getState();
  if (state.inFlight === 0) return Promise.resolve();
  return new Promise((resolve) => state.idleWaiters.push(resolve));
}
