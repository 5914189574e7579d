/**
 * Races through the real stack: many callers at once on one request. Every transition is a
 * conditional update, so exactly one caller wins and the others get 409 — and for issue, exactly
 * one pass is created in Graph (counted by the local tenant).
 */
import { expect, test, type APIResponse } from '@playwright/test';
import { issuedTapSchema, tapRequestSchema } from '@/lib/contract/tap-requests';
import { expectProblem } from '../support/problem';
import { asUser, createTapRequest, getTapRequest, issueTap, parseAnswer, readAudit, signInWithPass, userIdOf } from '../support/portal-api';
import { graphStats, resetGraphStats } from '../support/tenant-admin';

/** How many TAP creations Graph served (POST …/temporaryAccessPassMethods, direct or inside a $batch). */
function tapCreates(stats: { graph: Record<string, number>; batched: Record<string, number> }): number {
  return [...Object.entries(stats.graph), ...Object.entries(stats.batched)]
    .filter(([key]) => key.startsWith('POST ') && key.includes('temporaryAccessPassMethods'))
    .reduce((sum, [, n]) => sum + n, 0);
}

function statuses(responses: APIResponse[]): number[] {
  return responses.map((r) => r.status()).sort();
}

test('eight parallel issue calls on one request: one 201, seven 409, one pass created in Graph', async ({ request }) => {
  const manager = 'grady.archie@contoso.test';
  const target = 'irvin.sayers@contoso.test';
  const created = await createTapRequest(request, manager, target);
  expect(created.status).toBe('approved');

  await resetGraphStats();
  const responses = await Promise.all(Array.from({ length: 8 }, () => issueTap(request, manager, created.id)));
  expect(statuses(responses)).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  for (const res of responses.filter((r) => r.status() === 409)) await expectProblem(res, 409, 'conflict');
  expect(tapCreates(await graphStats())).toBe(1);

  const winner = responses.find((r) => r.status() === 201)!;
  const pass = await parseAnswer(winner, issuedTapSchema);
  const after = await getTapRequest(request, manager, created.id);
  expect(after.status).toBe('issued');
  expect(Date.parse(after.expiresDateTime ?? '')).toBe(Date.parse(pass.expiresDateTime));
  // The one pass handed out is the one that exists: it signs in.
  const signIn = await signInWithPass(target, pass.temporaryAccessPass);
  expect(signIn.status, JSON.stringify(signIn.body)).toBe(200);

  const trail = (await readAudit(request, 'henrietta.mueller@contoso.test', { targetId: await userIdOf(target) })).filter((e) => e.requestId === created.id);
  expect(trail.filter((e) => e.type === 'tap.issued')).toHaveLength(1);
  expect(trail.filter((e) => e.type === 'tap.issue_started')).toHaveLength(1);
});

test('five approvers approve at once: one 200, four 409, one decision', async ({ request }) => {
  const created = await createTapRequest(request, 'alex.wilber@contoso.test', 'carlos.slattery@contoso.test');
  expect(created.status).toBe('pending_approval');
  const approvers = ['kim.akers@contoso.test', 'isaiah.langer@contoso.test', 'cameron.white@contoso.test', 'kim.akers@contoso.test', 'isaiah.langer@contoso.test'];
  const responses = await Promise.all(approvers.map((upn) => asUser(request, upn).post(`/api/tap-requests/${created.id}/approve`, { comment: `Approved by ${upn}` })));
  expect(statuses(responses)).toEqual([200, 409, 409, 409, 409]);
  for (const res of responses.filter((r) => r.status() === 409)) await expectProblem(res, 409, 'conflict');

  const winnerIndex = responses.findIndex((r) => r.status() === 200);
  const decided = await parseAnswer(responses[winnerIndex]!, tapRequestSchema);
  expect(decided.decidedBy).toBe(await userIdOf(approvers[winnerIndex]!));
  const after = await getTapRequest(request, 'alex.wilber@contoso.test', created.id);
  expect(after).toMatchObject({ status: 'approved', decidedBy: decided.decidedBy, decidedAt: decided.decidedAt });

  const trail = (await readAudit(request, 'henrietta.mueller@contoso.test', { targetId: await userIdOf('carlos.slattery@contoso.test') })).filter(
    (e) => e.requestId === created.id,
  );
  expect(trail.filter((e) => e.type === 'tap_request.approved')).toHaveLength(1);
});

test('approve and deny racing: exactly one decision, and the request shows that one', async ({ request }) => {
  const created = await createTapRequest(request, 'alex.wilber@contoso.test', 'tomas.novak@contoso.test');
  expect(created.status).toBe('pending_approval');
  const calls: [string, 'approve' | 'deny'][] = [
    ['kim.akers@contoso.test', 'approve'],
    ['isaiah.langer@contoso.test', 'deny'],
    ['cameron.white@contoso.test', 'approve'],
    ['kim.akers@contoso.test', 'deny'],
    ['isaiah.langer@contoso.test', 'approve'],
  ];
  const responses = await Promise.all(
    calls.map(([upn, action]) =>
      asUser(request, upn).post(`/api/tap-requests/${created.id}/${action}`, action === 'deny' ? { reason: 'Not needed any more.' } : {}),
    ),
  );
  expect(statuses(responses)).toEqual([200, 409, 409, 409, 409]);
  const winner = responses.findIndex((r) => r.status() === 200);
  const after = await getTapRequest(request, 'alex.wilber@contoso.test', created.id);
  expect(after.status).toBe(calls[winner]![1] === 'approve' ? 'approved' : 'denied');
  expect(after.decidedBy).toBe(await userIdOf(calls[winner]![0]));
});
