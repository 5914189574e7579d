import 'server-only';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { getDb, type PrismaClient } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import { BrokerError, isDatabaseUnavailable } from '@/lib/core/errors';

/**
 * How use cases and workers reach the database: the client to use, and transactions in which a
 * database outage becomes `upstream-unavailable` (a refusal the caller can retry) instead of a 500.
 */

/** Optional dependencies of a use case: tests pass their own database; the app uses `getDb()`. */
export interface UseCaseOptions {
  db?: PrismaClient;
}

/** The database of `options`, or the app's; an unreachable database is `upstream-unavailable`. */
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
  // One span per transaction (a child of the request's, when there is one); it names no table,
  // row or value: what the transaction did is the audit trail's business.
  return trace.getTracer('tap-broker.db').startActiveSpan('db.transaction', { kind: SpanKind.CLIENT, attributes: { 'db.operation.name': 'transaction' } }, async (span) => {
    try {
      return await db.$transaction(fn, { maxWait: 10_000, timeout: 30_000 });
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof BrokerError ? error.code : 'rolled back' });
      if (error instanceof BrokerError) throw error;
      if (isDatabaseUnavailable(error)) {
        throw new BrokerError('upstream-unavailable', 'The database could not be reached; nothing was changed. Try again later.', { cause: error });
      }
      throw error;
    } finally {
      span.end();
    }
  });
}

