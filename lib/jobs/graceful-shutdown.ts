/**
 * Graceful shutdown on SIGTERM and SIGINT, so an instance behind a load balancer can be stopped
 * (rolling update, scale-in) without cutting a request or stranding a lease:
 *
 *   1. mark the process draining: `GET /api/health/ready` answers 503 at once, and the balancer
 *      stops sending it new requests;
 *   2. at the same time, let the API calls in flight finish (an issuance under way completes and
 *      is recorded: its Graph create and the `issued` commit are inside the call), and stop the
 *      background jobs, which release what they hold in the database — the org mirror lease, the
 *      notification rows claimed but not sent, the full audit verification's `running` row — so
 *      another instance takes them on its next tick instead of after the lease runs out;
 *   3. close the database (after the calls in flight, which still need it), then the metrics
 *      server and the trace exporter (flushing queued spans);
 *   4. exit. All of it is bounded by SHUTDOWN_TIMEOUT_SECONDS; past it the process exits anyway
 *      and logs which steps were cut.
 *
 * Next's own handler. `next start` and the standalone server.js both run Next's `startServer`
 * (next/dist/server/lib/start-server.js), which installs its SIGTERM/SIGINT handler before
 * `register()` runs: `server.close()` (stop accepting, wait for the requests in flight), then
 * `nextServer.close()`, then `process.exit(143)` (130 for SIGINT). We keep that handler — it is
 * the only code holding the HTTP server, so only it can stop accepting and wait for open
 * connections, streamed exports included — and add ours beside it. Its `process.exit` would end
 * the process as soon as the HTTP side is done, possibly before our jobs stopped and released
 * their leases, so while we drain `process.exit` is held: a call records its exit code, counts as
 * "the HTTP server is closed", and the real exit happens once our drain is done (or timed out),
 * with that code. The alternatives were worse: `NEXT_MANUAL_SIG_HANDLE` must be set before Next
 * starts (an env var every deployment would have to carry, or the handler is silently lost) and
 * would leave us without the server to close; removing Next's listener would depend on which
 * anonymous function it is. Without another listener (NEXT_MANUAL_SIG_HANDLE set, or a process
 * that is not Next's), nothing else would end the process — a listener disables Node's default
 * exit on the signal — so we exit ourselves after the drain, with 128 + the signal's number.
 */
import 'server-only';
import { countRequestsInFlight, markDraining, waitForRequestsInFlight } from '@/lib/core/draining';
import { closeDb } from '@/lib/db/client';
import { getEnv } from '@/lib/env';
import { stopBackgroundJobs } from '@/lib/jobs/background-jobs';
import { logger as rootLogger, type Logger } from '@/lib/log';
import { stopMetricsServer } from '@/lib/metrics/metrics-server';
import { stopTracing } from '@/lib/metrics/tracing';

type ExitCode = Parameters<typeof process.exit>[0];

export type DrainStep = 'requests' | 'background-jobs' | 'database' | 'telemetry';

export interface DrainOptions {
  /** SHUTDOWN_TIMEOUT_SECONDS in milliseconds: past it the drain gives up on what is left. */
  timeoutMs: number;
  /** Resolves when the HTTP server stopped accepting and finished its requests (Next's handler). */
  serverClosed?: Promise<void>;
  /** For the log line: what started the drain. */
  reason?: string;
  log?: Logger;
}

export interface DrainResult {
  /** True when every step finished within the timeout. */
  completed: boolean;
  /** The steps still unfinished when the timeout cut the drain, in order. */
  cut: DrainStep[];
}

const STEPS: readonly DrainStep[] = ['requests', 'background-jobs', 'database', 'telemetry'];

/**
 * Drains this process (see the module comment): marks it draining, waits for the API calls in
 * flight (and `serverClosed`) while the background jobs stop and release their leases, then closes
 * the database. Resolves when done or after `timeoutMs`, whichever comes first; a step the
 * timeout cut is left running (the caller exits). Logs one line when it starts and one when it
 * ends. Never throws: a step that fails is logged and counts as done.
 */
