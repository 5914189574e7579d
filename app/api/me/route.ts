import { getMe } from '@/lib/broker/get-me';
import { defineRoute } from '@/lib/http/route';

/** `GET /api/me`: who the portal is signed in as (id, names, app roles), from the token. */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export const GET = defineRoute('getMe', async ({ actor }) => ({ ...getMe(actor) }));
