/**
 * Step-up with a Conditional Access authentication context: the pure predicate, then the use
 * cases against the local tenant (Graph over HTTPS) and a fresh migrated database per test
 * (PGlite, or PostgreSQL with TEST_DATABASE_URL). Tokens are the tenant's own (password grant),
 * and — for a sign-in that satisfied the context — the same token with `acrs` added, signed with
 * the tenant's key (`withAuthContexts`); the portal's token validation builds every actor.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import type { Actor } from '@/lib/auth/actor';
import { verifyAccessToken } from '@/lib/auth/verify-access-token';
import { approveTapRequest } from '@/lib/broker/approve-tap-request';
import { denyTapRequest } from '@/lib/broker/deny-tap-request';
import { enableDefaultStepUp } from '@/lib/broker/enable-default-step-up';
import { BrokerError } from '@/lib/core/errors';
import { getHealthDetails } from '@/lib/broker/get-health-details';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { getPolicyLimits } from '@/lib/broker/get-policy-limits';
import { issueTap } from '@/lib/broker/issue-tap';
import { getDefaultPolicy, type BrokerPolicy } from '@/lib/broker/policy';
import { requestTap } from '@/lib/broker/request-tap';
import { getStepUpChallenge, getStepUpError, getStepUpRequiredFor, STEP_UP_MAX_AGE_SECONDS, type StepUpAction } from '@/lib/broker/step-up';
import { getClaimsRequest, getStepUpWwwAuthenticate } from '@/lib/http/claims-challenge';
import { capturingContext, dumpDatabaseText, graphRoundTrips, lifecycleSeed, storePolicy, tapCreates } from '@/lib/testing/tap-requests';
import { restorePolicyVersion } from '@/lib/broker/restore-policy-version';
import { updatePolicy } from '@/lib/broker/update-policy';
import type { PrismaClient } from '@/lib/db/generated/client';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { startLocalTenant, withAuthContexts, type LocalTenant } from '@/lib/testing/local-tenant';

const ACTIONS: StepUpAction[] = ['issue', 'approve', 'deny', 'policy'];
const NOW_MS = Date.parse('2026-12-01T09:00:00Z');
const token = (authContexts: string[], ageSeconds = 30) => ({ authContexts, tokenIssuedAt: NOW_MS / 1000 - ageSeconds });
const policyWith = (stepUpAuthContextId: string | null, stepUpActions: BrokerPolicy['stepUpActions'] = []) => ({
  ...getDefaultPolicy(),
  stepUpAuthContextId,
  stepUpActions,
});

describe('getStepUpChallenge (pure)', () => {
  it('no context set: nothing ever needs step-up, whatever the actions list says', () => {
    for (const action of ACTIONS) {
      expect(getStepUpChallenge(token([]), policyWith(null, ['approve', 'policy']), action, NOW_MS)).toBeNull();
    }
    expect(getStepUpRequiredFor(policyWith(null, ['approve', 'policy']))).toEqual([]);
  });

  it('issue always; approve covers deny; policy only when listed', () => {
    const cases: [BrokerPolicy['stepUpActions'], StepUpAction[]][] = [
      [[], ['issue']],
      [['approve'], ['issue', 'approve', 'deny']],
      [['policy'], ['issue', 'policy']],
      [['approve', 'policy'], ['issue', 'approve', 'deny', 'policy']],
    ];
    for (const [listed, covered] of cases) {
      const policy = policyWith('c4', listed);
      expect(getStepUpRequiredFor(policy)).toEqual(covered);
      for (const action of ACTIONS) {
        const expected = covered.includes(action) ? { authContextId: 'c4', stepUp: 'not-proven', proofAgeSeconds: 30 } : null;
        expect(getStepUpChallenge(token([]), policy, action, NOW_MS), `${listed.join('+')} ${action}`).toEqual(expected);
        // The token proving the context passes every action; proving another one passes none.
        expect(getStepUpChallenge(token(['c4']), policy, action, NOW_MS)).toBeNull();
        expect(getStepUpChallenge(token(['c40', 'c1', 'C4']), policy, action, NOW_MS)).toEqual(expected);
      }
    }
  });

  it('the proof must be recent: a token issued more than fifteen minutes ago (Entra backdates iat by five) is challenged again', () => {
    const policy = policyWith('c1', ['approve']);
    expect(STEP_UP_MAX_AGE_SECONDS).toBe(900);
    expect(getStepUpChallenge(token(['c1'], 900), policy, 'issue', NOW_MS)).toBeNull();
    expect(getStepUpChallenge(token(['c1'], -60), policy, 'approve', NOW_MS)).toBeNull();
    expect(getStepUpChallenge(token(['c1'], 901), policy, 'issue', NOW_MS)).toEqual({ authContextId: 'c1', stepUp: 'too-old', proofAgeSeconds: 901 });
    expect(getStepUpChallenge({ authContexts: ['c1'], tokenIssuedAt: null }, policy, 'deny', NOW_MS)).toEqual({
      authContextId: 'c1',
      stepUp: 'too-old',
      proofAgeSeconds: null,
    });
    // An old token is no problem where no step-up is asked for.
    expect(getStepUpChallenge(token([], 3000), policy, 'policy', NOW_MS)).toBeNull();
    expect(getStepUpError({ authContextId: 'c1', stepUp: 'too-old', proofAgeSeconds: 700 }, 'issue').detail).toContain('recent second factor (within 15 minutes)');
  });

  it('the challenge header is exactly the claims-challenge pattern, claims base64url without padding', () => {
    const header = getStepUpWwwAuthenticate('c1');
    expect(header).toBe(
      'Bearer realm="", error="insufficient_claims", error_description="A claims challenge is required for this action", ' +
        'claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiYzEifX19"',
    );
    const claims = /claims="([A-Za-z0-9_-]+)"/.exec(header)?.[1] ?? '';
    expect(Buffer.from(claims, 'base64url').toString('utf8')).toBe('{"access_token":{"acrs":{"essential":true,"value":"c1"}}}');
    expect(getClaimsRequest('c99')).toBe('{"access_token":{"acrs":{"essential":true,"value":"c99"}}}');
  });
});

let local: LocalTenant;
let testDb: TestDb;
let db: PrismaClient;
const capture = capturingContext();
const passes: string[] = [];
const JUSTIFICATION = 'Lost phone, needs to register a new authenticator';

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeed());
});

beforeEach(async () => {
  testDb = await createTestDb();
  db = testDb.prisma;
  await storePolicy(db, { maxIssuancesPerManagerPerDay: 1000 });
});

afterEach(async () => {
  await testDb?.close();
});

afterAll(async () => {
  await local?.close();
});

const opts = () => ({ db });

/** The user's actor from the tenant's token; with `acrs`, from the same token proving those contexts. */
async function actor(name: string, acrs?: string[]): Promise<Actor> {
  const token = await local.getUserToken(name);
  return verifyAccessToken(`Bearer ${acrs === undefined ? token : await withAuthContexts(token, acrs)}`);
}

