import { z } from 'zod';
import { denyTapRequest } from '@/lib/broker/deny-tap-request';
import { defineRoute, readJsonBody } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const body = z.strictObject({ reason: z.string().trim().min(1).max(1000) });

/** Approvers (admin implies); a reason is required. */
export const POST = defineRoute<readonly ['approver'], { id: string }>({ allow: ['approver'] }, async ({ request, actor, params, context }) => {
  const { reason } = await readJsonBody(request, body);
  return { ...(await denyTapRequest(actor, { id: params.id, reason }, context)) };
});
