import { checkDbHealth } from '@/lib/db/client';
import { BrokerError } from '@/lib/core/errors';
import { defineRoute } from '@/lib/http/route';

/** `GET /api/health`: liveness for probes, ok while the database answers (no token needed). */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Liveness plus the one dependency the portal cannot work without: its database. */
export const GET = defineRoute('getHealth', async ({ log }) => {
  let healthy: boolean;
  try {
    healthy = await checkDbHealth();
  } catch (error) {
    log.error({ err: error }, 'database health check failed');
    healthy = false;
  }
  if (!healthy) throw new BrokerError('upstream-unavailable', 'The database is not reachable.');
  return { status: 'ok' };
});
