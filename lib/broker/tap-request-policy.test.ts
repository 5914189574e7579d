import { describe, expect, it } from 'vitest';
import { APP_ROLES, type AppRole } from '@/lib/auth/actor';
import { INELIGIBLE_REASONS, type IneligibleReason } from '@/lib/broker/eligibility';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { getQuotaDecision, QUOTA_WINDOW_MS } from '@/lib/broker/quota';
import {
  canApprove,
  canRequestTapFor,
  checkJustification,
  getApprovalExpiry,
  getLifetimeBounds,
  isApprovalValid,
  requiresApproval,
  resolveTapRequestTerms,
  START_MAX_AHEAD_MS,
  START_PAST_TOLERANCE_MS,
} from '@/lib/broker/tap-request-policy';

const ME = 'aaaaaaaa-0000-4000-8000-000000000001';
const TARGET = 'bbbbbbbb-0000-4000-8000-000000000002';
const M1 = 'cccccccc-0000-4000-8000-000000000001';
const M2 = 'cccccccc-0000-4000-8000-000000000002';
const M3 = 'cccccccc-0000-4000-8000-000000000003';

const policy: BrokerPolicy = {
  maxDepth: null,
  requireApproval: 'indirect-only',
  defaultLifetimeInMinutes: 60,
  maxLifetimeInMinutes: 480,
  isUsableOnce: false,
  approvalValidityMinutes: 1440,
  maxIssuancesPerManagerPerDay: 20,
  maxPendingRequestsPerRequester: 10,
  allowedDirectoryRoleTemplateIds: [],
  protectedGroupIds: [],
  stepUpAuthContextId: null,
  stepUpActions: [],
  version: 1,
};
const tenant = { minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480, isUsableOnce: false };
const NOW = new Date('2030-05-01T12:00:00.000Z');

const ok = { target: { id: TARGET }, ineligibleReasons: [] as IneligibleReason[] };
const chainWithMeAt = (depth: number) => [M1, M2, M3].slice(0, depth - 1).map((id) => ({ id })).concat([{ id: ME }], [{ id: 'dddddddd-0000-4000-8000-00000000000f' }]);

