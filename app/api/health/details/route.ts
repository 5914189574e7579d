import { getHealthDetails } from '@/lib/broker/get-health-details';
import { defineRoute } from '@/lib/http/route';

/** `GET /api/health/details`: the configuration checks an admin reads to put a deployment right. */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The configuration checks (`ok` / `warn` / `fail`, each with its fix); admins only. `GET /api/health` stays the bare liveness answer. */
export const GET = defineRoute('getHealthDetails', async ({ actor, context }) => ({ ...(await getHealthDetails(actor, context)) }));
