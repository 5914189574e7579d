import { getMe, getMeDirectory } from '@/lib/broker/get-me';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/me`: who the portal is signed in as (id, names, app roles) from the token, with their
 * manager and whether anyone reports to them from Graph.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export const GET = defineRoute('getMe', async ({ actor, context }) => ({ ...getMe(actor), ...(await getMeDirectory(actor, context.log)) }));
