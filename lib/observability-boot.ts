/**
 * Boot-time wiring of the portal's observability, called from `instrumentation.ts` (Node.js
 * runtime, not during `next build`): the `/metrics` server when METRICS_PORT is set, with the
 * database gauges it reads at each scrape, and the trace exporter when an OTLP endpoint is set.
 * Here because lib/metrics sits below the database and cannot reach it itself.
 */
import { getDb, type Db } from '@/lib/db/client';
import { readAuditHeadSeq, readNotificationBacklog, readReconcilerBacklog } from '@/lib/db/operational-gauges';
import { getEnv } from '@/lib/env';
import { logger } from '@/lib/log';
import { startMetricsServer, type DatabaseGaugeReaders } from '@/lib/metrics/metrics-server';
import { startTracing } from '@/lib/metrics/tracing';

/** The scrape's database readings against `db` (the app's database unless a test passes its own). */
export function createDatabaseGaugeReaders(db: () => Promise<Db> = getDb): DatabaseGaugeReaders {
  return {
    reconcilerBacklog: async () => readReconcilerBacklog(await db()),
    notificationBacklog: async () => readNotificationBacklog(await db()),
    auditHeadSeq: async () => readAuditHeadSeq(await db()),
  };
}

/**
 * Starts tracing and the metrics server as the configuration says (each off by default). A
 * metrics port that cannot be bound is logged, not fatal: the portal serves without metrics
 * rather than not at all.
 */
export function startObservabilityAtBoot(): void {
  const env = getEnv();
  if (startTracing(env.tracing) !== null) logger.info({ component: 'tracing', serviceName: env.tracing?.serviceName }, 'exporting traces over OTLP/HTTP');
  if (env.metrics === null) return;
  startMetricsServer({ ...env.metrics, readers: createDatabaseGaugeReaders() }).catch((error: unknown) => {
    logger.error({ component: 'metrics', err: error, port: env.metrics?.port }, 'the metrics server could not start; running without it');
  });
}
