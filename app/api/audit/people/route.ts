import { findRecordedPeople } from '@/lib/audit/find-recorded-people';
import { getDb } from '@/lib/db/client';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/audit/people?q=`: the audit console's people picker — people the trail names, by
 * display name, UPN or id (auditors, admins).
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export const GET = defineRoute('listAuditPeople', async ({ query }) => ({ people: await findRecordedPeople(await getDb(), query.q) }));
