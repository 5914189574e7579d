import { withdrawTapRequest } from '@/lib/broker/withdraw-tap-request';
import { defineRoute } from '@/lib/http/route';

/** `POST /api/tap-requests/{id}/withdraw`: the requester takes back a request not yet issued. */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The requester only; checked in the core (others who may see the request get 403, the rest 404). */
export const POST = defineRoute('withdrawTapRequest', async ({ actor, params, body, context }) => ({
  ...(await withdrawTapRequest(actor, { id: params.id, reason: body.reason }, context)),
}));
