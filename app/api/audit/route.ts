import { listAuditEvents, listAuditEventsQuerySchema } from '@/lib/audit/list-audit-events';
import { getDb } from '@/lib/db/client';
import { defineRoute, readQuery } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** A page of the audit trail, newest first: `?from&to&type&actorId&targetId&requestId&limit&cursor`. */
export const GET = defineRoute({ allow: ['auditor', 'admin'] }, async ({ request }) => {
  const query = readQuery(request, listAuditEventsQuerySchema);
  return listAuditEvents(await getDb(), query);
});