async function request(requester: string, target: string) {
  return requestTap(await actor(requester), { targetUserId: local.userId(target), justification: JUSTIFICATION }, capture.ctx(), opts());
}

async function refusal(promise: Promise<unknown>): Promise<BrokerError> {
  const caught = await promise.then(
    () => new Error('expected a refusal'),
    (error: unknown) => error,
  );
  if (!(caught instanceof BrokerError)) throw caught;
  return caught;
}

/** Everything the database holds that a refusal must leave alone, and the audit trail apart. */
async function state() {
  return {
    requests: await db.tapRequest.findMany({ orderBy: { id: 'asc' } }),
    policies: await db.policyVersion.findMany({ orderBy: { version: 'asc' } }),
    notifications: await db.notification.count(),
  };
}

async function eventsAfter(seq: bigint) {
  return db.auditEvent.findMany({ where: { seq: { gt: seq } }, orderBy: { seq: 'asc' } });
}

async function headSeq(): Promise<bigint> {
  return (await db.auditEvent.findFirst({ orderBy: { seq: 'desc' } }))?.seq ?? 0n;
}

describe('issue with step-up on', () => {
  it('a token without acrs: 401 step-up-required, audited, nothing changed, no Graph call; with acrs c1: the pass', async () => {
    await storePolicy(db, { stepUpAuthContextId: 'c1' });
    const created = await request('mgr', 'report');
    expect(created.status).toBe('approved');
    const mgr = await actor('mgr');
    expect(mgr.authContexts).toEqual([]);

    const before = await state();
    const seq = await headSeq();
    const graphBefore = graphRoundTrips(local);
    const createsBefore = tapCreates(local);
    const error = await refusal(issueTap(mgr, { id: created.id }, capture.ctx(), opts()));
    expect(error).toMatchObject({ code: 'step-up-required', status: 401, authContextId: 'c1' });
    expect(error.detail).toContain('second factor');
    expect(graphRoundTrips(local)).toBe(graphBefore);
    expect(tapCreates(local)).toBe(createsBefore);
    expect(await state()).toEqual(before);
    const refused = await eventsAfter(seq);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ type: 'tap_request.refused', actorId: mgr.id, targetId: local.userId('report'), requestId: created.id });
    const policyVersion = (await getCurrentPolicy(db)).version;
    expect(refused[0]?.data).toEqual({
      stage: 'issue',
      code: 'step-up-required',
      authContextId: 'c1',
      presentedAuthContexts: [],
      stepUp: 'not-proven',
      proofAgeSeconds: expect.any(Number),
      policyVersion,
      context: expect.objectContaining({ userAgent: 'vitest lifecycle' }),
    });

    // The same sign-in after the second factor: the pass, in the usual two round trips.
    const stepped = await actor('mgr', ['c1']);
    expect(stepped.authContexts).toEqual(['c1']);
    const graphAtIssue = graphRoundTrips(local);
    const issued = await issueTap(stepped, { id: created.id }, capture.ctx(), opts());
    passes.push(issued.temporaryAccessPass);
    expect(graphRoundTrips(local) - graphAtIssue).toBe(2);
    expect(tapCreates(local) - createsBefore).toBe(1);
    expect(issued.temporaryAccessPass).toMatch(/^\S{8,}$/);
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: 'issued', methodId: issued.methodId });
    expect((await eventsAfter(seq)).map((event) => event.type)).toEqual(['tap_request.refused', 'tap.issue_started', 'tap.issued']);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
    const kept = await dumpDatabaseText(db);
    expect(kept).not.toContain(issued.temporaryAccessPass);
    expect(kept).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\./);
  });

  it('another context in acrs does not count, and the refusal records what the token did prove', async () => {
    await storePolicy(db, { stepUpAuthContextId: 'c1' });
    const created = await request('mgr', 'report');
    const seq = await headSeq();
    expect(await refusal(issueTap(await actor('mgr', ['c2', 'c10']), { id: created.id }, capture.ctx(), opts()))).toMatchObject({
      code: 'step-up-required',
    });
    const [event] = await eventsAfter(seq);
    expect(event?.data).toMatchObject({ code: 'step-up-required', authContextId: 'c1', presentedAuthContexts: ['c2', 'c10'] });
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: 'approved' });
  });

  it('a proof older than fifteen minutes is challenged again (audited as too-old); a fresh one gets the pass', async () => {
    await storePolicy(db, { stepUpAuthContextId: 'c1' });
    const created = await request('mgr', 'report');
    const seq = await headSeq();
    const before = await state();
    const token = await local.getUserToken('mgr');
    const stale = await verifyAccessToken(`Bearer ${await withAuthContexts(token, ['c1'], { issuedSecondsAgo: 16 * 60 })}`);
    expect(stale.authContexts).toEqual(['c1']);
    const error = await refusal(issueTap(stale, { id: created.id }, capture.ctx(), opts()));
    expect(error).toMatchObject({ code: 'step-up-required', status: 401, authContextId: 'c1' });
    expect(error.detail).toContain('recent second factor');
    expect(await state()).toEqual(before);
    const [event] = await eventsAfter(seq);
    expect(event?.data).toMatchObject({ code: 'step-up-required', stepUp: 'too-old', presentedAuthContexts: ['c1'] });
    expect((event?.data as { proofAgeSeconds: number }).proofAgeSeconds).toBeGreaterThanOrEqual(16 * 60);

    const fresh = await verifyAccessToken(`Bearer ${await withAuthContexts(token, ['c1'], { issuedSecondsAgo: 14 * 60 })}`);
    const issued = await issueTap(fresh, { id: created.id }, capture.ctx(), opts());
    passes.push(issued.temporaryAccessPass);
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: 'issued' });
  });

  it("someone else's or an unknown request is 404 before any challenge (nothing audited)", async () => {
    await storePolicy(db, { stepUpAuthContextId: 'c1' });
    const created = await request('mgr', 'report');
    const seq = await headSeq();
    for (const [who, id] of [
      ['other', created.id],
      ['mgr', '00000000-0000-4000-8000-0000000000ff'],
    ] as const) {
      expect(await refusal(issueTap(await actor(who), { id }, capture.ctx(), opts()))).toMatchObject({ code: 'not-found', status: 404 });
    }
    expect(await eventsAfter(seq)).toEqual([]);
  });

  it('comes before everything else: an approval that lapsed stays as it is until the second factor is shown', async () => {
    await storePolicy(db, { stepUpAuthContextId: 'c1' });
    const created = await request('mgr', 'report');
    await db.tapRequest.update({ where: { id: created.id }, data: { approvalExpiresAt: new Date(Date.now() - 60_000) } });
    const before = await state();
    expect(await refusal(issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts()))).toMatchObject({ code: 'step-up-required' });
    expect(await state()).toEqual(before);
    // With the second factor the usual rule applies: the approval has expired.
    expect(await refusal(issueTap(await actor('mgr', ['c1']), { id: created.id }, capture.ctx(), opts()))).toMatchObject({ code: 'conflict' });
    expect(await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: 'expired' });
  });

  it('step-up off (the default): a token without acrs gets the pass, in two round trips', async () => {
    const created = await request('mgr', 'report');
    const before = graphRoundTrips(local);
    const issued = await issueTap(await actor('mgr'), { id: created.id }, capture.ctx(), opts());
    passes.push(issued.temporaryAccessPass);
    expect(graphRoundTrips(local) - before).toBe(2);
  });
});

