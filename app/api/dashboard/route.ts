import { getDashboardStats } from '@/lib/broker/get-dashboard-stats';
import { getDb } from '@/lib/db/client';
import { defineRoute } from '@/lib/http/route';

/** `GET /api/dashboard` (extension): the figures behind the dashboard page (auditors, admins). */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The dashboard's figures over the last 30 UTC days (auditors and admins). */
export const GET = defineRoute('getDashboardStats', async ({ actor }) => ({ ...(await getDashboardStats(actor, await getDb())) }));
