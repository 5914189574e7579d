import { listPolicyVersions } from '@/lib/broker/list-policy-versions';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/policy/versions` (extension): the policy's history, who saved each version and what
 * changed.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The policy's version history, newest first (extension; the readers of GET /api/policy). */
export const GET = defineRoute('listPolicyVersions', async ({ actor, context }) =>
  listPolicyVersions(actor, context),
);
