/**
 * Tracking after issuance against the local tenant: passes issued for real, one signed in with
 * (ROPC accepts a TAP), one revoked — and every state read back in ONE Graph `$batch` round trip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPassStatuses, toPassState } from '@/lib/broker/get-pass-status';
import { issueTap } from '@/lib/broker/issue-tap';
import { requestTap } from '@/lib/broker/request-tap';
import { revokeTap } from '@/lib/broker/revoke-tap';
import { actorsFor, capturingContext, lifecycleSeed, signInWithPass as signInWithPassAt } from '@/lib/testing/tap-requests';
import type { PrismaClient } from '@/lib/db/generated/client';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import type { TapMethodInfo } from '@/lib/graph/get-target-facts';
import { startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';

let local: LocalTenant;
let testDb: TestDb;
let db: PrismaClient;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();
const JUSTIFICATION = 'Lost phone, needs to register a new authenticator';
const signInWithPass = (name: string, pass: string) => signInWithPassAt(local, name, pass);

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

const method = (patch: Partial<TapMethodInfo>): TapMethodInfo => ({
  id: 'm1',
  createdDateTime: null,
  startDateTime: null,
  lifetimeInMinutes: 60,
  isUsableOnce: true,
  isUsable: true,
  methodUsabilityReason: 'EnabledByPolicy',
  ...patch,
});

describe('toPassState', () => {
  it('maps each methodUsabilityReason, a missing method and an unanswered user', () => {
    expect(toPassState(method({}), [method({})])).toBe('usable');
    expect(toPassState(method({ isUsable: false, methodUsabilityReason: 'NotYetValid' }), [])).toBe('not-yet-valid');
    expect(toPassState(method({ isUsable: false, methodUsabilityReason: 'Expired' }), [])).toBe('expired');
    expect(toPassState(method({ isUsable: false, methodUsabilityReason: 'OneTimeUsed' }), [])).toBe('used');
    expect(toPassState(method({ isUsable: false, methodUsabilityReason: 'DisabledByPolicy' }), [])).toBe('disabled-by-policy');
    expect(toPassState(method({ isUsable: false, methodUsabilityReason: 'SomethingNew' }), [])).toBe('unknown');
    expect(toPassState(undefined, [])).toBe('gone');
    expect(toPassState(undefined, null)).toBe('unknown');
  });
});

async function issueFor(requester: string, target: string): Promise<{ id: string; pass: string }> {
  const created = await requestTap(await actor(requester), { targetUserId: local.userId(target), justification: JUSTIFICATION }, capture.ctx(), { db });
  expect(created.status).toBe('approved');
  const issued = await issueTap(await actor(requester), { id: created.id }, capture.ctx(), { db });
  return { id: created.id, pass: issued.temporaryAccessPass };
}

function graphCounts(): Record<string, number> {
  return { ...local.tenant.ctx.stats.graph };
}

describe('getPassStatuses', () => {
  it('reads usable, used and revoked passes in one $batch, and changes nothing', async () => {
    const usable = await issueFor('mgr', 'report');
    const used = await issueFor('mgr', 'report2');
    const revoked = await issueFor('mgr', 'report3');
    expect(await signInWithPass('report2', used.pass)).toBe(200);
    await revokeTap(await actor('mgr'), { id: revoked.id }, capture.ctx(), { db });

    const rowsBefore = await db.tapRequest.findMany({ orderBy: { id: 'asc' } });
    const eventsBefore = await db.auditEvent.count();
    const before = graphCounts();
    const { statuses } = await getPassStatuses(await actor('mgr'), { scope: 'mine' }, capture.ctx(), { db });
    const after = graphCounts();

    const byId = new Map(statuses.map((s) => [s.requestId, s]));
    expect(byId.get(usable.id)).toEqual({ requestId: usable.id, state: 'usable', methodUsabilityReason: 'EnabledByPolicy', revocable: true });
    expect(byId.get(used.id)).toEqual({ requestId: used.id, state: 'used', methodUsabilityReason: 'OneTimeUsed', revocable: false });
    expect(byId.get(revoked.id)).toEqual({ requestId: revoked.id, state: 'revoked', methodUsabilityReason: null, revocable: false });
    expect(statuses).toHaveLength(3);

    // Exactly one Graph round trip, and it is a $batch: never one request per person.
    const grown = Object.entries(after).filter(([key, n]) => n !== (before[key] ?? 0));
    expect(grown).toHaveLength(1);
    expect(grown[0]?.[0]).toMatch(/\$batch/);
    expect((grown[0]?.[1] ?? 0) - (before[grown[0]?.[0] ?? ''] ?? 0)).toBe(1);

    // Read-only: requests and the audit trail are as they were.
    expect(await db.tapRequest.findMany({ orderBy: { id: 'asc' } })).toEqual(rowsBefore);
    expect(await db.auditEvent.count()).toBe(eventsBefore);
  });

  it('scope all is for admins; a manager with nothing issued costs no Graph call', async () => {
    await expect(getPassStatuses(await actor('mgr'), { scope: 'all' }, capture.ctx(), { db })).rejects.toMatchObject({ code: 'forbidden' });
    const all = await getPassStatuses(await actor('ceo'), { scope: 'all' }, capture.ctx(), { db });
    expect(all.statuses.length).toBeGreaterThanOrEqual(3);
    expect(new Set(all.statuses.map((s) => s.state))).toEqual(new Set(['usable', 'used', 'revoked']));

    const before = graphCounts();
    expect((await getPassStatuses(await actor('other'), { scope: 'mine' }, capture.ctx(), { db })).statuses).toEqual([]);
    expect(graphCounts()).toEqual(before);
  });

  it('a pass deleted in Graph outside the broker reads as gone and is not offered for revoke', async () => {
    const issued = await issueFor('mgr', 'report4');
    const row = await db.tapRequest.findUniqueOrThrow({ where: { id: issued.id } });
    const token = await local.getAppToken(`${local.url}/.default`);
    const deleted = await fetch(
      `${local.url}/graph/v1.0/users/${local.userId('report4')}/authentication/temporaryAccessPassMethods/${row.methodId}`,
      { method: 'DELETE', headers: { authorization: `Bearer ${token}` } },
    );
    expect(deleted.status).toBe(204);
    const { statuses } = await getPassStatuses(await actor('mgr'), { scope: 'mine' }, capture.ctx(), { db });
    expect(statuses.find((s) => s.requestId === issued.id)).toMatchObject({ state: 'gone', revocable: false });
  });
});