describe('approve and deny', () => {
  it('need step-up only when the policy lists approve', async () => {
    await storePolicy(db, { stepUpAuthContextId: 'c1', stepUpActions: [] });
    const first = await request('mgr', 'deep');
    expect(first.status).toBe('pending_approval');
    expect(await approveTapRequest(await actor('approver'), { id: first.id }, capture.ctx(), opts())).toMatchObject({ status: 'approved' });

    await storePolicy(db, { stepUpActions: ['approve'], requireApproval: 'always' });
    const second = await request('mgr', 'report2');
    expect(second.status).toBe('pending_approval');
    const approver = await actor('approver');
    const before = await state();
    const seq = await headSeq();
    const graphBefore = graphRoundTrips(local);
    expect(await refusal(approveTapRequest(approver, { id: second.id }, capture.ctx(), opts()))).toMatchObject({
      code: 'step-up-required',
      status: 401,
      authContextId: 'c1',
    });
    expect(await refusal(denyTapRequest(approver, { id: second.id, reason: 'Not now' }, capture.ctx(), opts()))).toMatchObject({
      code: 'step-up-required',
    });
    expect(graphRoundTrips(local)).toBe(graphBefore);
    expect(await state()).toEqual(before);
    const refused = await eventsAfter(seq);
    expect(refused.map((event) => [event.type, (event.data as { stage: string }).stage, event.requestId])).toEqual([
      ['tap_request.refused', 'approve', second.id],
      ['tap_request.refused', 'deny', second.id],
    ]);

    const stepped = await actor('approver', ['c1']);
    expect(await approveTapRequest(stepped, { id: second.id }, capture.ctx(), opts())).toMatchObject({ status: 'approved', decidedBy: stepped.id });
    expect((await eventsAfter(seq)).map((event) => event.type)).toEqual(['tap_request.refused', 'tap_request.refused', 'tap_request.approved']);
  });

  it('a decision the caller may not make is 403 first, with no challenge', async () => {
    await storePolicy(db, { stepUpAuthContextId: 'c1', stepUpActions: ['approve'] });
    // approvermgr asks for a pass for an indirect report; an approver may not decide their own request.
    const own = await request('approvermgr', 'approverdeep');
    expect(own.status).toBe('pending_approval');
    const seq = await headSeq();
    expect(await refusal(approveTapRequest(await actor('approvermgr'), { id: own.id }, capture.ctx(), opts()))).toMatchObject({ code: 'forbidden' });
    expect((await eventsAfter(seq)).map((event) => (event.data as { code: string }).code)).toEqual(['forbidden']);
  });

  it('deny with the context proved goes through', async () => {
    await storePolicy(db, { stepUpAuthContextId: 'c5', stepUpActions: ['approve'] });
    const created = await request('mgr', 'deep');
    expect(await denyTapRequest(await actor('approver', ['c5']), { id: created.id, reason: 'Call the service desk' }, capture.ctx(), opts())).toMatchObject({
      status: 'denied',
    });
  });
});

