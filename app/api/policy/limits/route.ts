import { getPolicyLimits } from '@/lib/broker/get-policy-limits';
import { defineRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Extension: the limits a TAP request is held to, for the request form (any signed-in user). */
export const GET = defineRoute('getPolicyLimits', async ({ actor, context }) => ({
  ...(await getPolicyLimits(actor, context)),
}));
