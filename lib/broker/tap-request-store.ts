import 'server-only';
import type { PrismaClient } from '@/lib/db/client';
import type { Prisma, TapRequest } from '@/lib/db/generated/client';
import { inTransaction } from '@/lib/db/transaction';
import { appendAuditEvent, type AuditEventInput } from '@/lib/audit/append-audit-event';
import type { AuditEventType } from '@/lib/contract/audit';

/**
 * Store functions shared by the request-lifecycle use cases (request, approve, deny, issue,
 * revoke, list, get, reconcile): finding a request by id and auditing a refusal. Not a use case
 * itself; the client and transaction plumbing is in `lib/db/transaction.ts`.
 */

/** Appends one audit event in a transaction of its own (for refusals that change nothing else). */
export async function auditAlone<T extends AuditEventType>(db: PrismaClient, event: AuditEventInput<T>): Promise<void> {
  await inTransaction(db, async (tx) => {
    await appendAuditEvent(tx, event);
  });
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Request ids are UUIDs; anything else is simply not found (never a 400: ids are opaque). */
export function isRequestId(value: string): boolean {
  return UUID_RE.test(value);
}

/** The request, or null when the id is not a UUID or no such row exists. */
export async function findRequest(db: PrismaClient | Prisma.TransactionClient, id: string): Promise<TapRequest | null> {
  if (!isRequestId(id)) return null;
  return db.tapRequest.findUnique({ where: { id: id.toLowerCase() } });
}

export function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
