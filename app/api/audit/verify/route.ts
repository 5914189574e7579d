import { verifyAuditChainIncrementally } from '@/lib/audit/verify-audit-chain-incrementally';
import { getDb } from '@/lib/db/client';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/audit/verify`: the hash chain checked from the last verified checkpoint to the head,
 * so an edited or deleted new event shows at once (auditors, admins). Older events are re-read by
 * the background full run, whose last result the answer carries: direct database writes to an old
 * event and the checkpoints together show only there (lib/audit/verify-audit-chain-incrementally.ts).
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** `{ ok, count, headHash, firstBrokenSeq?, checkedFromSeq, …, lastFullVerification, runningFullVerification }`. */
export const GET = defineRoute('verifyAuditChain', async () => ({ ...(await verifyAuditChainIncrementally(await getDb())) }));
