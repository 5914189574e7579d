import 'server-only';
import { z } from 'zod';
import { DEFAULT_AUDIT_PAGE_SIZE, listAuditEventsQuerySchema, MAX_AUDIT_PAGE_SIZE } from '@/lib/contract/audit';
import { BrokerError } from '@/lib/core/errors';
import type { AuditEvent, Prisma, PrismaClient } from '@/lib/db/generated/client';

/** An audit event as the API returns it (docs/api-contract.md#audit-event); `targetId`/`requestId` are absent when null. */
export interface AuditEventView {
  seq: number;
  id: string;
  at: string;
  type: string;
  actorId: string;
  targetId?: string;
  requestId?: string;
  data: Prisma.JsonValue;
  prevHash: string;
  hash: string;
}

/**
 * The query of `GET /api/audit`, as the contract declares it: `from` inclusive, `to` exclusive, a
 * bare date meaning midnight UTC, unknown parameters refused.
 */
export { DEFAULT_AUDIT_PAGE_SIZE, listAuditEventsQuerySchema, MAX_AUDIT_PAGE_SIZE };

export type ListAuditEventsInput = z.infer<typeof listAuditEventsQuerySchema>;

export function toAuditEventView(event: AuditEvent): AuditEventView {
  return {
    seq: Number(event.seq),
    id: event.id,
    at: event.at.toISOString(),
    type: event.type,
    actorId: event.actorId,
    ...(event.targetId === null ? {} : { targetId: event.targetId }),
    ...(event.requestId === null ? {} : { requestId: event.requestId }),
    data: event.data,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}

// The cursor is opaque to clients; inside, it is the last seq returned. Keyset pagination on seq
// never skips or repeats an event however many are appended meanwhile.
function encodeCursor(seq: bigint): string {
  return Buffer.from(`seq:${seq}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): bigint {
  const match = /^seq:([1-9][0-9]{0,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1]) {
    throw new BrokerError('validation-failed', 'The cursor is not valid.', { errors: [{ path: 'cursor', message: 'invalid cursor' }] });
  }
  return BigInt(match[1]);
}

/**
 * A page of the audit trail, newest first, filtered by time range, type, actor, target and TAP
 * request. `nextCursor` continues with older events; null on the last page.
 *
 * Ordered by `(at, seq)` descending, which is the same order as `seq` descending because the audit
 * writer never lets `at` go backwards along `seq`; spelled this way so that PostgreSQL can walk the
 * `(type, at)`, `(actor_id, at)` and `(target_id, at)` indexes backwards and stop after one page,
 * however many millions of events there are.
 */
export async function listAuditEvents(
  db: PrismaClient | Prisma.TransactionClient,
  input: ListAuditEventsInput,
): Promise<{ events: AuditEventView[]; nextCursor: string | null }> {
  const limit = input.limit ?? DEFAULT_AUDIT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE_SIZE) {
    throw new BrokerError('validation-failed', 'The limit is out of range.', {
      errors: [{ path: 'limit', message: `must be between 1 and ${MAX_AUDIT_PAGE_SIZE}` }],
    });
  }
  const before = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  const at: Prisma.DateTimeFilter = {};
  if (input.from !== undefined) at.gte = input.from;
  if (input.to !== undefined) at.lt = input.to;

  const rows = await db.auditEvent.findMany({
    where: {
      ...(before === undefined ? {} : { seq: { lt: before } }),
      ...(input.from !== undefined || input.to !== undefined ? { at } : {}),
      ...(input.type === undefined ? {} : { type: input.type }),
      ...(input.actorId === undefined ? {} : { actorId: input.actorId }),
      ...(input.targetId === undefined ? {} : { targetId: input.targetId }),
      ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
    },
    orderBy: [{ at: 'desc' }, { seq: 'desc' }],
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    events: page.map(toAuditEventView),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.seq) : null,
  };
}
