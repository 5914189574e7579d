import { listReportees } from '@/lib/broker/list-reportees';
import { defineRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Any signed-in user may ask; the core checks in Graph that they are an enabled member. */
export const GET = defineRoute('listReportees', async ({ actor, log }) => listReportees(actor, { log }));
