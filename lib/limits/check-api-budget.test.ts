/**
 * The API budget on both databases (embedded and PostgreSQL), where concurrency could differ:
 * concurrent calls of one user are counted once each, exactly the budget gets through, and
 * exactly one `rate_limit.exceeded` event records the window, chained like any other event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import type { Actor } from '@/lib/auth/actor';
import { BrokerError } from '@/lib/core/errors';
import { checkApiBudget, getApiBudgetKey } from '@/lib/limits/check-api-budget';
import { DB_KINDS, testRequestContext, useTestDatabases } from '@/lib/testing/audit';
import type { TestDb } from '@/lib/testing/db';

const budget = { perUser: 5, windowSeconds: 3600 };

function actor(id: string): Actor {
  return { id, tenantId: 't', displayName: 'Cal Ler', userPrincipalName: 'caller@contoso.test', roles: [], authContexts: [], tokenIssuedAt: null };
}

describe.each(DB_KINDS)('checkApiBudget on %s', (kind) => {
  const databases = useTestDatabases();
  let db: TestDb;
  beforeAll(async () => {
    db = await databases.open(kind);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('lets the budget through, refuses the rest with rate-limited, and audits the window once', async () => {
    const caller = actor(crypto.randomUUID());
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => checkApiBudget(caller, testRequestContext(`req-${i}`), { db: db.prisma, budget })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(budget.perUser);
    const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    expect(refusals).toHaveLength(30 - budget.perUser);
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(BrokerError);
      expect(refusal).toMatchObject({ code: 'rate-limited', status: 429 });
      const seconds = (refusal as BrokerError).retryAfterSeconds ?? 0;
      expect(Number.isInteger(seconds) && seconds >= 1 && seconds <= budget.windowSeconds).toBe(true);
    }

    const events = await db.prisma.auditEvent.findMany({ where: { type: 'rate_limit.exceeded', actorId: caller.id } });
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ budget: 'api', limit: budget.perUser, windowSeconds: budget.windowSeconds, context: { ip: '127.0.0.1', userAgent: 'vitest' } });
    expect((await verifyAuditChain(db.prisma)).ok).toBe(true);
    // Refused calls are counted too: knocking does not get a client in sooner.
    const windows = await db.prisma.rateWindow.findMany({ where: { key: getApiBudgetKey(caller) } });
    expect(windows.map((w) => w.hits)).toEqual([30]);
  });
});
