import 'server-only';
import { randomUUID } from 'node:crypto';
import { runFullAuditVerification } from '@/lib/audit/full-audit-verification';
import { systemContext } from '@/lib/core/request-context';
import { recordPassOutcomes } from '@/lib/broker/record-pass-outcomes';
import { reconcileTapRequests } from '@/lib/broker/reconcile-tap-requests';
import { syncOrgMirror } from '@/lib/broker/sync-org-mirror';
import { getDb } from '@/lib/db/client';
import { deleteEndedRateWindows } from '@/lib/db/rate-window';
import { getEnv } from '@/lib/env';
import { logger } from '@/lib/log';
import { startNotificationDispatcher, stopNotificationDispatcher } from '@/lib/notify/dispatcher-loop';

/** How often the reconciler runs after the boot run. */
export const RECONCILE_INTERVAL_MS = 60_000;
/**
 * Every this many reconciler ticks (15 minutes), what became of issued passes is read from Graph
 * and recorded (used, expired, removed) — one batched read per run, for the compliance trail.
 */
export const PASS_OUTCOME_EVERY_TICKS = 15;
/**
 * How often the whole audit chain is re-verified from seq 1 (and at start when it never was). The
 * check runs on every tick; the run itself is claimed in the database, so one instance does it.
 */
export const FULL_AUDIT_VERIFICATION_EVERY_MS = 24 * 60 * 60_000;

interface JobsState {
  timer: NodeJS.Timeout;
  running: Promise<void> | null;
  ticks: number;
  /** The full audit verification, apart from the tick: it may take minutes and must not hold up the reconciler. */
  auditVerification: Promise<void> | null;
  stopping: AbortController;
  /** The org mirror sync has its own timer: a full round of a large directory must not hold up the reconciler. */
  mirrorTimer: NodeJS.Timeout | null;
  mirrorRunning: Promise<void> | null;
}

// On globalThis: Next may evaluate this module more than once per process (dev reloads, several
// bundles); one loop per process is enough, and the reconciler is safe across processes anyway.
const STATE_KEY = Symbol.for('tap-broker.lib.jobs');
type Store = typeof globalThis & { [STATE_KEY]?: JobsState };

/**
 * One reconciler pass. Never throws: a failure (database or Graph unreachable) is logged and the
 * next tick tries again. Overlapping runs are skipped rather than queued.
 */
async function runOnce(state: JobsState | undefined): Promise<void> {
  if (state?.running) return;
  if (state) startDueAuditVerification(state);
  const log = logger.child({ component: 'reconciler' });
  const run = (async () => {
    try {
      await reconcileTapRequests({ signal: state?.stopping.signal }, systemContext(log, `reconciler-${randomUUID()}`));
    } catch (error) {
      log.error({ err: error }, 'reconciler run failed; retrying on the next tick');
    }
    // Budget windows are only read while they run; every tick, the ended ones go.
    try {
      const deleted = await deleteEndedRateWindows(await getDb());
      if (deleted > 0) log.debug({ deleted }, 'ended rate windows deleted');
    } catch (error) {
      log.error({ err: error }, 'deleting ended rate windows failed; retrying on the next tick');
    }
    // Stopping (graceful shutdown): the Graph round below is another instance's next tick.
    if (state?.stopping.signal.aborted) return;
    const tick = state ? state.ticks++ : 0;
    if (tick % PASS_OUTCOME_EVERY_TICKS === 0) {
      try {
        await recordPassOutcomes(systemContext(log, `pass-outcomes-${randomUUID()}`));
      } catch (error) {
        log.error({ err: error }, 'recording pass outcomes failed; retrying on a later tick');
      }
    }
  })();
  if (state) state.running = run;
  try {
    await run;
  } finally {
    if (state) state.running = null;
  }
}