describe('canRequestTapFor', () => {
  it.each([1, 2, 3, 4])('allows the requester at depth %i with unlimited maxDepth, storing the chain up to them', (depth) => {
    const result = canRequestTapFor({ id: ME }, chainWithMeAt(depth), ok, { maxDepth: null });
    expect(result).toEqual({ ok: true, depth, chain: [M1, M2, M3].slice(0, depth - 1).concat(ME) });
  });

  it.each([
    [1, 1, true],
    [1, 2, false],
    [2, 1, true],
    [2, 2, true],
    [2, 3, false],
    [3, 3, true],
    [3, 4, false],
  ])('maxDepth %i, requester at depth %i → allowed %s (boundary inclusive)', (maxDepth, depth, allowed) => {
    const result = canRequestTapFor({ id: ME }, chainWithMeAt(depth), ok, { maxDepth });
    expect(result.ok).toBe(allowed);
    if (!allowed) expect(result).toEqual({ ok: false, code: 'not-in-reporting-chain' });
  });

  it('compares ids case-insensitively', () => {
    expect(canRequestTapFor({ id: ME.toUpperCase() }, [{ id: ME }], ok, { maxDepth: 1 })).toMatchObject({ ok: true, depth: 1 });
  });

  it('refuses someone outside the chain, an empty chain, and an unknown target alike', () => {
    const expected = { ok: false, code: 'not-in-reporting-chain' };
    expect(canRequestTapFor({ id: ME }, [{ id: M1 }, { id: M2 }], ok, { maxDepth: null })).toEqual(expected);
    expect(canRequestTapFor({ id: ME }, [], ok, { maxDepth: null })).toEqual(expected);
    expect(canRequestTapFor({ id: ME }, [], { target: null, ineligibleReasons: [] }, { maxDepth: null })).toEqual(expected);
    // Even if a chain came with it, an unknown target is never more than "not in your chain".
    expect(canRequestTapFor({ id: ME }, [{ id: ME }], { target: null, ineligibleReasons: ['guest'] }, { maxDepth: null })).toEqual(expected);
  });

  it('does not disclose eligibility to someone outside the chain', () => {
    const result = canRequestTapFor({ id: ME }, [{ id: M1 }], { target: { id: TARGET }, ineligibleReasons: ['privileged-role'] }, { maxDepth: null });
    expect(result).toEqual({ ok: false, code: 'not-in-reporting-chain' });
  });

  it('refuses the requester as their own target with "self", even inside a manager cycle', () => {
    expect(canRequestTapFor({ id: ME }, [], { target: { id: ME }, ineligibleReasons: [] }, { maxDepth: null })).toEqual({
      ok: false,
      code: 'target-ineligible',
      reasons: ['self'],
    });
    expect(canRequestTapFor({ id: ME }, [{ id: M1 }, { id: ME }], { target: { id: ME.toUpperCase() }, ineligibleReasons: ['self', 'guest'] }, { maxDepth: null })).toEqual({
      ok: false,
      code: 'target-ineligible',
      reasons: ['self', 'guest'],
    });
  });

  it.each(INELIGIBLE_REASONS.filter((r) => r !== 'self'))('passes on the eligibility reason %s inside the chain', (reason) => {
    expect(canRequestTapFor({ id: ME }, [{ id: ME }], { target: { id: TARGET }, ineligibleReasons: [reason] }, { maxDepth: null })).toEqual({
      ok: false,
      code: 'target-ineligible',
      reasons: [reason],
    });
  });

  it.each([
    [{ accountEnabled: true, userType: 'Member' }, true],
    [{}, true],
    [{ accountEnabled: false, userType: 'Member' }, false],
    [{ accountEnabled: null }, false],
    [{ accountEnabled: true, userType: 'Guest' }, false],
    [{ userType: null }, false],
  ])('the requester’s own account, when Graph reported it (%j) → allowed %s', (state, allowed) => {
    const result = canRequestTapFor({ id: ME }, [{ id: M1, accountEnabled: false }, { id: ME, ...state }], ok, { maxDepth: null });
    if (allowed) expect(result).toMatchObject({ ok: true, depth: 2 });
    else expect(result).toEqual({ ok: false, code: 'forbidden', why: 'requester-not-enabled-member' });
  });

  it('uses the first occurrence of the requester when the chain has a cycle', () => {
    const chain = [{ id: M1 }, { id: ME }, { id: M2 }, { id: ME }];
    expect(canRequestTapFor({ id: ME }, chain, ok, { maxDepth: 2 })).toEqual({ ok: true, depth: 2, chain: [M1, ME] });
  });
});

describe('requiresApproval', () => {
  it.each([
    ['always', 1, true],
    ['always', 2, true],
    ['always', 7, true],
    ['never', 1, false],
    ['never', 2, false],
    ['never', 7, false],
    ['indirect-only', 1, false],
    ['indirect-only', 2, true],
    ['indirect-only', 7, true],
  ] as const)('%s at depth %i → %s', (mode, depth, expected) => {
    expect(requiresApproval({ requireApproval: mode }, depth)).toBe(expected);
  });
});

