/**
 * Step-up, black box: with the policy's authentication context set, a token that does not prove
 * it in `acrs` (every ROPC token: the password grant can never satisfy a context) is refused
 * with Entra's claims challenge — 401 `step-up-required` and the exact `WWW-Authenticate` header,
 * decoded and checked here — before anything changes, and the refusal is audited.
 *
 * Targets used only here: zrinka.makovac (pradeep.gupta's direct report) and enrico.cattaneo
 * (below megan.bowen). The policy is set at the start of each test and put back at its end.
 */
import { expect, test } from '@playwright/test';
import { policyLimitsSchema } from '@/lib/contract/policy';
import { asUser, createTapRequest, getTapRequest, issueTap, parseAnswer, readAudit, tokenFor, userIdOf } from '../support/portal-api';
import { expectProblem } from '../support/problem';
import { loadSeed, userByUpn } from '../support/seed';
import { C1_CLAIMS, expectedChallenge, withStepUp } from '../support/step-up';
import { requestPasswordGrant } from '../support/tokens';

const seed = loadSeed();
const AUDITOR = 'henrietta.mueller@contoso.test';
const APPROVER = 'kim.akers@contoso.test';

/** The decoded `claims` of a `WWW-Authenticate` value (base64url, as the challenge carries it). */
function decodeClaims(header: string): string {
  const match = /claims="([A-Za-z0-9_-]+)"/.exec(header);
  expect(match, header).not.toBeNull();
  return Buffer.from(match![1]!, 'base64url').toString('utf8');
}

test('issue without the authentication context: 401 with the exact claims challenge, nothing issued, the refusal audited', async ({ request }) => {
  const manager = 'pradeep.gupta@contoso.test';
  await withStepUp(request, { stepUpAuthContextId: 'c1', stepUpActions: [] }, async () => {
    // Any signed-in user can see that a pass will need the second factor.
    const limits = await asUser(request, manager).get('/api/policy/limits');
    expect(await parseAnswer(limits, policyLimitsSchema)).toMatchObject({ stepUpAuthContextId: 'c1', stepUpRequiredFor: ['issue'] });

    const created = await createTapRequest(request, manager, 'zrinka.makovac@contoso.test');
    expect(created.status).toBe('approved');

    const res = await issueTap(request, manager, created.id);
    const body = await expectProblem(res, 401, 'step-up-required');
    expect(body).toMatchObject({ title: 'Step-up required', authContextId: 'c1' });
    expect(body).not.toHaveProperty('temporaryAccessPass');
    const header = res.headers()['www-authenticate'] ?? '';
    expect(header).toBe(expectedChallenge(C1_CLAIMS));
    // Decoded, the challenge is exactly the claims request MSAL sends to the sign-in service.
    expect(decodeClaims(header)).toBe(C1_CLAIMS);
    expect(JSON.parse(decodeClaims(header))).toEqual({ access_token: { acrs: { essential: true, value: 'c1' } } });
    expect(res.headers()['cache-control']).toContain('no-store');

    // Nothing changed: still approved, never issued.
    const after = await getTapRequest(request, manager, created.id);
    expect(after.status).toBe('approved');
    expect(after.issuedAt ?? null).toBeNull();

    // The challenge says nothing about a request that is not the caller's: 404 first.
    await expectProblem(await asUser(request, 'bianca.pisani@contoso.test').post(`/api/tap-requests/${created.id}/issue`), 404, 'not-found');

    const events = await readAudit(request, AUDITOR, { requestId: created.id });
    const refusals = events.filter((e) => e.type === 'tap_request.refused');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]!.actorId).toBe(await userIdOf(manager));
    expect(refusals[0]!.data).toMatchObject({ stage: 'issue', code: 'step-up-required', authContextId: 'c1' });
    expect(events.map((e) => e.type)).not.toContain('tap.issue_started');
    expect(events.map((e) => e.type)).not.toContain('tap.issued');
    expect(JSON.stringify(events)).not.toContain(await tokenFor(manager));
  });
});

test('the password grant cannot satisfy an authentication context, as in Entra', async () => {
  const manager = userByUpn(seed, 'pradeep.gupta@contoso.test');
  const { status, body } = await requestPasswordGrant(manager.userPrincipalName, manager.password, { seed, claims: C1_CLAIMS });
  expect(status).toBe(400);
  expect(body.error).toBe('interaction_required');
  expect(String(body.error_description)).toMatch(/^AADSTS50076:/);
  expect(body).not.toHaveProperty('access_token');
});

test('approve and deny need the context when the policy says so; nothing is decided without it', async ({ request }) => {
  const pending = await createTapRequest(request, 'megan.bowen@contoso.test', 'enrico.cattaneo@contoso.test');
  expect(pending.status).toBe('pending_approval');
  await withStepUp(request, { stepUpAuthContextId: 'c1', stepUpActions: ['approve'] }, async () => {
    const limits = await asUser(request, APPROVER).get('/api/policy/limits');
    expect(await parseAnswer(limits, policyLimitsSchema)).toMatchObject({ stepUpRequiredFor: ['issue', 'approve', 'deny'] });

    const approver = asUser(request, APPROVER);
    for (const [action, body] of [
      ['approve', { comment: 'Checked with the service desk.' }],
      ['deny', { reason: 'No ticket for this.' }],
    ] as const) {
      const res = await approver.post(`/api/tap-requests/${pending.id}/${action}`, body);
      await expectProblem(res, 401, 'step-up-required');
      expect(res.headers()['www-authenticate']).toBe(expectedChallenge(C1_CLAIMS));
    }
    expect((await getTapRequest(request, APPROVER, pending.id)).status).toBe('pending_approval');

    const refusals = (await readAudit(request, AUDITOR, { requestId: pending.id })).filter((e) => e.type === 'tap_request.refused');
    expect(refusals.map((e) => e.data.stage).sort()).toEqual(['approve', 'deny']);
    expect(refusals.every((e) => e.data.code === 'step-up-required' && e.actorId !== pending.requesterId)).toBe(true);
  });
  // The policy put back, the same token decides: it was the policy that asked for the second factor.
  const denied = await asUser(request, APPROVER).post(`/api/tap-requests/${pending.id}/deny`, { reason: 'Closing the step-up test request.' });
  expect(denied.status(), await denied.text()).toBe(200);
});
