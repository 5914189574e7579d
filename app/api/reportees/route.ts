import { listReportees } from '@/lib/broker/list-reportees';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/reportees`: the caller's team, everyone below them up to the policy's depth, each with
 * their eligibility for a pass — from the org-chart mirror when it is fresh, else from Graph;
 * `?q&limit&offset` (extension) search and page it.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Any signed-in user may ask; the core checks in Graph that they are an enabled member. */
export const GET = defineRoute('listReportees', async ({ actor, log, query }) => listReportees(actor, { log, query }));
