/**
 * Next.js boot hook: validates the portal's configuration once, before the first request, so a
 * misconfigured portal stops at start with a message listing every bad variable instead of
 * failing later, request by request. Then starts the background reconciler (lib/jobs), which
 * resolves issuances a crash left `issuing` and expires stale requests, and logs once what the
 * broker's Graph permissions leave broken, and the metrics server and trace exporter when they are
 * configured (lib/observability-boot.ts) — none of it during `next build`, which also loads this hook.
 * Last, the SIGTERM/SIGINT drain (lib/jobs/graceful-shutdown.ts): readiness 503, requests in flight
 * finish, the jobs stop and release their leases, the database closes, then Next's exit.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { validateEnvAtBoot, reportBrokerAccessAtBoot } = await import('@/lib/env-boot');
  validateEnvAtBoot();
  if (process.env.NEXT_PHASE === 'phase-production-build') return;
  // First, so that the jobs' and the first requests' Graph calls are traced.
  const { startObservabilityAtBoot } = await import('@/lib/observability-boot');
  startObservabilityAtBoot();
  const { startBackgroundJobs } = await import('@/lib/jobs/background-jobs');
  const { installGracefulShutdown } = await import('@/lib/jobs/graceful-shutdown');
  startBackgroundJobs();
  installGracefulShutdown();
  // In the background: Graph may be slow or down, and the portal serves what it can meanwhile.
  void reportBrokerAccessAtBoot();
}
