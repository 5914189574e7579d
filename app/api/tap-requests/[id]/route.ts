import { getTapRequest } from '@/lib/broker/get-tap-request';
import { defineRoute } from '@/lib/http/route';

/** `GET /api/tap-requests/{id}`: one TAP request, for its requester, approvers and auditors. */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Its requester, approvers, auditors (admins); everyone else gets 404 from the core. */
export const GET = defineRoute('getTapRequest', async ({ actor, params }) => ({
  ...(await getTapRequest(actor, { id: params.id })),
}));