describe('policy changes', () => {
  const { version: _version, ...DEFAULTS } = getDefaultPolicy();

  it('need step-up only when the policy lists policy; the refusal stores nothing and asks Graph nothing', async () => {
    const admin = await actor('ceo');
    // Turning step-up on needs no second factor: the policy in force does not ask for one yet.
    const on = await updatePolicy(admin, { ...DEFAULTS, stepUpAuthContextId: 'c1', stepUpActions: ['approve'] }, capture.ctx(), opts());
    expect(on).toMatchObject({ stepUpAuthContextId: 'c1', stepUpActions: ['approve'] });
    // Approve listed, policy not: still no second factor for a change.
    const listed = await updatePolicy(admin, { ...DEFAULTS, stepUpAuthContextId: 'c1', stepUpActions: ['approve', 'policy'] }, capture.ctx(), opts());
    expect(listed.stepUpActions).toEqual(['approve', 'policy']);

    const before = await state();
    const seq = await headSeq();
    const graphBefore = graphRoundTrips(local);
    // Without the second factor nobody may switch it off — nor send a malformed body to find out.
    for (const body of [{ ...DEFAULTS, stepUpAuthContextId: null }, { nonsense: true }]) {
      expect(await refusal(updatePolicy(admin, body, capture.ctx(), opts()))).toMatchObject({ code: 'step-up-required', status: 401, authContextId: 'c1' });
    }
    expect(graphRoundTrips(local)).toBe(graphBefore);
    expect(await state()).toEqual(before);
    const refused = await eventsAfter(seq);
    expect(refused.map((event) => [event.type, event.actorId, event.requestId])).toEqual([
      ['policy.update_refused', admin.id, null],
      ['policy.update_refused', admin.id, null],
    ]);
    expect(refused[0]?.data).toMatchObject({ code: 'step-up-required', authContextId: 'c1', presentedAuthContexts: [], policyVersion: listed.version });

    const off = await updatePolicy(await actor('ceo', ['c1']), { ...DEFAULTS, stepUpAuthContextId: null }, capture.ctx(), opts());
    expect(off).toMatchObject({ stepUpAuthContextId: null, stepUpActions: [], version: listed.version + 1 });
    const updated = (await eventsAfter(seq)).at(-1);
    expect(updated?.type).toBe('policy.updated');
    expect(updated?.data).toMatchObject({
      changedFields: ['stepUpAuthContextId', 'stepUpActions'],
      before: { stepUpAuthContextId: 'c1', stepUpActions: ['approve', 'policy'] },
      after: { stepUpAuthContextId: null, stepUpActions: [] },
    });
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it('a restore needs step-up like a save, before its body is judged', async () => {
    await updatePolicy(await actor('ceo', ['c3']), { ...DEFAULTS, stepUpAuthContextId: 'c3', stepUpActions: ['policy'] }, capture.ctx(), opts());
    const before = await state();
    const seq = await headSeq();
    for (const body of [{ changeReason: 'Back to the defaults' }, {}]) {
      expect(await refusal(restorePolicyVersion(await actor('ceo'), 1, body, capture.ctx(), opts()))).toMatchObject({ code: 'step-up-required', authContextId: 'c3' });
    }
    expect(await state()).toEqual(before);
    expect((await eventsAfter(seq)).map((event) => event.type)).toEqual(['policy.update_refused', 'policy.update_refused']);
    const restored = await restorePolicyVersion(await actor('ceo', ['c3']), 1, { changeReason: 'Back to the defaults' }, capture.ctx(), opts());
    expect(restored).toMatchObject({ stepUpAuthContextId: null, stepUpActions: [] });
  });

  it('a body without the step-up fields keeps them', async () => {
    const admin = await actor('ceo', ['c2']);
    await updatePolicy(admin, { ...DEFAULTS, stepUpAuthContextId: 'c2', stepUpActions: ['policy'] }, capture.ctx(), opts());
    const { stepUpAuthContextId: _id, stepUpActions: _actions, ...older } = DEFAULTS;
    expect(await updatePolicy(admin, { ...older, maxDepth: 3 }, capture.ctx(), opts())).toMatchObject({
      maxDepth: 3,
      stepUpAuthContextId: 'c2',
      stepUpActions: ['policy'],
    });
  });
});

describe('enableDefaultStepUp (the demo start)', () => {
  it('only while the policy is the built-in version 1: a version by system, audited like any change', async () => {
    const fresh = await createTestDb();
    try {
      expect((await getCurrentPolicy(fresh.prisma)).version).toBe(1);
      const on = await enableDefaultStepUp(fresh.prisma, 'c1', capture.ctx());
      expect(on).toEqual({ ...getDefaultPolicy(), stepUpAuthContextId: 'c1', stepUpActions: [], version: 2 });
      expect(await fresh.prisma.policyVersion.findUniqueOrThrow({ where: { version: 2 } })).toMatchObject({ createdBy: 'system' });
      const events = await fresh.prisma.auditEvent.findMany();
      expect(events.map((event) => [event.type, event.actorId])).toEqual([['policy.updated', 'system']]);
      expect(events[0]?.data).toMatchObject({ fromVersion: 1, toVersion: 2, changedFields: ['stepUpAuthContextId'], after: { stepUpAuthContextId: 'c1' } });
      // Once only, and never over a later version (an admin's choice).
      expect(await enableDefaultStepUp(fresh.prisma, 'c1', capture.ctx())).toBeNull();
      expect(await fresh.prisma.policyVersion.count()).toBe(2);
      expect(await fresh.prisma.auditEvent.count()).toBe(1);
      await expect(enableDefaultStepUp(fresh.prisma, 'c100', capture.ctx())).rejects.toThrow('not an authentication context id');
    } finally {
      await fresh.close();
    }
  });

  it('leaves a policy an admin already changed alone', async () => {
    // beforeEach stored version 2 (the quota); the policy is no longer the built-in one.
    const before = await state();
    expect(await enableDefaultStepUp(db, 'c1', capture.ctx())).toBeNull();
    expect(await state()).toEqual(before);
  });
});

describe('GET /api/policy/limits', () => {
  it('tells any signed-in user what needs step-up', async () => {
    const manager = await actor('mgr');
    expect(await getPolicyLimits(manager, capture.ctx(), opts())).toMatchObject({ stepUpAuthContextId: null, stepUpRequiredFor: [] });
    await storePolicy(db, { stepUpAuthContextId: 'c1' });
    expect(await getPolicyLimits(manager, capture.ctx(), opts())).toMatchObject({ stepUpAuthContextId: 'c1', stepUpRequiredFor: ['issue'] });
    await storePolicy(db, { stepUpActions: ['approve', 'policy'] });
    expect(await getPolicyLimits(manager, capture.ctx(), opts())).toMatchObject({
      stepUpAuthContextId: 'c1',
      stepUpRequiredFor: ['issue', 'approve', 'deny', 'policy'],
    });
  });
});

describe('GET /api/health/details', () => {
  it('warns while step-up is off, and names the context and actions once it is on', async () => {
    const admin = await actor('ceo');
    const off = (await getHealthDetails(admin, capture.ctx(), opts())).checks.find((check) => check.id === 'step-up');
    expect(off).toMatchObject({ status: 'warn', fix: expect.stringContaining('stepUpAuthContextId') });
    await storePolicy(db, { stepUpAuthContextId: 'c1', stepUpActions: ['approve'] });
    expect((await getHealthDetails(admin, capture.ctx(), opts())).checks.find((check) => check.id === 'step-up')).toEqual({
      id: 'step-up',
      status: 'ok',
      detail: 'Authentication context c1 is required for: issue, approve, deny.',
      fix: null,
    });
  });
});

describe('secrets', () => {
  it('no pass and no token reached the logs of any test above', () => {
    expect(passes.length).toBeGreaterThan(0);
    const logged = capture.lines.join('');
    expect(logged).toContain('step-up required');
    for (const pass of passes) expect(logged).not.toContain(pass);
    expect(logged).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\./);
  });
});
