/**
 * The stored broker policy: who may read and change it, validation against the tenant's TAP
 * policy, and that a saved version really changes what the broker does (approval, depth, quota).
 *
 * Every test that saves a policy puts the one it found back (a new version with the old values),
 * because the specs share one database: later files expect the defaults.
 */
import { expect, test, type APIRequestContext } from '@playwright/test';
import { policyLimitsSchema } from '@/lib/contract/policy';
import { reporteeListSchema } from '@/lib/contract/reportees';
import { expectProblem } from '../support/problem';
import { editablePolicy, getPolicySettings, POLICY_ADMIN as ADMIN, savePolicy, type EditablePolicy } from '../support/policy-api';
import { asUser, createTapRequest, getTapRequest, issueTap, issueTapOk, JUSTIFICATION, parseAnswer, readAudit, userIdOf } from '../support/portal-api';

/** Runs `body` under a changed policy, then saves the original values again. */
async function withPolicy(request: APIRequestContext, change: Partial<EditablePolicy>, body: () => Promise<void>): Promise<void> {
  const original = await getPolicySettings(request);
  await savePolicy(request, { ...editablePolicy(original), ...change });
  try {
    await body();
  } finally {
    const restored = await savePolicy(request, editablePolicy(original));
    expect(editablePolicy(restored)).toEqual(editablePolicy(original));
  }
}

test('the defaults, and who may read the policy and the limits', async ({ request }) => {
  const policy = await getPolicySettings(request);
  expect(editablePolicy(policy)).toEqual({
    maxDepth: null,
    requireApproval: 'indirect-only',
    defaultLifetimeInMinutes: 60,
    maxLifetimeInMinutes: 480,
    isUsableOnce: true,
    approvalValidityMinutes: 1440,
    maxIssuancesPerManagerPerDay: 20,
    maxPendingRequestsPerRequester: 10,
  });
  expect(Number.isInteger(policy.version)).toBe(true);
  // The tenant's TAP policy bounds are shown next to the broker's (extension).
  expect(policy.tenantTapPolicy).toMatchObject({ state: 'enabled', minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480 });

  for (const upn of ['kim.akers@contoso.test', 'henrietta.mueller@contoso.test']) {
    expect(editablePolicy(await getPolicySettings(request, upn))).toEqual(editablePolicy(policy));
  }
  await expectProblem(await asUser(request, 'joni.sherman@contoso.test').get('/api/policy'), 403, 'forbidden');

  // What the request form needs, for any signed-in user.
  const limits = await asUser(request, 'joni.sherman@contoso.test').get('/api/policy/limits');
  expect(limits.status(), await limits.text()).toBe(200);
  expect(await parseAnswer(limits, policyLimitsSchema)).toMatchObject({
    defaultLifetimeInMinutes: 60,
    maxLifetimeInMinutes: 480,
    minLifetimeInMinutes: 60,
    isUsableOnce: true,
    requireApproval: 'indirect-only',
    maxDepth: null,
    version: policy.version,
  });
});

test('only an admin changes the policy; every change is a new version and an audit event', async ({ request }) => {
  const before = await getPolicySettings(request);
  const change = { ...editablePolicy(before), approvalValidityMinutes: 720 };
  for (const upn of ['kim.akers@contoso.test', 'henrietta.mueller@contoso.test', 'joni.sherman@contoso.test']) {
    await expectProblem(await asUser(request, upn).put('/api/policy', change), 403, 'forbidden');
  }
  expect((await getPolicySettings(request)).version).toBe(before.version);

  const updatesBefore = await readAudit(request, 'henrietta.mueller@contoso.test', { type: 'policy.updated' });
  const saved = await savePolicy(request, change);
  try {
    expect(saved.version).toBe(before.version + 1);
    expect(editablePolicy(saved)).toEqual(change);
    expect(editablePolicy(await getPolicySettings(request, 'kim.akers@contoso.test'))).toEqual(change);
    // Exactly one new policy.updated event (the refused PUTs above wrote none), by the admin.
    const updates = await readAudit(request, 'henrietta.mueller@contoso.test', { type: 'policy.updated' });
    expect(updates).toHaveLength(updatesBefore.length + 1);
    expect(updates[0]!.actorId).toBe(await userIdOf(ADMIN));
    expect(JSON.stringify(updates[0]!.data)).toContain('approvalValidityMinutes');
  } finally {
    const restored = await savePolicy(request, editablePolicy(before));
    expect(restored.version).toBe(before.version + 2);
  }
});

