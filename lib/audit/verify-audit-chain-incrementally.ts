import 'server-only';
import { storeAuditCheckpoint } from '@/lib/audit/full-audit-verification';
import { AUDIT_CHAIN_GENESIS, walkAuditChain, type AuditChainAnchor, type AuditChainVerification } from '@/lib/audit/verify-audit-chain';
import type { AuditFullVerification, PrismaClient } from '@/lib/db/generated/client';

/**
 * `GET /api/audit/verify`: the chain checked from the newest verified checkpoint to the head, so a
 * call costs the events appended since the last one rather than the whole trail; the background
 * full run's state is reported beside it.
 *
 * Security: events before the checkpoint are not re-read. Someone who can write the database
 * directly (table owner, superuser) could edit an old event and the checkpoint rows together, and
 * this check would not notice; the full run (`lastFullVerification`) re-reads everything and would.
 */

export interface FullVerificationSummary {
  startedAt: string;
  finishedAt: string;
  outcome: 'passed' | 'broken' | 'interrupted';
  /** Events 1..`total` were to be verified (the head when the run started). */
  total: number;
  done: number;
  firstBrokenSeq?: number;
}

export interface FullVerificationProgress {
  startedAt: string;
  heartbeatAt: string;
  total: number;
  done: number;
}

export interface IncrementalAuditChainVerification extends AuditChainVerification {
  /** The first seq this call recomputed (the head + 1 when nothing was new). */
  checkedFromSeq: number;
  /** Events this call recomputed. */
  checkedCount: number;
  /** The checkpoint the call started from: its seq and when it was verified; absent when the call walked from seq 1. */
  checkpointSeq?: number;
  checkpointAt?: string;
  lastFullVerification: FullVerificationSummary | null;
  runningFullVerification: FullVerificationProgress | null;
}

/**
 * Verifies the chain from the newest checkpoint to the head and stores a new `incremental`
 * checkpoint at the head when everything holds:
 *
 * 1. one statement reads the row count and the head seq; events appended later wait for the next call;
 * 2. the checkpoint's event must still carry the checkpoint's hash, and the checkpoint may not lie
 *    beyond the head (a cut-off tail); otherwise the chain is broken at that seq;
 * 3. the events after it are walked as in `verifyAuditChain`;
 * 4. the row count must equal the head seq, so an event deleted before the checkpoint still shows
 *    (at the first missing seq);
 * 5. a `broken` full run is a break too, for good: the answer never says ok after one.
 *
 * `count` is every event in the trail; `checkedFromSeq`/`checkedCount` say what this call read.
 */
export async function verifyAuditChainIncrementally(
  db: PrismaClient,
  options: { pageSize?: number } = {},
): Promise<IncrementalAuditChainVerification> {
  const [totals] = await db.$queryRaw<{ count: bigint; head: bigint | null }[]>`
    SELECT count(*)::bigint AS count, max(seq) AS head FROM audit_event`;
  const count = totals?.count ?? 0n;
  const head = totals?.head ?? 0n;
  const checkpoint = await db.auditCheckpoint.findFirst({ orderBy: [{ seq: 'desc' }, { id: 'desc' }] });

  const breaks: bigint[] = [];
  let from: AuditChainAnchor = AUDIT_CHAIN_GENESIS;
  let checkedCount = 0;
  if (checkpoint !== null) {
    const event = checkpoint.seq > head ? null : await db.auditEvent.findUnique({ where: { seq: checkpoint.seq }, select: { hash: true } });
    if (checkpoint.seq > head) breaks.push(head + 1n);
    else if (event?.hash !== checkpoint.hash) breaks.push(checkpoint.seq);
    from = { seq: checkpoint.seq, hash: checkpoint.hash };
  }
  let headHash: string | null = null;
  if (breaks.length === 0) {
    const walk = await walkAuditChain(db, { from, to: head, pageSize: options.pageSize });
    checkedCount = walk.read;
    headHash = head === 0n ? null : walk.last.hash;
    if (walk.firstBrokenSeq !== undefined) breaks.push(walk.firstBrokenSeq);
    if (count !== head) breaks.push(await findFirstMissingSeq(db, head));
    if (breaks.length === 0 && head > from.seq) await storeAuditCheckpoint(db, walk.last, 'incremental');
  } else if (head > 0n) {
    headHash = (await db.auditEvent.findUnique({ where: { seq: head }, select: { hash: true } }))?.hash ?? null;
  }

  const { last, running, firstBrokenSeq: fullBreak } = await getFullAuditVerificationState(db);
  if (fullBreak !== undefined) breaks.push(fullBreak);
  const firstBrokenSeq = breaks.length === 0 ? undefined : breaks.reduce((a, b) => (b < a ? b : a));

  return {
    ok: firstBrokenSeq === undefined,
    count: Number(count),
    headHash,
    ...(firstBrokenSeq === undefined ? {} : { firstBrokenSeq: Number(firstBrokenSeq) }),
    checkedFromSeq: Number(from.seq + 1n),
    checkedCount,
    ...(checkpoint === null ? {} : { checkpointSeq: Number(checkpoint.seq), checkpointAt: checkpoint.verifiedAt.toISOString() }),
    lastFullVerification: last === null ? null : toSummary(last),
    runningFullVerification:
      running === null
        ? null
        : { startedAt: running.startedAt.toISOString(), heartbeatAt: running.heartbeatAt.toISOString(), total: Number(running.total), done: Number(running.done) },
  };
}

/** The newest finished full run, the running one, and the earliest break any full run ever found. */
async function getFullAuditVerificationState(db: PrismaClient): Promise<{
  last: AuditFullVerification | null;
  running: AuditFullVerification | null;
  firstBrokenSeq?: bigint;
}> {
  const [last, running, broken] = await Promise.all([
    db.auditFullVerification.findFirst({ where: { outcome: { not: 'running' } }, orderBy: { id: 'desc' } }),
    db.auditFullVerification.findFirst({ where: { outcome: 'running' }, orderBy: { id: 'desc' } }),
    db.auditFullVerification.aggregate({ where: { outcome: 'broken' }, _min: { firstBrokenSeq: true } }),
  ]);
  return { last, running, firstBrokenSeq: broken._min.firstBrokenSeq ?? undefined };
}

function toSummary(run: AuditFullVerification): FullVerificationSummary {
  return {
    startedAt: run.startedAt.toISOString(),
    finishedAt: (run.finishedAt ?? run.heartbeatAt).toISOString(),
    outcome: run.outcome === 'running' ? 'interrupted' : run.outcome,
    total: Number(run.total),
    done: Number(run.done),
    ...(run.firstBrokenSeq === null ? {} : { firstBrokenSeq: Number(run.firstBrokenSeq) }),
  };
}

/**
 * Only when the row count and the head disagree (an event deleted, or a seq outside 1..head): the
 * first seq in 1..head with no event. One pass over the primary key, paid only on a broken trail.
 */
async function findFirstMissingSeq(db: PrismaClient, head: bigint): Promise<bigint> {
  const [row] = await db.$queryRaw<{ missing: bigint | null }[]>`
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM audit_event WHERE seq = 1) THEN 1::bigint
           ELSE (SELECT min(a.seq) + 1 FROM audit_event a
                 WHERE a.seq >= 1 AND a.seq < ${head} AND NOT EXISTS (SELECT 1 FROM audit_event b WHERE b.seq = a.seq + 1))
           END AS missing`;
  return row?.missing ?? 1n;
}
