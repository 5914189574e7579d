import { approveTapRequest } from '@/lib/broker/approve-tap-request';
import { defineRoute } from '@/lib/http/route';

/** `POST /api/tap-requests/{id}/approve`: an approver approves a pending request. */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Approvers (admin implies); the core refuses an approver's own request and re-reads the chain. */
export const POST = defineRoute('approveTapRequest', async ({ actor, params, body, context }) => ({
  ...(await approveTapRequest(actor, { id: params.id, comment: body.comment }, context)),
}));
