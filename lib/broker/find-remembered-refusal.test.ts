/**
 * Refusal memory, end to end: `requestTap` against the local tenant (its Graph request counter
 * shows whether Graph was read) and a fresh migrated database. Each test uses its own caller and
 * target, because a refusal one test causes is remembered for the next.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { toRepeatableRefusal } from '@/lib/broker/find-remembered-refusal';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { requestTap } from '@/lib/broker/request-tap';
import type { AuditEvent, PrismaClient } from '@/lib/db/generated/client';
import { resetEnvForTests } from '@/lib/env';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { permissionsWithout, setBrokerPermissions } from '@/lib/testing/eligibility';
import { BROKER_GRAPH_PERMISSIONS, startLocalTenant, TEST_DOMAIN, type LocalTenant } from '@/lib/testing/local-tenant';
import { actorsFor, capturingContext, graphRoundTrips, lifecycleSeed, moveUser, setFaults, storePolicy } from '@/lib/testing/tap-requests';
import { defaultFaults } from '@/tenant/faults';

const JUSTIFICATION = 'Lost phone, needs to register a new authenticator';
const MEMORY_SECONDS = 30;

let local: LocalTenant;
let testDb: TestDb;
let db: PrismaClient;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();
const savedMemory = process.env.REFUSAL_MEMORY_SECONDS;

function setMemorySeconds(value: string | undefined): void {
  if (value === undefined) delete process.env.REFUSAL_MEMORY_SECONDS;
  else process.env.REFUSAL_MEMORY_SECONDS = value;
  resetEnvForTests();
}

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeed());
  // Whatever the shell running the tests says: these tests are about the window.
  setMemorySeconds(String(MEMORY_SECONDS));
  testDb = await createTestDb();
  db = testDb.prisma;
  actor = actorsFor(local);
});

afterEach(() => {
  Object.assign(local.tenant.ctx.faults, defaultFaults());
  setBrokerPermissions(local, BROKER_GRAPH_PERMISSIONS);
  setMemorySeconds(String(MEMORY_SECONDS));
});

afterAll(async () => {
  setMemorySeconds(savedMemory);
  await testDb?.close();
  await local?.close();
});

/** What `requester` asking for `target` (a user's short name, or any reference) got, and how many Graph round trips it cost. */
async function ask(requester: string, target: string, options: { now?: Date } = {}) {
  const targetUserId = target.includes('@') || target.includes('-') ? target : local.userId(target);
  const before = graphRoundTrips(local);
  const outcome = await requestTap(await actor(requester), { targetUserId, justification: JUSTIFICATION }, capture.ctx(), { db, ...options }).then(
    (view) => ({ ok: true as const, status: view.status }),
    (error: unknown) => {
      const { code, status, message, reasons } = error as { code: string; status: number; message: string; reasons?: string[] };
      return { ok: false as const, code, status, message, reasons };
    },
  );
  return { outcome, graphRoundTrips: graphRoundTrips(local) - before };
}

async function refusalsBy(requester: string): Promise<AuditEvent[]> {
  return db.auditEvent.findMany({ where: { actorId: (await actor(requester)).id, type: 'tap_request.refused' }, orderBy: { seq: 'asc' } });
}

const dataOf = (event: AuditEvent | undefined) => event?.data as Record<string, unknown> | undefined;

