/**
 * Boot-time configuration check, called from `instrumentation.ts` in the Node.js runtime only
 * (kept out of that file so the Edge compilation never sees `process.exit`).
 */
import { EnvError, getEnv } from '@/lib/env';
import { logger, type Logger } from '@/lib/log';

/** Validates the configuration once; on failure prints every problem and exits with status 1. */
export function validateEnvAtBoot(): void {
  try {
    const env = getEnv();
    if (env.allowInsecureLocalTenant && env.nodeEnv === 'production') {
      logger.warn(
        { authority: env.entra.authority, graph: env.graph.baseUrl },
        'ALLOW_INSECURE_LOCAL_TENANT=true: running in production mode against a local (loopback) tenant',
      );
    }
    logger.info({ authority: env.entra.authority, graph: env.graph.baseUrl, brokerCredential: env.broker.credential.kind }, 'configuration loaded');
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    // stderr, unstructured: this is read by a person starting the portal, not by a log pipeline.
    console.error(error.message);
    process.exit(1);
  }
}

const BROKER_ACCESS_KEY = Symbol.for('tap-broker.lib.env-boot.broker-access');
type BootStore = typeof globalThis & { [BROKER_ACCESS_KEY]?: Promise<void> };

/**
 * Logs, once per process, what the broker's Graph permissions and the API registration leave
 * broken: each missing permission with the feature it breaks, and a registration that issues v1
 * tokens (the same checks as `GET /api/health/details`). Runs in the background and never fails
 * the boot: a portal with a missing permission still serves what it can, and refuses the rest
 * with `cannot-verify`.
 */
export function reportBrokerAccessAtBoot(log: Logger = logger.child({ component: 'boot' })): Promise<void> {
  const store = globalThis as BootStore;
  store[BROKER_ACCESS_KEY] ??= (async () => {
    try {
      const { getBrokerAccess } = await import('@/lib/graph/get-broker-access');
      const { checks } = await getBrokerAccess({ log });
      const problems = checks.filter((check) => check.status !== 'ok');
      for (const check of problems) {
        const line = { check: check.id, status: check.status, fix: check.fix };
        if (check.status === 'fail') log.error(line, check.detail);
        else log.warn(line, check.detail);
      }
      if (problems.length === 0) log.info({ checks: checks.length }, 'configuration checks passed');
    } catch (error) {
      log.warn({ err: error }, 'could not run the configuration checks at boot; see GET /api/health/details');
    }
  })();
  return store[BROKER_ACCESS_KEY];
}

