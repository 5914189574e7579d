import { getPolicyLimits } from '@/lib/broker/get-policy-limits';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/policy/limits` (extension): the bounds a TAP request is held to, so the request form
 * can apply them before sending.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Extension: the limits a TAP request is held to, for the request form (any signed-in user). */
export const GET = defineRoute('getPolicyLimits', async ({ actor, context }) => ({
  ...(await getPolicyLimits(actor, context)),
}));