describe('resolveTapRequestTerms', () => {
  const resolve = (input: Parameters<typeof resolveTapRequestTerms>[0], overrides: Partial<BrokerPolicy> = {}, t = tenant, hire: string | null = null) =>
    resolveTapRequestTerms(input, { ...policy, ...overrides }, t, { employeeHireDate: hire }, NOW);

  it('fills in the defaults: broker default lifetime, multi-use allowed, start at issuance', () => {
    expect(resolve({})).toEqual({ ok: true, terms: { lifetimeInMinutes: 60, isUsableOnce: false, startDateTime: null } });
  });

  it.each([
    [59, false],
    [60, true],
    [480, true],
    [481, false],
    [120.5, false],
  ])('lifetime %s within [tenant min 60, broker max 480] → %s', (lifetimeInMinutes, allowed) => {
    const result = resolve({ lifetimeInMinutes });
    expect(result.ok).toBe(allowed);
    if (!result.ok) expect(result.errors).toEqual([{ path: 'lifetimeInMinutes', message: 'must be a whole number of minutes between 60 and 480' }]);
  });

  it('takes the lower of the broker and tenant maximum', () => {
    expect(resolve({ lifetimeInMinutes: 300 }, { maxLifetimeInMinutes: 240 }).ok).toBe(false);
    expect(resolve({ lifetimeInMinutes: 240 }, { maxLifetimeInMinutes: 240 }).ok).toBe(true);
    expect(resolve({ lifetimeInMinutes: 300 }, { maxLifetimeInMinutes: 600 }, { ...tenant, maximumLifetimeInMinutes: 240 }).ok).toBe(false);
  });

  it('clamps a stored default that the tenant policy no longer allows', () => {
    expect(getLifetimeBounds({ defaultLifetimeInMinutes: 30, maxLifetimeInMinutes: 480 }, tenant)).toEqual({ min: 60, max: 480, default: 60 });
    expect(getLifetimeBounds({ defaultLifetimeInMinutes: 600, maxLifetimeInMinutes: 900 }, tenant)).toEqual({ min: 60, max: 480, default: 480 });
    expect(resolve({}, { defaultLifetimeInMinutes: 30 })).toMatchObject({ ok: true, terms: { lifetimeInMinutes: 60 } });
  });

  it('refuses everything when the broker maximum lies below the tenant minimum', () => {
    const result = resolve({}, { maxLifetimeInMinutes: 30, defaultLifetimeInMinutes: 30 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toEqual([{ path: 'lifetimeInMinutes', message: expect.stringContaining('an admin must fix the policy') }]);
  });

  it.each([
    // broker forces, tenant forces, input → result (null = refused)
    [false, false, undefined, false],
    [false, false, true, true],
    [false, false, false, false],
    [true, false, undefined, true],
    [true, false, true, true],
    [true, false, false, null],
    [false, true, undefined, true],
    [false, true, false, null],
    [true, true, false, null],
    [true, true, true, true],
  ] as const)('one-time: broker %s, tenant %s, asked %s → %s', (brokerOnce, tenantOnce, asked, expected) => {
    const result = resolve({ ...(asked === undefined ? {} : { isUsableOnce: asked }) }, { isUsableOnce: brokerOnce }, { ...tenant, isUsableOnce: tenantOnce });
    if (expected === null) {
      expect(result).toEqual({ ok: false, errors: [{ path: 'isUsableOnce', message: expect.any(String) }] });
    } else {
      expect(result).toMatchObject({ ok: true, terms: { isUsableOnce: expected } });
    }
  });

  it.each([
    [-START_PAST_TOLERANCE_MS - 1000, false],
    [-START_PAST_TOLERANCE_MS, true],
    [0, true],
    [START_MAX_AHEAD_MS, true],
    [START_MAX_AHEAD_MS + 1000, false],
  ])('startDateTime now%+d ms → allowed %s', (offset, allowed) => {
    const start = new Date(NOW.getTime() + offset);
    const result = resolve({ startDateTime: start.toISOString() });
    expect(result.ok).toBe(allowed);
    if (result.ok) expect(result.terms.startDateTime).toEqual(start);
    else expect(result.errors[0]?.path).toBe('startDateTime');
  });

  it('refuses an unparsable startDateTime', () => {
    expect(resolve({ startDateTime: 'next tuesday' })).toEqual({ ok: false, errors: [{ path: 'startDateTime', message: 'must be an ISO 8601 date-time' }] });
  });

  it('starts a new hire’s pass on their hire date unless a start is given', () => {
    const hire = new Date(NOW.getTime() + 3 * 24 * 60 * 60_000).toISOString();
    expect(resolve({}, {}, tenant, hire)).toMatchObject({ ok: true, terms: { startDateTime: new Date(hire) } });
    const given = new Date(NOW.getTime() + 60_000).toISOString();
    expect(resolve({ startDateTime: given }, {}, tenant, hire)).toMatchObject({ ok: true, terms: { startDateTime: new Date(given) } });
  });

  it('ignores a hire date in the past or unparsable, and refuses one beyond 30 days without an explicit start', () => {
    expect(resolve({}, {}, tenant, '2020-01-06T08:00:00Z')).toMatchObject({ ok: true, terms: { startDateTime: null } });
    expect(resolve({}, {}, tenant, 'not a date')).toMatchObject({ ok: true, terms: { startDateTime: null } });
    const far = new Date(NOW.getTime() + START_MAX_AHEAD_MS + 60_000).toISOString();
    expect(resolve({}, {}, tenant, far)).toEqual({ ok: false, errors: [{ path: 'startDateTime', message: expect.stringContaining('30 days') }] });
  });

  it('reports every problem at once', () => {
    const result = resolve({ lifetimeInMinutes: 5, isUsableOnce: false, startDateTime: '2000-01-01T00:00:00Z' }, { isUsableOnce: true });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.path)).toEqual(['lifetimeInMinutes', 'isUsableOnce', 'startDateTime']);
  });
});

