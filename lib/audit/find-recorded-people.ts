import 'server-only';
import { MAX_AUDIT_PEOPLE, type AuditPerson } from '@/lib/contract/audit';
import type { Prisma, PrismaClient } from '@/lib/db/generated/client';

/**
 * The people picker of the audit console: who the trail names, found among the names recorded
 * beside audit events (table `recorded_name`, migration 0017). A person matches when any version
 * of their names holds `query` (case-insensitive), or their id is `query`; each comes back with
 * their newest version. Names are for finding an id, never evidence.
 */
export async function findRecordedPeople(db: PrismaClient | Prisma.TransactionClient, query: string | undefined): Promise<AuditPerson[]> {
  const q = (query ?? '').trim();
  // LIKE's own characters are matched as themselves.
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db.$queryRaw<AuditPerson[]>`
    SELECT id, "displayName", "userPrincipalName" FROM (
      SELECT DISTINCT ON (newest.id) newest.id, newest.display_name AS "displayName", newest.user_principal_name AS "userPrincipalName"
      FROM recorded_name newest
      WHERE newest.id IN (
        SELECT id FROM recorded_name
        WHERE id = ${q} OR display_name ILIKE ${pattern} OR user_principal_name ILIKE ${pattern}
      )
      ORDER BY newest.id, newest.recorded_at DESC, newest.display_name, newest.user_principal_name
    ) AS people
    ORDER BY lower("displayName"), "userPrincipalName", id
    LIMIT ${MAX_AUDIT_PEOPLE}`;
}