export async function drainProcess(options: DrainOptions): Promise<DrainResult> {
  const log = (options.log ?? rootLogger).child({ component: 'shutdown' });
  const started = performance.now();
  markDraining();
  log.info({ reason: options.reason, requestsInFlight: countRequestsInFlight(), timeoutMs: options.timeoutMs }, 'draining: readiness answers 503, finishing what is in flight');
  const pending = new Set<DrainStep>(STEPS);
  const step = async (name: DrainStep, run: () => Promise<unknown>): Promise<void> => {
    try {
      await run();
    } catch (error) {
      log.error({ step: name, err: error }, 'a drain step failed');
    } finally {
      pending.delete(name);
    }
  };
  const requests = step('requests', () => Promise.all([waitForRequestsInFlight(), options.serverClosed]));
  const jobs = step('background-jobs', stopBackgroundJobs);
  const drained = (async () => {
    await Promise.all([requests, jobs]);
    await step('database', closeDb);
    // Last, so a scrape during the drain still sees it and the drain's own spans are flushed.
    await step('telemetry', () => Promise.all([stopMetricsServer(), stopTracing()]));
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.timeoutMs);
  });
  try {
    await Promise.race([drained, timedOut]);
  } finally {
    clearTimeout(timer);
  }
  const cut = STEPS.filter((name) => pending.has(name));
  const durationMs = Math.round(performance.now() - started);
  if (cut.length === 0) log.info({ durationMs }, 'drained');
  else log.warn({ durationMs, cut, requestsInFlight: countRequestsInFlight() }, 'drain cut by SHUTDOWN_TIMEOUT_SECONDS; exiting with work unfinished');
  return { completed: cut.length === 0, cut };
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;
type ShutdownSignal = keyof typeof SIGNAL_NUMBERS;

const INSTALLED_KEY = Symbol.for('tap-broker.lib.jobs.graceful-shutdown');
type Store = typeof globalThis & { [INSTALLED_KEY]?: { draining: boolean } };

/**
 * Installs the SIGTERM and SIGINT handlers (instrumentation.ts, after Next's own). Idempotent
 * per process. The timeout is read now, so a bad SHUTDOWN_TIMEOUT_SECONDS fails the boot.
 */
export function installGracefulShutdown(): void {
  const store = globalThis as Store;
  if (store[INSTALLED_KEY]) return;
  const installed = { draining: false };
  store[INSTALLED_KEY] = installed;
  const timeoutMs = getEnv().shutdownTimeoutSeconds * 1000;
  for (const signal of Object.keys(SIGNAL_NUMBERS) as ShutdownSignal[]) {
    process.on(signal, () => {
      // A second signal (Ctrl-C sends one per process of the group) joins the drain under way.
      if (installed.draining) return;
      installed.draining = true;
      void shutdown(signal, timeoutMs);
    });
  }
}

async function shutdown(signal: ShutdownSignal, timeoutMs: number): Promise<void> {
  // Ours is one of the listeners; another one is Next's, which closes the HTTP server and exits.
  const serverHandlesSignal = process.listenerCount(signal) > 1;
  const realExit = process.exit.bind(process);
  let requestedCode: ExitCode;
  let serverClosed: Promise<void> | undefined;
  if (serverHandlesSignal) {
    serverClosed = new Promise<void>((resolve) => {
      // Held, not dropped: the exit happens below, once the drain is over (module comment).
      process.exit = ((code?: ExitCode) => {
        requestedCode ??= code;
        resolve();
        return undefined as never;
      }) as typeof process.exit;
    });
  }
  try {
    await drainProcess({ timeoutMs, serverClosed, reason: signal });
  } finally {
    process.exit = realExit;
    realExit(requestedCode ?? 128 + SIGNAL_NUMBERS[signal]);
  }
}