describe('canApprove', () => {
  const request = { requesterId: M1, targetUserId: TARGET };
  const actor = (roles: AppRole[], id = ME) => ({ id, roles });

  it.each([
    [[], false],
    [[APP_ROLES.auditor], false],
    [[APP_ROLES.approver], true],
    [[APP_ROLES.admin], true],
    [[APP_ROLES.auditor, APP_ROLES.approver], true],
  ] as const)('roles %j → %s', (roles, allowed) => {
    const result = canApprove(actor([...roles]), request);
    expect(result.ok).toBe(allowed);
    if (!result.ok) expect(result).toEqual({ ok: false, code: 'forbidden', why: 'not-an-approver' });
  });

  it('refuses an approver’s own request and a pass for themselves, whatever the id case', () => {
    expect(canApprove(actor([APP_ROLES.approver], M1.toUpperCase()), request)).toEqual({ ok: false, code: 'forbidden', why: 'own-request' });
    expect(canApprove(actor([APP_ROLES.admin], TARGET), request)).toEqual({ ok: false, code: 'forbidden', why: 'own-pass' });
  });
});

describe('approval validity', () => {
  it('is valid only while approved and before approvalExpiresAt', () => {
    const future = new Date(NOW.getTime() + 1);
    expect(isApprovalValid({ status: 'approved', approvalExpiresAt: future }, NOW)).toBe(true);
    expect(isApprovalValid({ status: 'approved', approvalExpiresAt: NOW }, NOW)).toBe(false);
    expect(isApprovalValid({ status: 'approved', approvalExpiresAt: null }, NOW)).toBe(false);
    for (const status of ['pending_approval', 'denied', 'expired', 'issuing', 'issued', 'revoked', 'failed']) {
      expect(isApprovalValid({ status, approvalExpiresAt: future }, NOW), status).toBe(false);
    }
  });

  it('expires approvalValidityMinutes after the decision', () => {
    expect(getApprovalExpiry({ approvalValidityMinutes: 90 }, NOW)).toEqual(new Date('2030-05-01T13:30:00.000Z'));
  });
});

describe('checkJustification', () => {
  it.each([
    ['  Lost phone, needs to re-register MFA  ', true],
    ['New hire onboarding', true],
    ['abcdefghijk', false],
    ['short one', false],
    ['   ', false],
    ['- - - - - - - -', false],
    ['x'.repeat(995) + ' word', true],
    ['x'.repeat(996) + ' word', false],
  ])('%j → %s', (text, allowed) => {
    const result = checkJustification(text);
    expect(result.ok).toBe(allowed);
    if (result.ok) expect(result.value).toBe(text.trim());
    else expect(result.issue.path).toBe('justification');
  });
});

describe('getQuotaDecision', () => {
  const ago = (ms: number) => new Date(NOW.getTime() - ms);

  it('allows while fewer than the limit fall inside the rolling window', () => {
    expect(getQuotaDecision([ago(1000), ago(2000)], 3, NOW)).toEqual({ ok: true, used: 2 });
    expect(getQuotaDecision([ago(QUOTA_WINDOW_MS), ago(QUOTA_WINDOW_MS + 1), ago(1000)], 2, NOW)).toEqual({ ok: true, used: 1 });
  });

  it('refuses at the limit, until the oldest counted issuance leaves the window', () => {
    const result = getQuotaDecision([ago(60_000), ago(QUOTA_WINDOW_MS - 90_000), ago(10_000)], 3, NOW);
    expect(result).toEqual({ ok: false, used: 3, retryAfterSeconds: 90 });
  });

  it('when over the limit (policy lowered), waits until enough have left', () => {
    const result = getQuotaDecision([ago(QUOTA_WINDOW_MS - 10_000), ago(QUOTA_WINDOW_MS - 20_000), ago(QUOTA_WINDOW_MS - 30_000)], 2, NOW);
    // Two must leave for one slot: the second oldest leaves in 20 s.
    expect(result).toEqual({ ok: false, used: 3, retryAfterSeconds: 20 });
  });

  it('a zero limit refuses for a whole window', () => {
    expect(getQuotaDecision([], 0, NOW)).toEqual({ ok: false, used: 0, retryAfterSeconds: QUOTA_WINDOW_MS / 1000 });
  });

  it('never answers Retry-After below one second', () => {
    expect(getQuotaDecision([ago(QUOTA_WINDOW_MS - 1)], 1, NOW)).toEqual({ ok: false, used: 1, retryAfterSeconds: 1 });
  });
});