/** Starts the full audit verification unless this process already runs one; never throws. */
function startDueAuditVerification(state: JobsState): void {
  if (state.auditVerification) return;
  const log = logger.child({ component: 'audit-verification' });
  state.auditVerification = (async () => {
    try {
      const run = await runFullAuditVerification(await getDb(), { everyMs: FULL_AUDIT_VERIFICATION_EVERY_MS, signal: state.stopping.signal });
      if (run?.outcome === 'broken') log.error({ firstBrokenSeq: Number(run.firstBrokenSeq) }, 'full audit verification found a broken chain');
      else if (run) log.info({ events: Number(run.done) }, 'full audit verification passed');
    } catch (error) {
      log.error({ err: error }, 'full audit verification failed; retrying on a later tick');
    } finally {
      state.auditVerification = null;
    }
  })();
}

/**
 * One org mirror sync (lib/broker/sync-org-mirror.ts). Never throws; a run still going when the
 * timer fires again is left alone (across instances, the mirror's lease does the same).
 */
async function syncMirrorOnce(state: JobsState, intervalSeconds: number): Promise<void> {
  if (state.mirrorRunning) return;
  const log = logger.child({ component: 'org-mirror' });
  const run = (async () => {
    try {
      // Instances share one schedule: a run started by another within half the interval counts.
      await syncOrgMirror({ log }, { minIntervalMs: (intervalSeconds * 1000) / 2, signal: state.stopping.signal });
    } catch (error) {
      log.error({ err: error }, 'org mirror sync failed; the mirror is unchanged; retrying on the next tick');
    }
  })();
  state.mirrorRunning = run;
  try {
    await run;
  } finally {
    state.mirrorRunning = null;
  }
}

function startMirrorSync(state: JobsState): void {
  const seconds = getEnv().orgMirrorSyncSeconds;
  if (seconds === 0) {
    logger.info({ component: 'org-mirror' }, 'org mirror sync off (ORG_MIRROR_SYNC_SECONDS=0)');
    return;
  }
  state.mirrorTimer = setInterval(() => void syncMirrorOnce(state, seconds), seconds * 1000);
  state.mirrorTimer.unref();
  void syncMirrorOnce(state, seconds);
}

/**
 * Starts the background reconciler (see `reconcileTapRequests`): once now — so an `issuing`
 * request left by a crash is resolved on the next start — then every minute, each run also
 * deleting the budget windows and holds that have ended (`deleteEndedRateWindows`) and starting
 * the daily full audit verification when due (`runFullAuditVerification`); and the org mirror
 * sync, now and every ORG_MIRROR_SYNC_SECONDS (unless 0). The timers are unref'd, so they never
 * keep the process alive. Idempotent per process.
 */
export function startBackgroundJobs(): void {
  const store = globalThis as Store;
  if (store[STATE_KEY]) return;
  const state: JobsState = {
    timer: setInterval(() => void runOnce(state), RECONCILE_INTERVAL_MS),
    running: null,
    ticks: 0,
    auditVerification: null,
    stopping: new AbortController(),
    mirrorTimer: null,
    mirrorRunning: null,
  };
  state.timer.unref();
  store[STATE_KEY] = state;
  void runOnce(state);
  try {
    startMirrorSync(state);
  } catch (error) {
    logger.error({ component: 'org-mirror', err: error }, 'could not start the org mirror sync');
  }
  logger.info({ component: 'reconciler', intervalMs: RECONCILE_INTERVAL_MS }, 'background reconciler started');
  // The notification outbox dispatcher (logs once and stays off without MAIL_SENDER).
  try {
    startNotificationDispatcher();
  } catch (error) {
    logger.error({ component: 'notifications', err: error }, 'could not start the notification dispatcher');
  }
}

/**
 * Stops the loop started by {@link startBackgroundJobs} (tests, graceful shutdown) and waits for
 * the runs in flight, which stop at their next step and release what they hold: the org mirror
 * its lease, the notification dispatcher the outbox rows it claimed but did not send, the full
 * audit verification its `running` row (ended `interrupted`); the reconciler holds nothing.
 */
export async function stopBackgroundJobs(): Promise<void> {
  const store = globalThis as Store;
  const state = store[STATE_KEY];
  if (!state) return;
  clearInterval(state.timer);
  if (state.mirrorTimer) clearInterval(state.mirrorTimer);
  delete store[STATE_KEY];
  state.stopping.abort();
  await Promise.all([state.running, state.auditVerification, state.mirrorRunning, stopNotificationDispatcher()]);
}
