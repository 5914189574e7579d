import 'server-only';
/**
 * Tests only: an audit context, and the databases the audit and policy tests run on — always an
 * in-memory PGlite, and always PostgreSQL too (the orchestrator's server from TEST_DATABASE_URL,
 * else a private throwaway cluster), because triggers, advisory locks and concurrency are exactly
 * where the two could differ.
 */
import { afterAll, beforeAll } from 'vitest';
import { appendAuditEvent, type AuditEventInput } from '@/lib/audit/append-audit-event';
import type { RequestContext } from '@/lib/core/request-context';
import type { AuditEvent, PrismaClient } from '@/lib/db/generated/client';
import { createPostgresTestDb, createTestDb, type TestDb } from '@/lib/testing/db';
import { getTestPostgresServer, type TestPostgresServer } from '@/lib/testing/postgres-server';
import { logger } from '@/lib/log';

export const TEST_CONTEXT: Pick<RequestContext, 'requestId' | 'ip' | 'userAgent'> = {
  requestId: 'req-test-0001',
  ip: '127.0.0.1',
  userAgent: 'vitest',
};

export function testRequestContext(requestId = 'req-test-0001'): RequestContext {
  return { requestId, ip: '127.0.0.1', userAgent: 'vitest', log: logger };
}

export type DbKind = 'pglite' | 'postgres';
export const DB_KINDS: readonly DbKind[] = ['pglite', 'postgres'];

/**
 * Registers beforeAll/afterAll hooks providing a PostgreSQL server URL for the enclosing describe
 * block; `open(kind)` then creates a fresh migrated database of that kind.
 */
export function useTestDatabases(): { open(kind: DbKind): Promise<TestDb> } {
  let server: TestPostgresServer | undefined;
  beforeAll(async () => {
    server = await getTestPostgresServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    async open(kind) {
      if (kind === 'pglite') return createTestDb({ kind: 'pglite' });
      if (!server) throw new Error('the PostgreSQL server is not up');
      return createPostgresTestDb(server.url);
    },
  };
}

/**
 * Appends `event` in a transaction of its own and returns it as committed: `seq`, `hash` and `at`
 * exist only once the deferred link has run at COMMIT (lib/audit/append-audit-event.ts).
 */
export async function appendCommitted(prisma: PrismaClient, event: AuditEventInput): Promise<AuditEvent> {
  const { id } = await prisma.$transaction((tx) => appendAuditEvent(tx, event));
  return prisma.auditEvent.findUniqueOrThrow({ where: { id } });
}
