import { getPolicySettings } from '@/lib/broker/get-policy-settings';
import { updatePolicy } from '@/lib/broker/update-policy';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET` and `PUT /api/policy`: the broker policy in force, read by the consoles and saved by admins
 * as a new version.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The current policy, with the tenant's TAP policy bounds beside it (503 when Graph is unreachable). */
export const GET = defineRoute('getPolicySettings', async ({ actor, context }) => ({
  ...(await getPolicySettings(actor, context)),
}));

/**
 * The whole policy → a new version. The core validates the body (zod, then the tenant's bounds)
 * after the admin check and step-up, so those refusals do not depend on what was sent.
 */
export const PUT = defineRoute({ operation: 'updatePolicy', body: 'unparsed' }, async ({ actor, body, context }) => ({
  ...(await updatePolicy(actor, body, context)),
}));