describe('a repeated refusal within REFUSAL_MEMORY_SECONDS', () => {
  it('gets the same answer without a Graph request, audited as remembered from the Graph-backed event', async () => {
    const first = await ask('other', 'report');
    expect(first.outcome).toMatchObject({ ok: false, code: 'not-in-reporting-chain', status: 403 });
    expect(first.graphRoundTrips).toBeGreaterThan(0);

    const second = await ask('other', 'report');
    const third = await ask('other', 'report');
    expect(second).toEqual({ outcome: first.outcome, graphRoundTrips: 0 });
    expect(third).toEqual({ outcome: first.outcome, graphRoundTrips: 0 });

    const [original, again, thirdTime] = await refusalsBy('other');
    const policy = await getCurrentPolicy(db);
    expect(original?.targetId).toBe(local.userId('report'));
    expect(dataOf(original)).toMatchObject({ stage: 'create', code: 'not-in-reporting-chain', policyVersion: policy.version, graphRequestId: expect.any(String) });
    expect(dataOf(original)).not.toHaveProperty('rememberedFromSeq');
    // Same target and answer; no Graph request id, because Graph was not asked; the source is
    // always the Graph-backed event, never a remembered one, so the window cannot extend itself.
    for (const event of [again, thirdTime]) {
      expect(event?.targetId).toBe(original?.targetId);
      expect(dataOf(event)).toEqual({
        stage: 'create',
        code: 'not-in-reporting-chain',
        policyVersion: policy.version,
        rememberedFromSeq: Number(original?.seq),
        context: expect.any(Object),
      });
    }
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('repeats an ineligible target’s reasons and chain evidence', async () => {
    const first = await ask('mgr', 'guest');
    expect(first.outcome).toMatchObject({ ok: false, code: 'target-ineligible', status: 422, reasons: ['guest'] });
    const second = await ask('mgr', 'guest');
    expect(second).toEqual({ outcome: first.outcome, graphRoundTrips: 0 });
    const [original, again] = (await refusalsBy('mgr')).filter((e) => e.targetId === local.userId('guest'));
    expect(dataOf(again)).toMatchObject({ code: 'target-ineligible', reasons: ['guest'], chain: dataOf(original)?.chain, rememberedFromSeq: Number(original?.seq) });
  });

  it('matches the target as it was asked for: an unknown GUID or UPN, and a UPN Graph resolved to an id', async () => {
    const unknownGuid = 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9';
    const unknownUpn = `nobody.here@${TEST_DOMAIN}`;
    for (const reference of [unknownGuid, unknownUpn]) {
      const first = await ask('report2', reference);
      expect(first.outcome).toMatchObject({ ok: false, code: 'not-in-reporting-chain' });
      expect(first.graphRoundTrips).toBeGreaterThan(0);
      // Case and spaces do not make it another target.
      expect(await ask('report2', ` ${reference.toUpperCase()} `)).toEqual({ outcome: first.outcome, graphRoundTrips: 0 });
    }

    const upn = `elsewhere@${TEST_DOMAIN}`;
    const byUpn = await ask('report2', upn);
    expect(byUpn.graphRoundTrips).toBeGreaterThan(0);
    const [refusal] = (await refusalsBy('report2')).filter((e) => e.targetId === local.userId('elsewhere'));
    expect(dataOf(refusal)).toMatchObject({ targetReference: upn });
    expect(await ask('report2', upn)).toEqual({ outcome: byUpn.outcome, graphRoundTrips: 0 });
    expect(await ask('report2', 'elsewhere')).toEqual({ outcome: byUpn.outcome, graphRoundTrips: 0 });
  });

  it('is kept for the window only: a directory change shows once it has passed, not before', async () => {
    const refused = await ask('approvermgr', 'elsewhere');
    expect(refused.outcome).toMatchObject({ ok: false, code: 'not-in-reporting-chain' });
    await moveUser(local, 'elsewhere', 'approvermgr');
    try {
      const [original] = await refusalsBy('approvermgr');
      const at = original!.at.getTime();
      // The trade-off this buys: inside the window the move is not seen yet.
      expect(await ask('approvermgr', 'elsewhere', { now: new Date(at + (MEMORY_SECONDS - 1) * 1000) })).toEqual({ outcome: refused.outcome, graphRoundTrips: 0 });
      const later = await ask('approvermgr', 'elsewhere', { now: new Date(at + (MEMORY_SECONDS + 1) * 1000) });
      expect(later.outcome).toEqual({ ok: true, status: 'approved' });
      expect(later.graphRoundTrips).toBeGreaterThan(0);
    } finally {
      await moveUser(local, 'elsewhere', 'other');
    }
  });
});

describe('Graph is read again', () => {
  it('after a policy change, at once', async () => {
    const { maxDepth } = await getCurrentPolicy(db);
    await storePolicy(db, { maxDepth: 1 });
    try {
      expect((await ask('mgr', 'deep')).outcome).toMatchObject({ ok: false, code: 'not-in-reporting-chain' });
      expect((await ask('mgr', 'deep')).graphRoundTrips).toBe(0);
    } finally {
      await storePolicy(db, { maxDepth });
    }
    const after = await ask('mgr', 'deep');
    expect(after.outcome).toMatchObject({ ok: true });
    expect(after.graphRoundTrips).toBeGreaterThan(0);
  });

  it('for another caller, and for another target', async () => {
    expect((await ask('report', 'elsewhere')).outcome).toMatchObject({ ok: false, code: 'not-in-reporting-chain' });
    const otherCaller = await ask('report3', 'elsewhere');
    const otherTarget = await ask('report', 'approverreport');
    for (const answer of [otherCaller, otherTarget]) {
      expect(answer.outcome).toMatchObject({ ok: false, code: 'not-in-reporting-chain' });
      expect(answer.graphRoundTrips).toBeGreaterThan(0);
    }
  });

  it('after Graph could not be reached: a 503 is no refusal and nothing is remembered', async () => {
    setFaults(local, { unavailableNext: 10, retryAfterSeconds: 0 });
    expect((await ask('deep', 'elsewhere')).outcome).toMatchObject({ ok: false, code: 'upstream-unavailable', status: 503 });
    Object.assign(local.tenant.ctx.faults, defaultFaults());
    expect(await refusalsBy('deep')).toEqual([]);
    const answered = await ask('deep', 'elsewhere');
    expect(answered.outcome).toMatchObject({ ok: false, code: 'not-in-reporting-chain' });
    expect(answered.graphRoundTrips).toBeGreaterThan(0);
  });

  it('after a refusal Graph could not decide (cannot-verify), and the target is eligible once it can', async () => {
    setBrokerPermissions(local, permissionsWithout('RoleManagement.Read.Directory'));
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const answer = await ask('mgr', 'report4');
      expect(answer.outcome).toMatchObject({ ok: false, code: 'target-ineligible', reasons: expect.arrayContaining(['cannot-verify']) });
      expect(answer.graphRoundTrips, `attempt ${attempt}`).toBeGreaterThan(0);
    }
    setBrokerPermissions(local, BROKER_GRAPH_PERMISSIONS);
    expect((await ask('mgr', 'report4')).outcome).toEqual({ ok: true, status: 'approved' });
  });

  it('for every success: a success is never remembered', async () => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const answer = await ask('mgr', 'report');
      expect(answer.outcome).toEqual({ ok: true, status: 'approved' });
      expect(answer.graphRoundTrips, `attempt ${attempt}`).toBe(1);
    }
  });

  it('always, with REFUSAL_MEMORY_SECONDS=0', async () => {
    setMemorySeconds('0');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const answer = await ask('approver', 'report');
      expect(answer.outcome).toMatchObject({ ok: false, code: 'not-in-reporting-chain' });
      expect(answer.graphRoundTrips, `attempt ${attempt}`).toBeGreaterThan(0);
    }
    const refusals = await refusalsBy('approver');
    expect(refusals).toHaveLength(2);
    expect(refusals.every((e) => dataOf(e)?.rememberedFromSeq === undefined)).toBe(true);
  });
});

describe('toRepeatableRefusal', () => {
  it('repeats what Graph decided and nothing else', () => {
    expect(toRepeatableRefusal('not-in-reporting-chain', undefined)).toEqual({ ok: false, code: 'not-in-reporting-chain' });
    expect(toRepeatableRefusal('target-ineligible', ['guest', 'privileged-role'])).toEqual({ ok: false, code: 'target-ineligible', reasons: ['guest', 'privileged-role'] });
    expect(toRepeatableRefusal('forbidden', ['requester-not-enabled-member'])).toEqual({ ok: false, code: 'forbidden', why: 'requester-not-enabled-member' });
    // What Graph could not see, a reason this version does not know, and refusals Graph did not decide.
    expect(toRepeatableRefusal('target-ineligible', ['guest', 'cannot-verify'])).toBeNull();
    expect(toRepeatableRefusal('target-ineligible', ['no-such-reason'])).toBeNull();
    expect(toRepeatableRefusal('target-ineligible', [])).toBeNull();
    expect(toRepeatableRefusal('forbidden', ['own-request'])).toBeNull();
    for (const code of ['rate-limited', 'validation-failed', 'step-up-required', 'conflict']) expect(toRepeatableRefusal(code, undefined), code).toBeNull();
  });
});
