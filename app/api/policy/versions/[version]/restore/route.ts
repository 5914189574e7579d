import { restorePolicyVersion } from '@/lib/broker/restore-policy-version';
import { defineRoute } from '@/lib/http/route';

/** `POST /api/policy/versions/{version}/restore` (extension): an admin saves an earlier version's settings as a new version. */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * Admins; the reason is required. The core validates the body after the admin check and step-up,
 * so those refusals do not depend on what was sent.
 */
export const POST = defineRoute({ operation: 'restorePolicyVersion', body: 'unparsed' }, async ({ actor, params, body, context }) => ({
  ...(await restorePolicyVersion(actor, params.version, body, context)),
}));
