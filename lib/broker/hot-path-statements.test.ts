/**
 * The SQL statements one create and one issue cost on PostgreSQL, counted at the driver (every
 * statement the pool's connections send, BEGIN and COMMIT included), with the real use cases
 * against the local tenant. The bounds are what the code reaches now: a change that adds a
 * statement to the hot path fails here and has to say why.
 */
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { issueTap } from '@/lib/broker/issue-tap';
import { requestTap } from '@/lib/broker/request-tap';
import { PrismaClient } from '@/lib/db/generated/client';
import { useTestDatabases } from '@/lib/testing/audit';
import type { TestDb } from '@/lib/testing/db';
import { startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';
import { actorsFor, capturingContext, lifecycleSeed, storePolicy } from '@/lib/testing/tap-requests';

/** Upper bounds, reached by the code as it is; a failure lists the statements sent. */
const MAX_STATEMENTS = { createAutoApproved: 7, createPending: 8, issue: 12 };

/**
 * Each of the `transactions` transactions records its change with an audit append into
 * `audit_pending`, and none touches the chain's head row itself: the head is moved by the deferred
 * link at COMMIT, so its lock — which every append on the database waits for — is held for the
 * commit alone, never across a round trip to the application.
 */
/** An append's one statement: the event's pending row, with the names it records in a CTE when it has any. */
function isAuditAppend(text: string): boolean {
  return text.startsWith('INSERT INTO audit_pending') || text.startsWith('WITH recorded_names AS ( INSERT INTO recorded_name');
}

function expectAppendsLinkedAtCommit(statements: string[], transactions: number): void {
  const commits = statements.flatMap((text, n) => (text === 'COMMIT' ? [n] : []));
  expect(commits, statements.join('\n')).toHaveLength(transactions);
  let begin = 0;
  for (const commit of commits) {
    expect(statements.slice(begin, commit).some((text) => isAuditAppend(text)), statements.join('\n')).toBe(true);
    begin = commit + 1;
  }
  expect(statements.filter((text) => text.includes('audit_head')), statements.join('\n')).toEqual([]);
}

const JUSTIFICATION = 'Lost phone, needs to register a new authenticator';

describe('statements per create and per issue on PostgreSQL', () => {
  const databases = useTestDatabases();
  let local: LocalTenant;
  let testDb: TestDb;
  let pool: pg.Pool;
  let db: PrismaClient;
  let actor: ReturnType<typeof actorsFor>;
  const capture = capturingContext();
  const sent: string[] = [];

  beforeAll(async () => {
    local = await startLocalTenant(lifecycleSeed());
    testDb = await databases.open('postgres');
    await storePolicy(testDb.prisma, { maxIssuancesPerManagerPerDay: 1000 });
    pool = new pg.Pool({ connectionString: testDb.url, max: 4 });
    // Every statement of every connection the adapter takes from the pool passes through here.
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as { query: unknown }).query = (...args: unknown[]) => {
        const [text] = args;
        sent.push(typeof text === 'string' ? text : String((text as { text?: unknown }).text));
        return query(...args);
      };
    });
    db = new PrismaClient({ adapter: new PrismaPg(pool) });
    actor = actorsFor(local);
  });

  afterAll(async () => {
    await db?.$disconnect();
    await pool?.end();
    await testDb?.close();
    await local?.close();
  });

  async function counted<T>(run: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    sent.length = 0;
    const result = await run();
    return { result, statements: sent.splice(0).map((text) => text.replace(/\s+/g, ' ').trim().slice(0, 160)) };
  }

  const create = async (requester: string, target: string) =>
    requestTap(await actor(requester), { targetUserId: local.userId(target), justification: JUSTIFICATION }, capture.ctx(), { db });

  test('an auto-approved create, then its issue', async () => {
    await create('mgr', 'report'); // warms the pool and the tenant's caches; not counted
    const made = await counted(() => create('mgr', 'report'));
    expect(made.result.status).toBe('approved');
    const issued = await counted(async () => issueTap(await actor('mgr'), { id: made.result.id }, capture.ctx(), { db }));
    expect(issued.result.methodId).toEqual(expect.any(String));

    expect(made.statements.length, made.statements.join('\n')).toBeLessThanOrEqual(MAX_STATEMENTS.createAutoApproved);
    expect(issued.statements.length, issued.statements.join('\n')).toBeLessThanOrEqual(MAX_STATEMENTS.issue);
    expectAppendsLinkedAtCommit(made.statements, 1);
    expectAppendsLinkedAtCommit(issued.statements, 2);
    expect((await verifyAuditChain(testDb.prisma)).ok).toBe(true);
  });

  test('a create that waits for an approver', async () => {
    const made = await counted(() => create('ceo', 'report'));
    expect(made.result.status).toBe('pending_approval');
    expect(made.statements.length, made.statements.join('\n')).toBeLessThanOrEqual(MAX_STATEMENTS.createPending);
    expectAppendsLinkedAtCommit(made.statements, 1);
  });
});
