import 'server-only';
import { getDb, type PrismaClient } from '@/lib/db/client';
import type { Prisma, TapRequest } from '@/lib/db/generated/client';
import { BrokerError } from '@/lib/broker/errors';
import { appendAuditEvent, type AuditEventInput } from '@/lib/audit/append-audit-event';
import type { AuditEventType } from '@/lib/audit/catalogue';

/**
 * Database plumbing shared by the request-lifecycle use cases (request, approve, deny, issue,
 * revoke, list, get, reconcile). Not a use case itself.
 */

/** Optional dependencies of a use case: tests pass their own database; the app uses `getDb()`. */
export interface UseCaseOptions {
  db?: PrismaClient;
}

export async function resolveDb(options: UseCaseOptions): Promise<PrismaClient> {
  if (options.db !== undefined) return options.db;
  try {
    return await getDb();
  } catch (error) {
    throw new BrokerError('upstream-unavailable', 'The database could not be reached; nothing was changed. Try again later.', { cause: error });
  }
}

/**
 * Runs `fn` in an interactive transaction. A failure to reach the database (connection refused,
 * timeout) becomes `upstream-unavailable`; a BrokerError thrown by `fn` passes through (and
 * rolls the transaction back). Prisma's default 5 s interactive-transaction timeout is raised:
 * the audit writer serializes appends on a lock, and several issues may queue behind it.
 */
export async function inTransaction<T>(db: PrismaClient, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  try {
    return await db.$transaction(fn, { maxWait: 10_000, timeout: 30_000 });
  } catch (error) {
    if (error instanceof BrokerError) throw error;
    if (isDatabaseUnavailable(error)) {
      throw new BrokerError('upstream-unavailable', 'The database could not be reached; nothing was changed. Try again later.', { cause: error });
    }
    throw error;
  }
}

/**
 * Whether an error from Prisma means "could not talk to the database" rather than a defect.
 * Prisma's error classes differ by adapter; their codes are stable: P1001 (unreachable), P1002
 * (timeout), P1017 (connection closed), P2024 (pool timeout), P2028 (transaction API error, e.g.
 * a transaction that timed out or whose connection died).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
  if (typeof code === 'string' && ['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028'].includes(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|Can't reach database|Closed|closed the connection|PGlite is closed/i.test(message);
}

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
