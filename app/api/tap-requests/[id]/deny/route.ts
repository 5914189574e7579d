import { denyTapRequest } from '@/lib/broker/deny-tap-request';
import { defineRoute } from '@/lib/http/route';

/** `POST /api/tap-requests/{id}/deny`: an approver denies a pending request, with a reason. */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Approvers (admin implies); a reason is required. */
export const POST = defineRoute('denyTapRequest', async ({ actor, params, body, context }) => ({
  ...(await denyTapRequest(actor, { id: params.id, reason: body.reason }, context)),
}));
