import { issueTap } from '@/lib/broker/issue-tap';
import { defineRoute, json } from '@/lib/http/route';

/**
 * `POST /api/tap-requests/{id}/issue`: the requester gets the pass of an approved request, created
 * in Graph now and shown in this answer only.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * The requester only (others get 404 from the core). The answer carries the pass: it is sent
 * once, never cached (`no-store` is set on every API answer; `Pragma` for HTTP/1.0 caches), and
 * never logged — the route wrapper logs only status and timing.
 */
export const POST = defineRoute('issueTap', async ({ actor, params, context }) =>
  json(await issueTap(actor, { id: params.id }, context), { status: 201, headers: { Pragma: 'no-cache' } }),
);
