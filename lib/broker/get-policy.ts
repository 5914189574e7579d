import 'server-only';
import type { Prisma, PrismaClient } from '@/lib/db/generated/client';
import { fromStoredPolicy, type BrokerPolicy } from '@/lib/broker/policy';

/**
 * The current broker policy: the stored version with the highest number. Migration 0002 stores the
 * built-in defaults as version 1, so a migrated database always has one; none means the database
 * was not migrated, which is an error rather than a reason to fall back to defaults silently.
 *
 * Pass the transaction client when the decision and the state change it allows must see the same
 * policy (the request records `policyVersion`).
 */
export async function getCurrentPolicy(db: PrismaClient | Prisma.TransactionClient): Promise<BrokerPolicy> {
  const row = await db.policyVersion.findFirst({ orderBy: { version: 'desc' } });
  if (row === null) throw new Error('no broker policy is stored: apply the database migrations (npm run db:migrate)');
  return fromStoredPolicy(row);
}
