import { z } from 'zod';
import { approveTapRequest } from '@/lib/broker/approve-tap-request';
import { defineRoute, readOptionalJsonBody } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const body = z.strictObject({ comment: z.string().max(1000).optional() });

/** Approvers (admin implies); the core refuses an approver's own request and re-reads the chain. */
export const POST = defineRoute<readonly ['approver'], { id: string }>({ allow: ['approver'] }, async ({ request, actor, params, context }) => {
  const { comment } = await readOptionalJsonBody(request, body);
  return { ...(await approveTapRequest(actor, { id: params.id, comment }, context)) };
});
