import 'server-only';
import { getEnv } from '@/lib/env';
import { logger } from '@/lib/log';
import { dispatchNotifications } from '@/lib/notify/dispatch-notifications';

/** How often the outbox is polled (besides the kick right after a commit). */
export const NOTIFY_INTERVAL_MS = 5_000;

interface LoopState {
  timer: NodeJS.Timeout;
  running: Promise<void> | null;
  /** A kick arrived during a run: run once more when it ends. */
  again: boolean;
  /** Aborted by {@link stopNotificationDispatcher}: the run in flight hands back what it has not sent. */
  stopping: AbortController;
}

// On globalThis for the same reason as the reconciler's loop: Next may load this module twice.
const STATE_KEY = Symbol.for('tap-broker.lib.notify.loop');
type Store = typeof globalThis & { [STATE_KEY]?: LoopState };

const log = logger.child({ component: 'notifications' });

function run(state: LoopState): void {
  if (state.running) {
    state.again = true;
    return;
  }
  state.running = (async () => {
    do {
      state.again = false;
      try {
        const result = await dispatchNotifications({ log, signal: state.stopping.signal });
        // A backlog (a burst of requests, mail back after an outage) drains batch after batch, not
        // one batch per tick; not while mail fails, which would only churn the backoff of the rest.
        if (result.hasMore && result.sent > 0) state.again = true;
      } catch (error) {
        log.error({ err: error }, 'notification dispatch failed; retrying on the next tick');
      }
    } while (state.again && !state.stopping.signal.aborted);
  })().finally(() => {
    state.running = null;
  });
}

/**
 * Starts the outbox dispatcher: once now, then every {@link NOTIFY_INTERVAL_MS}, plus whenever
 * {@link kickNotificationDispatcher} is called. The timer is unref'd. When MAIL_SENDER is unset,
 * logs once that notifications are off and starts nothing. Idempotent per process.
 */
export function startNotificationDispatcher(): void {
  const store = globalThis as Store;
  if (store[STATE_KEY]) return;
  const { sender, approverAddresses, digestMinutes } = getEnv().mail;
  if (sender === null) {
    log.info('notifications are off: MAIL_SENDER is not set');
    return;
  }
  const state: LoopState = { timer: setInterval(() => run(state), NOTIFY_INTERVAL_MS), running: null, again: false, stopping: new AbortController() };
  state.timer.unref();
  store[STATE_KEY] = state;
  run(state);
  log.info({ sender, approverAddresses: approverAddresses.length, digestMinutes, intervalMs: NOTIFY_INTERVAL_MS }, 'notification dispatcher started');
}

/**
 * Best effort, right after a commit that queued mail: dispatch now instead of at the next tick.
 * Does nothing when the dispatcher is not running (tests, notifications off). Never throws.
 */
export function kickNotificationDispatcher(): void {
  const state = (globalThis as Store)[STATE_KEY];
  if (state) run(state);
}

/**
 * Stops the loop (tests, graceful shutdown) and waits for a run in flight: the mail being sent
 * finishes and is recorded, the rest of its claim is handed back to the outbox at once.
 */
export async function stopNotificationDispatcher(): Promise<void> {
  const store = globalThis as Store;
  const state = store[STATE_KEY];
  if (!state) return;
  clearInterval(state.timer);
  delete store[STATE_KEY];
  state.again = false;
  state.stopping.abort();
  await state.running;
}
