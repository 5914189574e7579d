import { listTapRequests } from '@/lib/broker/list-tap-requests';
import { requestTap } from '@/lib/broker/request-tap';
import { defineRoute, json } from '@/lib/http/route';

/**
 * `POST /api/tap-requests` asks for a pass for a reportee; `GET /api/tap-requests` lists requests
 * by scope (mine, pending, all).
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Any signed-in user may ask; the core checks the org chart and eligibility in Graph. */
export const POST = defineRoute('requestTap', async ({ actor, body, context }) => json(await requestTap(actor, body, context), { status: 201 }));

/** mine: anyone signed in; pending: approvers; all: approvers and auditors — checked in the core. */
export const GET = defineRoute('listTapRequests', async ({ actor, query }) => listTapRequests(actor, { scope: query.scope }));
