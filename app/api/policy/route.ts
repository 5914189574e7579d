import { z } from 'zod';
import { getPolicySettings } from '@/lib/broker/get-policy-settings';
import { updatePolicy } from '@/lib/broker/update-policy';
import { defineRoute, readJsonBody } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The current policy, with the tenant's TAP policy bounds beside it (503 when Graph is unreachable). */
export const GET = defineRoute({ allow: ['approver', 'auditor', 'admin'] }, async ({ actor, context }) => ({
  ...(await getPolicySettings(actor, context)),
}));

/** The whole policy → a new version. The core validates the body (zod, then the tenant's bounds). */
export const PUT = defineRoute({ allow: ['admin'] }, async ({ request, actor, context }) => {
  const body = await readJsonBody(request, z.unknown());
  return { ...(await updatePolicy(actor, body, context)) };
});
