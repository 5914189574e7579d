/**
 * What became of issued passes, observed in Graph and recorded once for the compliance trail:
 * a one-time pass really signed in with, one deleted outside the broker, one past its expiry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { issueTap } from '@/lib/broker/issue-tap';
import { recordPassOutcomes } from '@/lib/broker/record-pass-outcomes';
import { requestTap } from '@/lib/broker/request-tap';
import { actorsFor, capturingContext, graphRoundTrips, lifecycleSeed, signInWithPass } from '@/lib/testing/tap-requests';
import type { PrismaClient } from '@/lib/db/generated/client';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';

let local: LocalTenant;
let testDb: TestDb;
let db: PrismaClient;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeed());
  testDb = await createTestDb();
  db = testDb.prisma;
  actor = actorsFor(local);
});

afterAll(async () => {
  await testDb?.close();
  await local?.close();
});

async function issueFor(target: string): Promise<{ id: string; pass: string; methodId: string }> {
  const mgr = await actor('mgr');
  const created = await requestTap(mgr, { targetUserId: local.userId(target), justification: 'Lost phone, needs a new authenticator' }, capture.ctx(), { db });
  const issued = await issueTap(mgr, { id: created.id }, capture.ctx(), { db });
  return { id: created.id, pass: issued.temporaryAccessPass, methodId: issued.methodId };
}

async function deleteInGraph(target: string, methodId: string): Promise<void> {
  const token = await local.getAppToken(`${local.url}/.default`);
  const response = await fetch(`${local.url}/graph/v1.0/users/${local.userId(target)}/authentication/temporaryAccessPassMethods/${methodId}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(204);
}

describe('recordPassOutcomes', () => {
  it('records used, removed and expired passes once each, in one batched read, and leaves live ones', async () => {
    const used = await issueFor('report');
    const removed = await issueFor('report2');
    const live = await issueFor('report3');
    expect(await signInWithPass(local, 'report', used.pass)).toBe(200);
    await deleteInGraph('report2', removed.methodId);

    const before = graphRoundTrips(local);
    expect(await recordPassOutcomes(capture.ctx(), { db })).toEqual({ checked: 3, recorded: 2 });
    expect(graphRoundTrips(local) - before).toBe(1);
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: used.id } })).toMatchObject({ status: 'issued', passOutcome: 'used' });
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: removed.id } })).toMatchObject({ passOutcome: 'removed' });
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: live.id } })).toMatchObject({ passOutcome: null });
    const events = await db.auditEvent.findMany({ where: { type: 'tap.outcome_observed' }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => [e.requestId, (e.data as { outcome: string }).outcome])).toEqual([
      [used.id, 'used'],
      [removed.id, 'removed'],
    ]);

    // Once each: a second run finds only the live pass, and records nothing.
    expect(await recordPassOutcomes(capture.ctx(), { db })).toEqual({ checked: 1, recorded: 0 });

    // Later, the live pass is gone after its expiry: recorded as expired, not as removed.
    await deleteInGraph('report3', live.methodId);
    const afterExpiry = new Date(Date.now() + 2 * 24 * 60 * 60_000);
    expect(await recordPassOutcomes(capture.ctx(), { db, now: afterExpiry })).toEqual({ checked: 1, recorded: 1 });
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: live.id } })).toMatchObject({ passOutcome: 'expired' });

    // The trail still verifies, and no pass appears in it.
    expect((await verifyAuditChain(db)).ok).toBe(true);
    const text = JSON.stringify((await db.auditEvent.findMany()).map((e) => ({ ...e, seq: String(e.seq) })));
    for (const pass of [used.pass, removed.pass, live.pass]) expect(text).not.toContain(pass);
  });
});
