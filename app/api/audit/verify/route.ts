import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { getDb } from '@/lib/db/client';
import { defineRoute } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Recomputes the whole hash chain: `{ ok, count, headHash, firstBrokenSeq? }`. */
export const GET = defineRoute('verifyAuditChain', async () => ({ ...(await verifyAuditChain(await getDb())) }));
