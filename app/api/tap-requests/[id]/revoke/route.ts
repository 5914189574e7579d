import { revokeTap } from '@/lib/broker/revoke-tap';
import { defineRoute } from '@/lib/http/route';

/** `POST /api/tap-requests/{id}/revoke`: withdraw an issued pass (its requester, or an admin). */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The requester or an admin; checked in the core (others who may see the request get 403, the rest 404). */
export const POST = defineRoute('revokeTap', async ({ actor, params, context }) => ({
  ...(await revokeTap(actor, { id: params.id }, context)),
}));
