import { getReadiness } from '@/lib/broker/get-readiness';
import { defineRoute, json } from '@/lib/http/route';

/** `GET /api/health/ready`: readiness for the load balancer (no token needed); `GET /api/health` stays liveness. */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** 200 when ready, else 503 with the same body naming the checks that are not ok (lib/broker/get-readiness.ts). */
export const GET = defineRoute('getReadiness', async ({ log }) => {
  const readiness = await getReadiness({ log });
  return json(readiness, { status: readiness.status === 'ready' ? 200 : 503 });
});
