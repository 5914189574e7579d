import { evaluatePendingRequests } from '@/lib/broker/evaluate-pending-requests';
import { defineRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The approver's queue re-judged against Graph now (extension; approvers and admins). */
export const GET = defineRoute('evaluatePendingRequests', async ({ actor, context }) => evaluatePendingRequests(actor, context));
