import { listAuditEvents } from '@/lib/audit/list-audit-events';
import { getDb } from '@/lib/db/client';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/audit`: the audit trail for the audit console, a filtered page at a time (auditors,
 * admins).
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** A page of the audit trail, newest first: `?from&to&type&actorId&targetId&requestId&limit&cursor`. */
export const GET = defineRoute('listAuditEvents', async ({ query }) => listAuditEvents(await getDb(), query));
