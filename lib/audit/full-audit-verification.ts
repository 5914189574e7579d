import 'server-only';
import { walkAuditChain } from '@/lib/audit/verify-audit-chain';
import type { AuditFullVerification, PrismaClient } from '@/lib/db/generated/client';

/**
 * The background re-verification of the whole audit chain from seq 1: one run at a time across
 * every instance, its progress stored as it goes, a `full` checkpoint when it passes. It is what
 * catches an edit *before* the newest checkpoint, which `GET /api/audit/verify` does not re-read.
 */

/**
 * Transaction-scoped advisory lock ("tafv") under which a run is claimed. The run itself holds no
 * transaction (on the embedded database one open transaction would stall every other query for
 * the whole run): the claim writes a `running` row, and the row's heartbeat is the lease.
 */
export const AUDIT_FULL_VERIFICATION_LOCK_KEY = 0x74616676;

/** A running row whose heartbeat is older than this is taken for a crashed process and ended as `interrupted`. */
export const FULL_VERIFICATION_STALE_MS = 10 * 60_000;

export interface FullAuditVerificationOptions {
  /** Start only when the last completed run (passed or broken) began at least this long ago; 0 forces a run. */
  everyMs: number;
  /** The clock (stored as `started_at`, `heartbeat_at`, `finished_at`). */
  now?: () => Date;
  /** Stops the run between pages; it then ends as `interrupted` and the next due check starts afresh. */
  signal?: AbortSignal;
  pageSize?: number;
}

/**
 * Claims a run if one is due and none is running: under {@link AUDIT_FULL_VERIFICATION_LOCK_KEY},
 * ends stale runs, then inserts a `running` row whose `total` is the current head seq. Returns null
 * when another run is live or the last completed one is recent enough.
 */
export async function claimFullAuditVerification(
  db: PrismaClient,
  options: Pick<FullAuditVerificationOptions, 'everyMs' | 'now'>,
): Promise<AuditFullVerification | null> {
  const now = (options.now ?? (() => new Date()))();
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_FULL_VERIFICATION_LOCK_KEY}::bigint)`;
    await tx.auditFullVerification.updateMany({
      where: { outcome: 'running', heartbeatAt: { lt: new Date(now.getTime() - FULL_VERIFICATION_STALE_MS) } },
      data: { outcome: 'interrupted', finishedAt: now },
    });
    if ((await tx.auditFullVerification.count({ where: { outcome: 'running' } })) > 0) return null;
    const recent = await tx.auditFullVerification.findFirst({
      where: { outcome: { in: ['passed', 'broken'] }, startedAt: { gt: new Date(now.getTime() - options.everyMs) } },
      select: { id: true },
    });
    if (recent !== null) return null;
    const head = await tx.auditEvent.aggregate({ _max: { seq: true } });
    return tx.auditFullVerification.create({
      data: { startedAt: now, heartbeatAt: now, total: head._max.seq ?? 0n },
    });
  });
}

/**
 * Runs a full verification if one is due ({@link claimFullAuditVerification}): walks events
 * 1..`total`, storing `done` and the heartbeat after every page, then the outcome. A pass stores a
 * `full` checkpoint at `total`; a break is stored as `broken` with its first broken seq and is
 * never overwritten, so the verify answer reports it from then on. Returns the finished row, or
 * null when no run was due or the lease was lost to another instance.
 */
export async function runFullAuditVerification(
  db: PrismaClient,
  options: FullAuditVerificationOptions,
): Promise<AuditFullVerification | null> {
  const now = options.now ?? (() => new Date());
  const run = await claimFullAuditVerification(db, options);
  if (run === null) return null;
  const live = { id: run.id, outcome: 'running' as const };
  try {
    const walk = await walkAuditChain(db, {
      to: run.total,
      pageSize: options.pageSize,
      onPage: async ({ read }) => {
        if (options.signal?.aborted) return false;
        // Zero rows updated: the run was ended as stale by another instance, which owns the next one.
        const kept = await db.auditFullVerification.updateMany({ where: live, data: { done: BigInt(read), heartbeatAt: now() } });
        return kept.count === 1;
      },
    });
    if (!walk.finished) {
      await db.auditFullVerification.updateMany({ where: live, data: { outcome: 'interrupted', finishedAt: now() } });
      return null;
    }
    const passed = walk.firstBrokenSeq === undefined && walk.last.seq === run.total;
    const ended = await db.auditFullVerification.updateMany({
      where: live,
      data: {
        outcome: passed ? 'passed' : 'broken',
        finishedAt: now(),
        done: BigInt(walk.read),
        // A head below `total` means events were removed from the end since the claim.
        firstBrokenSeq: passed ? null : (walk.firstBrokenSeq ?? walk.last.seq + 1n),
        headHash: walk.read === 0 ? null : walk.last.hash,
      },
    });
    if (ended.count === 0) return null;
    if (passed && run.total > 0n) await storeAuditCheckpoint(db, walk.last, 'full');
    return db.auditFullVerification.findUniqueOrThrow({ where: { id: run.id } });
  } catch (error) {
    await db.auditFullVerification.updateMany({ where: live, data: { outcome: 'interrupted', finishedAt: now() } }).catch(() => undefined);
    throw error;
  }
}

/**
 * Stores a checkpoint at (`seq`, `hash`) only if audit_event holds exactly that pair now: one
 * INSERT … SELECT, so no checkpoint can name a hash its event does not carry, whatever runs
 * concurrently. Returns whether a row was written.
 */
export async function storeAuditCheckpoint(
  db: PrismaClient,
  at: { seq: bigint; hash: string },
  kind: 'incremental' | 'full',
): Promise<boolean> {
  const written = await db.$executeRaw`
    INSERT INTO audit_checkpoint (seq, hash, kind)
    SELECT seq, hash, ${kind}::audit_checkpoint_kind FROM audit_event WHERE seq = ${at.seq} AND hash = ${at.hash}`;
  return written === 1;
}
