import { evaluatePendingRequests } from '@/lib/broker/evaluate-pending-requests';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/tap-requests/evaluation` (extension): the approval queue judged against Graph now, so
 * an approver sees what changed since each request was made.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The approver's queue re-judged against Graph now (extension; approvers and admins). */
export const GET = defineRoute('evaluatePendingRequests', async ({ actor, context }) => evaluatePendingRequests(actor, context));
