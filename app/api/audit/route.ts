import { listAuditEvents } from '@/lib/audit/list-audit-events';
import { getDb } from '@/lib/db/client';
import { defineRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** A page of the audit trail, newest first: `?from&to&type&actorId&targetId&requestId&limit&cursor`. */
export const GET = defineRoute('listAuditEvents', async ({ query }) => listAuditEvents(await getDb(), query));
