/**
 * Boot-time configuration check, called from `instrumentation.ts` in the Node.js runtime only
 * (kept out of that file so the Edge compilation never sees `process.exit`).
 */
import { EnvError, getEnv } from '@/lib/env';
import { logger } from '@/lib/log';

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