test('an invalid policy is refused with validation-failed and saves nothing', async ({ request }) => {
  const before = await getPolicySettings(request);
  const base = editablePolicy(before);
  const bad: [string, Record<string, unknown>][] = [
    ['default above max', { ...base, defaultLifetimeInMinutes: 240, maxLifetimeInMinutes: 120 }],
    ['max above the tenant maximum (480)', { ...base, maxLifetimeInMinutes: 600 }],
    ['default below the tenant minimum (60)', { ...base, defaultLifetimeInMinutes: 30 }],
    ['maxDepth 0', { ...base, maxDepth: 0 }],
    ['an unknown requireApproval', { ...base, requireApproval: 'sometimes' }],
    ['a negative quota', { ...base, maxIssuancesPerManagerPerDay: -1 }],
    ['no room for a pending request', { ...base, maxPendingRequestsPerRequester: 0 }],
    ['a missing field', Object.fromEntries(Object.entries(base).filter(([k]) => k !== 'isUsableOnce'))],
    ['a string number', { ...base, maxLifetimeInMinutes: '480' }],
  ];
  for (const [name, body] of bad) {
    const res = await asUser(request, ADMIN).put('/api/policy', body);
    expect(res.status(), `${name}: ${await res.text()}`).toBe(400);
    await expectProblem(res, 400, 'validation-failed');
  }
  expect((await getPolicySettings(request)).version).toBe(before.version);
});

test('requireApproval "always" makes even a direct report wait; maxDepth 1 puts indirect reports out of reach', async ({ request }) => {
  await withPolicy(request, { requireApproval: 'always' }, async () => {
    const direct = await createTapRequest(request, 'megan.bowen@contoso.test', 'lidia.holloway@contoso.test');
    expect(direct.status).toBe('pending_approval');
  });
  await withPolicy(request, { maxDepth: 1 }, async () => {
    const res = await asUser(request, 'megan.bowen@contoso.test').post('/api/tap-requests', {
      targetUserId: await userIdOf('bianca.pisani@contoso.test'),
      justification: JUSTIFICATION,
    });
    await expectProblem(res, 403, 'not-in-reporting-chain');
    const reportees = await asUser(request, 'megan.bowen@contoso.test').get('/api/reportees');
    expect(reportees.status()).toBe(200);
    const list = (await parseAnswer(reportees, reporteeListSchema)).reportees;
    expect(list.length).toBeGreaterThan(0);
    expect(list.every((r) => r.depth === 1)).toBe(true);
  });
});

test('the daily issuance quota: the issue over the limit is 429 with Retry-After, and the request stays approved', async ({ request }) => {
  // Megan issues nothing anywhere else in the suite.
  await withPolicy(request, { requireApproval: 'never', maxIssuancesPerManagerPerDay: 1 }, async () => {
    const first = await createTapRequest(request, 'megan.bowen@contoso.test', 'lidia.holloway@contoso.test');
    expect(first.status).toBe('approved');
    await issueTapOk(request, 'megan.bowen@contoso.test', first.id);

    const second = await createTapRequest(request, 'megan.bowen@contoso.test', 'jon.peters@contoso.test');
    expect(second.status).toBe('approved');
    const res = await issueTap(request, 'megan.bowen@contoso.test', second.id);
    await expectProblem(res, 429, 'rate-limited');
    const retryAfter = Number(res.headers()['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(24 * 3600);
    expect((await getTapRequest(request, 'megan.bowen@contoso.test', second.id)).status).toBe('approved');
  });
});
