import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { getDb } from '@/lib/db/client';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/audit/verify`: recompute the whole trail's hash chain, so an edited or deleted event
 * shows (auditors, admins).
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Recomputes the whole hash chain: `{ ok, count, headHash, firstBrokenSeq? }`. */
export const GET = defineRoute('verifyAuditChain', async () => ({ ...(await verifyAuditChain(await getDb())) }));
