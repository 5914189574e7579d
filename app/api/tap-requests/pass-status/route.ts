import { getPassStatuses } from '@/lib/broker/get-pass-status';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/tap-requests/pass-status` (extension): where each issued pass stands now, read from
 * Graph, for tracking after issuance.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Tracking after issuance (extension): mine: anyone signed in; all: admins — checked in the core. */
export const GET = defineRoute('getPassStatuses', async ({ actor, query, context }) => getPassStatuses(actor, { scope: query.scope }, context));
