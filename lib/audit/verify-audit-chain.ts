import 'server-only';
import { computeAuditEventHash, GENESIS_PREV_HASH } from '@/lib/audit/canonical';
import type { Prisma, PrismaClient } from '@/lib/db/generated/client';

/**
 * The audit trail's tamper check (`GET /api/audit/verify`): does every stored event still chain to
 * the one before it.
 */

export interface AuditChainVerification {
  ok: boolean;
  /** Events read (the whole table). */
  count: number;
  /** The stored hash of the last event, null for an empty trail. Anchor it elsewhere to detect a cut-off tail. */
  headHash: string | null;
  /**
   * The first `seq` at which the chain does not hold: an event whose stored hash is not the hash of
   * its content (edited), whose `prevHash` is not the previous event's hash (removed, reordered or
   * re-hashed), or the first missing `seq` of a gap (deleted).
   */
  firstBrokenSeq?: number;
}

const DEFAULT_PAGE_SIZE = 1_000;

/**
 * Recomputes the whole hash chain: reads the trail in `seq` order in keyset pages (constant memory
 * whatever its length) and checks, for every event, that `seq` follows on without a gap from 1,
 * that `prevHash` is the previous event's `hash` (64 zeros for the first), and that `hash` is the
 * SHA-256 of `prevHash` and the event's canonical encoding (lib/audit/canonical.ts).
 *
 * What it cannot see on its own: the newest events removed from the end. The returned `headHash`
 * (and the signed export manifest) is the anchor for that; the triggers refuse it anyway.
 */
export async function verifyAuditChain(
  db: PrismaClient | Prisma.TransactionClient,
  options: { pageSize?: number } = {},
): Promise<AuditChainVerification> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  let count = 0;
  let expectedSeq = 1n;
  let prevHash = GENESIS_PREV_HASH;
  let headHash: string | null = null;
  let firstBrokenSeq: bigint | undefined;
  let after: bigint | undefined;

  for (;;) {
    const page = await db.auditEvent.findMany({
      where: after === undefined ? undefined : { seq: { gt: after } },
      orderBy: { seq: 'asc' },
      take: pageSize,
    });
    for (const event of page) {
      count += 1;
      if (firstBrokenSeq === undefined) {
        if (event.seq !== expectedSeq) {
          firstBrokenSeq = expectedSeq;
        } else if (event.prevHash !== prevHash || computeAuditEventHash(event.prevHash, event) !== event.hash) {
          firstBrokenSeq = event.seq;
        }
      }
      expectedSeq = event.seq + 1n;
      prevHash = event.hash;
      headHash = event.hash;
    }
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) break;
    after = last.seq;
  }

  return firstBrokenSeq === undefined
    ? { ok: true, count, headHash }
    : { ok: false, count, headHash, firstBrokenSeq: Number(firstBrokenSeq) };
}
