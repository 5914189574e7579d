import 'server-only';
import { canonicalJson, encodeAuditEventWithDataJson, GENESIS_PREV_HASH, hashAuditEncoding } from '@/lib/audit/canonical';
import type { AuditEvent, Prisma, PrismaClient } from '@/lib/db/generated/client';

/**
 * The audit trail's tamper check: does every stored event still chain to the one before it. The
 * chain walk here is shared by the whole recomputation (`verifyAuditChain`, the full background
 * run) and by `GET /api/audit/verify`, which walks only from its last checkpoint.
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

type Db = PrismaClient | Prisma.TransactionClient;

export const DEFAULT_AUDIT_PAGE_SIZE = 1_000;

/** A verified point of the chain: the walk trusts that events up to `seq` hold and `hash` is the last one's. */
export interface AuditChainAnchor {
  seq: bigint;
  hash: string;
}

/** Where the walk starts when nothing is trusted: before seq 1, whose `prevHash` is 64 zeros. */
export const AUDIT_CHAIN_GENESIS: AuditChainAnchor = { seq: 0n, hash: GENESIS_PREV_HASH };

export interface AuditChainWalk {
  /** Events read after the anchor. */
  read: number;
  /** The last event read (the anchor when none was). */
  last: AuditChainAnchor;
  firstBrokenSeq?: bigint;
  /** False when `onPage` stopped the walk before the end. */
  finished: boolean;
}

export interface AuditChainWalkOptions {
  /** Trusted start; the walk checks the events after it. Default: {@link AUDIT_CHAIN_GENESIS}. */
  from?: AuditChainAnchor;
  /** Last seq to read (inclusive); events appended after the walk began are left for the next one. */
  to?: bigint;
  pageSize?: number;
  /** Called after each page with the progress so far; returning `false` stops the walk. */
  onPage?: (progress: { read: number; last: AuditChainAnchor }) => Promise<boolean>;
}

/**
 * Walks the chain after `from` in `seq` order, in keyset pages (constant memory whatever its
 * length), and checks for every event that `seq` follows on without a gap, that `prevHash` is the
 * previous event's `hash`, that `hash` is the SHA-256 of `prevHash` and the event's canonical
 * encoding (lib/audit/canonical.ts), and that `data_canonical`, where stored, is `data`'s canonical
 * JSON (an edited one is a break at that event, as an edited `data` is). Reading goes on after a break, so `read` counts every event.
 */
export async function walkAuditChain(db: Db, options: AuditChainWalkOptions = {}): Promise<AuditChainWalk> {
  const pageSize = options.pageSize ?? DEFAULT_AUDIT_PAGE_SIZE;
  const from = options.from ?? AUDIT_CHAIN_GENESIS;
  let read = 0;
  let expectedSeq = from.seq + 1n;
  let last = from;
  let firstBrokenSeq: bigint | undefined;

  for (;;) {
    const page = await db.auditEvent.findMany({
      where: { seq: options.to === undefined ? { gt: last.seq } : { gt: last.seq, lte: options.to } },
      orderBy: { seq: 'asc' },
      take: pageSize,
    });
    for (const event of page) {
      read += 1;
      if (firstBrokenSeq === undefined) {
        if (event.seq !== expectedSeq) {
          firstBrokenSeq = expectedSeq;
        } else if (event.prevHash !== last.hash || !holdsItsHash(event)) {
          firstBrokenSeq = event.seq;
        }
      }
      expectedSeq = event.seq + 1n;
      last = { seq: event.seq, hash: event.hash };
    }
    const done = page.length < pageSize;
    if (options.onPage && page.length > 0 && !(await options.onPage({ read, last }))) {
      return { read, last, firstBrokenSeq, finished: false };
    }
    if (done) break;
  }
  return { read, last, firstBrokenSeq, finished: true };
}

/**
 * Whether `hash` is the hash of the event's content, and its stored `dataCanonical` (which exports
 * print instead of re-encoding `data`) is the canonical JSON of `data`, as hashed. `data` is
 * encoded once for both checks, so this costs what the hash alone did.
 */
function holdsItsHash(event: AuditEvent): boolean {
  const dataJson = canonicalJson(event.data);
  if (event.dataCanonical !== null && event.dataCanonical !== dataJson) return false;
  return hashAuditEncoding(event.prevHash, encodeAuditEventWithDataJson(event, dataJson)) === event.hash;
}

/**
 * Recomputes the whole hash chain from seq 1 (see {@link walkAuditChain}). Its cost grows with
 * the trail; the API answers from a checkpoint instead (verify-audit-chain-incrementally.ts) and
 * the background job runs this walk in full (full-audit-verification.ts).
 *
 * What it cannot see on its own: the newest events removed from the end. The returned `headHash`
 * (and the signed export manifest) is the anchor for that; the triggers refuse it anyway.
 */
export async function verifyAuditChain(db: Db, options: { pageSize?: number } = {}): Promise<AuditChainVerification> {
  const walk = await walkAuditChain(db, { pageSize: options.pageSize });
  const headHash = walk.read === 0 ? null : walk.last.hash;
  return walk.firstBrokenSeq === undefined
    ? { ok: true, count: walk.read, headHash }
    : { ok: false, count: walk.read, headHash, firstBrokenSeq: Number(walk.firstBrokenSeq) };
}
