import { getMe } from '@/lib/broker/get-me';
import { defineRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export const GET = defineRoute('getMe', async ({ actor }) => ({ ...getMe(actor) }));
