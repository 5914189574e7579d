/**
 * The request lifecycle through the portal's API, black-box against the running stack and the
 * demo org (tenant/demo-org.json): request → approve/deny → issue once → revoke, the refusals
 * with their codes, and the audit trail that records it all.
 *
 * Who is who (each test uses its own manager/target pairs, so that tests do not depend on each
 * other and no manager comes near the daily issuance quota of 20):
 *   bianca.pisani: Lee Gu and Pradeep Gupta report to her; Lee's team (Ben, Carlos, Tomas, Sam) below.
 *   kim.akers, isaiah.langer: approvers; cameron.white: admin; henrietta.mueller: auditor.
 *   joni.sherman: nobody reports to her.
 */
import { expect, test } from '@playwright/test';
import { auditVerificationSchema } from '@/lib/contract/audit';
import { tapRequestListSchema, tapRequestSchema } from '@/lib/contract/tap-requests';
import { readIssuedPasses } from '../support/issued-passes';
import { expectProblem } from '../support/problem';
import {
  asUser,
  createTapRequest,
  getTapRequest,
  issueTap,
  issueTapOk,
  JUSTIFICATION,
  listTapRequests,
  moveUser,
  parseAnswer,
  readAudit,
  signInWithPass,
  tokenFor,
  userIdOf,
  type AuditEventView,
} from '../support/portal-api';
import { loadSeed } from '../support/seed';
import { graphStats, replaceDirectory, resetGraphStats, totalGraphRoundTrips } from '../support/tenant-admin';

const demo = loadSeed();
const AUDITOR = 'henrietta.mueller@contoso.test';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Passes this file was given, to search the audit trail for at the end. */
const passesSeen: string[] = [];

function eventsFor(events: AuditEventView[], requestId: string): AuditEventView[] {
  return events.filter((e) => e.requestId === requestId).sort((a, b) => a.seq - b.seq);
}

test('a direct report: auto-approved, issued once with no-store, never shown again, and the pass signs in once', async ({ request }) => {
  const manager = 'bianca.pisani@contoso.test';
  const target = 'pradeep.gupta@contoso.test';
  const [managerId, targetId] = [await userIdOf(manager), await userIdOf(target)];

  await resetGraphStats();
  const created = await createTapRequest(request, manager, target);
  // Everything the broker must know before acting comes in one Graph round trip.
  expect(totalGraphRoundTrips(await graphStats())).toBeLessThanOrEqual(1);
  expect(created).toMatchObject({
    status: 'approved',
    requesterId: managerId,
    targetUserId: targetId,
    targetDisplayName: 'Pradeep Gupta',
    justification: JUSTIFICATION,
    lifetimeInMinutes: 60, // the default policy's default lifetime
    isUsableOnce: true, // the default policy forces one-time passes
    chain: [managerId],
  });
  expect(created.id).toMatch(UUID);
  expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);

  await resetGraphStats();
  const pass = await issueTapOk(request, manager, created.id);
  passesSeen.push(pass.temporaryAccessPass);
  // Validate (one $batch) and create: at most two round trips.
  expect(totalGraphRoundTrips(await graphStats())).toBeLessThanOrEqual(2);
  expect(Object.keys(pass).sort()).toEqual(['expiresDateTime', 'isUsableOnce', 'lifetimeInMinutes', 'methodId', 'startDateTime', 'temporaryAccessPass']);
  expect(pass.temporaryAccessPass).toMatch(/^\S{8,48}$/);
  expect(pass.lifetimeInMinutes).toBe(60);
  expect(pass.isUsableOnce).toBe(true);
  expect(Date.parse(pass.expiresDateTime) - Date.parse(pass.startDateTime)).toBe(60 * 60_000);
  expect(pass.methodId.length).toBeGreaterThan(0);

  // Issue once: the second call is a conflict, and says nothing about the pass.
  const again = await issueTap(request, manager, created.id);
  const problem = await expectProblem(again, 409, 'conflict');
  expect(JSON.stringify(problem)).not.toContain(pass.temporaryAccessPass);

  // Afterwards the request shows the issuance, never the pass.
  const seen = await asUser(request, manager).get(`/api/tap-requests/${created.id}`);
  expect(seen.status()).toBe(200);
  const seenText = await seen.text();
  expect(seenText).not.toContain(pass.temporaryAccessPass);
  const issued = tapRequestSchema.parse(JSON.parse(seenText));
  expect(issued.status).toBe('issued');
  expect(Date.parse(issued.issuedAt ?? '')).not.toBeNaN();
  expect(Date.parse(issued.expiresDateTime ?? '')).toBe(Date.parse(pass.expiresDateTime));
  const mine = await asUser(request, manager).get('/api/tap-requests?scope=mine');
  expect(mine.status()).toBe(200);
  const mineText = await mine.text();
  expect(mineText).not.toContain(pass.temporaryAccessPass);
  expect(tapRequestListSchema.parse(JSON.parse(mineText)).requests.find((r) => r.id === created.id)?.status).toBe('issued');

  // The pass is real: the target signs in with it — once, since it is a one-time pass.
  const first = await signInWithPass(target, pass.temporaryAccessPass);
  expect(first.status, JSON.stringify(first.body)).toBe(200);
  expect(typeof first.body.access_token).toBe('string');
  const second = await signInWithPass(target, pass.temporaryAccessPass);
  expect(second.status).toBe(400);
  expect(second.body.error).toBe('invalid_grant');

  // The audit trail tells the story, without the pass.
  const trail = eventsFor(await readAudit(request, AUDITOR, { targetId }), created.id);
  // The refused second issue may be recorded as a denied attempt; everything else is the lifecycle, in order.
  expect(trail.filter((e) => e.type !== 'tap_request.refused').map((e) => e.type)).toEqual([
    'tap_request.created',
    'tap_request.approved',
    'tap.issue_started',
    'tap.issued',
  ]);
  expect(trail.filter((e) => e.type === 'tap_request.refused').length).toBeLessThanOrEqual(1);
  expect(trail.every((e) => e.targetId === targetId)).toBe(true);
  expect(trail.find((e) => e.type === 'tap_request.created')?.actorId).toBe(managerId);
  expect(JSON.stringify(trail)).not.toContain(pass.temporaryAccessPass);
});

test('request terms: justification, lifetime bounds and unknown fields are validated; nothing is stored on refusal', async ({ request }) => {
  const manager = 'bianca.pisani@contoso.test';
  const api = asUser(request, manager);
  const targetUserId = await userIdOf('lee.gu@contoso.test');
  const before = (await listTapRequests(request, manager)).length;

  const bad: [string, Record<string, unknown>][] = [
    ['no justification', { targetUserId }],
    ['a blank justification', { targetUserId, justification: '            ' }],
    ['a justification under 10 characters', { targetUserId, justification: 'pls help' }],
    ['a one-word justification', { targetUserId, justification: 'aaaaaaaaaaaaaaaaaaaa' }],
    ['a justification over 1000 characters', { targetUserId, justification: `${'word '.repeat(201)}`.trim() }],
    ['a lifetime above the policy maximum', { targetUserId, justification: JUSTIFICATION, lifetimeInMinutes: 481 }],
    ['a lifetime below the tenant minimum', { targetUserId, justification: JUSTIFICATION, lifetimeInMinutes: 30 }],
    ['a fractional lifetime', { targetUserId, justification: JUSTIFICATION, lifetimeInMinutes: 90.5 }],
    ['a start more than 30 days ahead', { targetUserId, justification: JUSTIFICATION, startDateTime: new Date(Date.now() + 31 * 86_400_000).toISOString() }],
    ['a start in the past', { targetUserId, justification: JUSTIFICATION, startDateTime: new Date(Date.now() - 3_600_000).toISOString() }],
    // The default policy allows one-time passes only: asking for more is refused, not silently changed.
    ['a multi-use pass the policy does not allow', { targetUserId, justification: JUSTIFICATION, isUsableOnce: false }],
    ['an unknown field', { targetUserId, justification: JUSTIFICATION, temporaryAccessPass: 'Chosen!1' }],
    ['no target', { justification: JUSTIFICATION }],
  ];
  for (const [name, body] of bad) {
    const res = await api.post('/api/tap-requests', body);
    const problem = await expectProblem(res, 400, 'validation-failed');
    expect(Array.isArray(problem.errors), name).toBe(true);
  }
  const notJson = await request.post('/api/tap-requests', {
    headers: { authorization: `Bearer ${await tokenFor(manager)}`, 'content-type': 'text/plain' },
    data: 'targetUserId=x',
  });
  await expectProblem(notJson, 400, 'validation-failed');

  const after = (await listTapRequests(request, manager)).length;
  expect(after).toBe(before);

  // Within bounds: the terms are kept.
  const ok = await createTapRequest(request, manager, 'lee.gu@contoso.test', { lifetimeInMinutes: 120, isUsableOnce: true });
  expect(ok).toMatchObject({ status: 'approved', lifetimeInMinutes: 120, isUsableOnce: true });
});

test('a new hire who has not started yet: the pass starts on their hire date by default', async ({ request }) => {
  // Sam Taylor starts in ten days (the demo org's date may be further out than a pass can be
  // requested ahead); Tomas Novak started long ago, for contrast.
  const startsAt = new Date(Date.now() + 10 * 86_400_000);
  startsAt.setUTCHours(8, 0, 0, 0);
  const hireDate = startsAt.toISOString();
  try {
    await replaceDirectory({
      ...demo,
      users: demo.users.map((u) => (u.userPrincipalName === 'sam.taylor@contoso.test' ? { ...u, employeeHireDate: hireDate } : u)),
    });
    const created = await createTapRequest(request, 'bianca.pisani@contoso.test', 'sam.taylor@contoso.test');
    expect(Date.parse(created.startDateTime ?? '')).toBe(Date.parse(hireDate));
    const veteran = await createTapRequest(request, 'bianca.pisani@contoso.test', 'tomas.novak@contoso.test');
    expect(veteran.startDateTime ?? null).toBeNull();
  } finally {
    await replaceDirectory(demo);
  }
});

test('an indirect report waits for an approver; the manager cannot approve, the approver can, once; then the manager issues', async ({ request }) => {
  const manager = 'bianca.pisani@contoso.test';
  const approver = 'kim.akers@contoso.test';
  const target = 'ben.walters@contoso.test';
  const created = await createTapRequest(request, manager, target);
  expect(created.status).toBe('pending_approval');
  // Evidence: the chain from the target's manager up to the requester.
  expect(created.chain).toEqual([await userIdOf('lee.gu@contoso.test'), await userIdOf(manager)]);

  await expectProblem(await issueTap(request, manager, created.id), 409, 'conflict');
  await expectProblem(await asUser(request, manager).post(`/api/tap-requests/${created.id}/approve`, {}), 403, 'forbidden');
  expect((await getTapRequest(request, manager, created.id)).status).toBe('pending_approval');

  const pending = await asUser(request, approver).get('/api/tap-requests?scope=pending');
  expect(pending.status()).toBe(200);
  const pendingList = (await parseAnswer(pending, tapRequestListSchema)).requests;
  expect(pendingList.some((r) => r.id === created.id)).toBe(true);
  expect(pendingList.every((r) => r.status === 'pending_approval')).toBe(true);
  // Oldest first.
  const times = pendingList.map((r) => Date.parse(r.createdAt));
  expect(times).toEqual([...times].sort((a, b) => a - b));

  const approved = await asUser(request, approver).post(`/api/tap-requests/${created.id}/approve`, { comment: 'Confirmed with Lee by phone.' });
  expect(approved.status(), await approved.text()).toBe(200);
  const decided = await parseAnswer(approved, tapRequestSchema);
  expect(decided).toMatchObject({ id: created.id, status: 'approved', decidedBy: await userIdOf(approver) });
  expect(Date.parse(decided.decidedAt ?? '')).not.toBeNaN();

  // A decision is final.
  await expectProblem(await asUser(request, approver).post(`/api/tap-requests/${created.id}/approve`, {}), 409, 'conflict');
  await expectProblem(await asUser(request, 'cameron.white@contoso.test').post(`/api/tap-requests/${created.id}/deny`, { reason: 'Too late to change my mind.' }), 409, 'conflict');

  const pass = await issueTapOk(request, manager, created.id);
  passesSeen.push(pass.temporaryAccessPass);
  expect((await getTapRequest(request, manager, created.id)).status).toBe('issued');
  // The approver sees the request too, never the pass.
  const asApprover = await asUser(request, approver).get(`/api/tap-requests/${created.id}`);
  expect(asApprover.status()).toBe(200);
  expect(await asApprover.text()).not.toContain(pass.temporaryAccessPass);
});

test('deny: a reason is required, the denial is final and nothing can be issued', async ({ request }) => {
  const manager = 'patti.fernandez@contoso.test';
  const approver = 'isaiah.langer@contoso.test';
  const created = await createTapRequest(request, manager, 'christie.cline@contoso.test');
  expect(created.status).toBe('pending_approval');
  const api = asUser(request, approver);
  await expectProblem(await api.post(`/api/tap-requests/${created.id}/deny`, {}), 400, 'validation-failed');
  await expectProblem(await api.post(`/api/tap-requests/${created.id}/deny`, { reason: '   ' }), 400, 'validation-failed');
  expect((await getTapRequest(request, manager, created.id)).status).toBe('pending_approval');

  const denied = await api.post(`/api/tap-requests/${created.id}/deny`, { reason: 'Please ask the service desk instead.' });
  expect(denied.status(), await denied.text()).toBe(200);
  expect(await parseAnswer(denied, tapRequestSchema)).toMatchObject({ id: created.id, status: 'denied', decidedBy: await userIdOf(approver) });

  await expectProblem(await asUser(request, 'kim.akers@contoso.test').post(`/api/tap-requests/${created.id}/approve`, {}), 409, 'conflict');
  await expectProblem(await issueTap(request, manager, created.id), 409, 'conflict');
  expect((await getTapRequest(request, manager, created.id)).status).toBe('denied');
});

test('approvers never decide their own request, nor one for themselves', async ({ request }) => {
  // Isaiah is an approver and manages Miriam, who manages Omar: his own request is indirect.
  const own = await createTapRequest(request, 'isaiah.langer@contoso.test', 'omar.haddad@contoso.test');
  expect(own.status).toBe('pending_approval');
  const isaiah = asUser(request, 'isaiah.langer@contoso.test');
  await expectProblem(await isaiah.post(`/api/tap-requests/${own.id}/approve`, {}), 403, 'forbidden');
  await expectProblem(await isaiah.post(`/api/tap-requests/${own.id}/deny`, { reason: 'Changed my mind about this.' }), 403, 'forbidden');
  expect((await getTapRequest(request, 'isaiah.langer@contoso.test', own.id)).status).toBe('pending_approval');

  // Megan requests a pass for Kim (three levels down) while Kim holds no portal role — nobody can
  // request one for an approver — and Kim is an approver again by the time it is decided: she
  // cannot approve a request for herself.
  const kimWithoutRole = structuredClone(demo);
  for (const group of kimWithoutRole.groups ?? []) group.members = group.members.filter((m) => m !== 'kim.akers@contoso.test');
  await replaceDirectory(kimWithoutRole);
  const forKim = await createTapRequest(request, 'megan.bowen@contoso.test', 'kim.akers@contoso.test');
  await replaceDirectory(demo);
  expect(forKim.status).toBe('pending_approval');
  const kim = asUser(request, 'kim.akers@contoso.test');
  await expectProblem(await kim.post(`/api/tap-requests/${forKim.id}/approve`, {}), 403, 'forbidden');
  expect((await getTapRequest(request, 'megan.bowen@contoso.test', forKim.id)).status).toBe('pending_approval');

  // Another approver can decide both.
  const other = await asUser(request, 'cameron.white@contoso.test').post(`/api/tap-requests/${own.id}/approve`, {});
  expect(other.status(), await other.text()).toBe(200);
  expect((await parseAnswer(other, tapRequestSchema)).status).toBe('approved');
});

test('outside the reporting chain: the same 403 for real people and ids that do not exist; others’ requests are invisible', async ({ request }) => {
  const joni = asUser(request, 'joni.sherman@contoso.test');
  const attempt = async (api: typeof joni, targetUserId: string) => {
    const body = await expectProblem(await api.post('/api/tap-requests', { targetUserId, justification: JUSTIFICATION }), 403, 'not-in-reporting-chain');
    return { type: body.type, title: body.title, status: body.status, code: body.code, detail: body.detail };
  };
  const real = await attempt(joni, await userIdOf('lee.gu@contoso.test'));
  const unknownGuid = await attempt(joni, 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9');
  const unknownUpn = await attempt(joni, 'nobody.here@contoso.test');
  // No oracle: the answer for someone who exists is the answer for someone who does not.
  expect(unknownGuid).toEqual(real);
  expect(unknownUpn).toEqual(real);

  const bianca = asUser(request, 'bianca.pisani@contoso.test');
  // Upwards and sideways are outside the chain too.
  await attempt(bianca, await userIdOf('alex.wilber@contoso.test'));
  await attempt(bianca, await userIdOf('nestor.wilke@contoso.test'));

  // Joni cannot see, issue or revoke Bianca's request: not-found, like an id that does not exist.
  const hers = await createTapRequest(request, 'bianca.pisani@contoso.test', 'carlos.slattery@contoso.test');
  await expectProblem(await joni.get(`/api/tap-requests/${hers.id}`), 404, 'not-found');
  await expectProblem(await issueTap(request, 'joni.sherman@contoso.test', hers.id), 404, 'not-found');
  await expectProblem(await joni.post(`/api/tap-requests/${hers.id}/revoke`), 404, 'not-found');
  await expectProblem(await joni.post(`/api/tap-requests/${hers.id}/approve`, {}), 403, 'forbidden');
  await expectProblem(await bianca.get('/api/tap-requests/2b7c1d9e-3f4a-4b5c-8d6e-7f8091a2b3c4'), 404, 'not-found');
  await expectProblem(await bianca.get('/api/tap-requests/not-a-uuid'), 404, 'not-found');
  expect((await getTapRequest(request, 'bianca.pisani@contoso.test', hers.id)).status).toBe(hers.status);

  // Nothing was created for Joni, and every refused attempt is in the audit trail.
  const joniId = await userIdOf('joni.sherman@contoso.test');
  expect(await listTapRequests(request, 'joni.sherman@contoso.test')).toEqual([]);
  const refusals = (await readAudit(request, AUDITOR, { actorId: joniId, type: 'tap_request.refused' })).filter((e) =>
    JSON.stringify(e.data).includes('not-in-reporting-chain'),
  );
  expect(refusals).toHaveLength(3);
  expect(refusals.every((e) => e.type === 'tap_request.refused' && e.actorId === joniId)).toBe(true);
});

test('ineligible targets in the chain: 422 with the reason, nothing created, the attempt audited', async ({ request }) => {
  const cases: [string, string, string][] = [
    ['lynne.robbins@contoso.test', 'emily.braun@contoso.test', 'account-disabled'],
    ['pradeep.gupta@contoso.test', 'alex_fabrikam.test#EXT#@contoso.test', 'guest'],
    ['adele.vance@contoso.test', 'debra.berger@contoso.test', 'privileged-role'],
    ['adele.vance@contoso.test', 'raul.razo@contoso.test', 'privileged-role'],
    ['bianca.pisani@contoso.test', 'bianca.pisani@contoso.test', 'self'],
  ];
  // The demo org's role-assignable group holding a privileged role (design: A): its member is
  // privileged through the group, not directly.
  const groups = (demo as unknown as { groups?: { displayName: string; members: string[]; directoryRoles?: string[] }[] }).groups ?? [];
  const roleGroup = groups.find((g) => (g.directoryRoles ?? []).length > 0 && g.members.some((m) => m.includes('@')));
  expect(roleGroup, 'the demo org has a role-assignable group holding a directory role').toBeDefined();
  const viaGroup = roleGroup!.members.find((m) => m.includes('@'))!;
  const viaGroupManager = demo.users.find((u) => u.userPrincipalName.toLowerCase() === viaGroup.toLowerCase())?.manager;
  expect(viaGroupManager, `${viaGroup} has a manager in the demo org`).toBeTruthy();
  cases.push([viaGroupManager!, viaGroup, 'privileged-role']);

  for (const [manager, target, reason] of cases) {
    const api = asUser(request, manager);
    const targetId = await userIdOf(target);
    const body = await expectProblem(await api.post('/api/tap-requests', { targetUserId: targetId, justification: JUSTIFICATION }), 422, 'target-ineligible');
    expect(body.reasons, `${manager} → ${target}`).toContain(reason);
    const mine = await listTapRequests(request, manager);
    expect(mine.some((r) => r.targetUserId === targetId)).toBe(false);
    const refused = await readAudit(request, AUDITOR, { actorId: await userIdOf(manager), type: 'tap_request.refused' });
    expect(refused.some((e) => e.targetId === targetId && JSON.stringify(e.data).includes(reason)), `${manager} → ${target} audited`).toBe(true);
  }

  // A read-only role on the policy's allow-list (Reports Reader) does not make anyone ineligible.
  const nora = await createTapRequest(request, 'adele.vance@contoso.test', 'nora.blake@contoso.test');
  expect(nora.status).toBe('approved');
});

test('the target moves to another manager between approval and issuance: issue is 403 and the auditor sees why', async ({ request }) => {
  const manager = 'alex.wilber@contoso.test';
  const target = 'johanna.lorenz@contoso.test';
  try {
    const created = await createTapRequest(request, manager, target);
    expect(created.status).toBe('pending_approval');
    const approved = await asUser(request, 'kim.akers@contoso.test').post(`/api/tap-requests/${created.id}/approve`, {});
    expect(approved.status(), await approved.text()).toBe(200);

    // HR moves Johanna from Nestor (under Alex) to Patti (under Megan).
    await moveUser(target, 'patti.fernandez@contoso.test');
    const refused = await issueTap(request, manager, created.id);
    await expectProblem(refused, 403, 'not-in-reporting-chain');
    expect((await getTapRequest(request, manager, created.id)).status).toBe('failed');

    const targetId = await userIdOf(target);
    const trail = eventsFor(await readAudit(request, AUDITOR, { targetId }), created.id);
    const refusal = trail.find((e) => e.type === 'tap_request.refused');
    expect(refusal, JSON.stringify(trail.map((e) => e.type))).toBeDefined();
    expect(refusal!.actorId).toBe(await userIdOf(manager));
    expect(JSON.stringify(refusal!.data)).toContain('not-in-reporting-chain');
    expect(trail.some((e) => e.type === 'tap.issued' || e.type === 'tap.issue_started')).toBe(false);
    // Moving her back does not revive a failed request.
    await moveUser(target, 'nestor.wilke@contoso.test');
    await expectProblem(await issueTap(request, manager, created.id), 409, 'conflict');
  } finally {
    await replaceDirectory(demo);
  }
});

test('revoke: the requester revokes, the pass stops working; an admin can revoke too; nothing else can', async ({ request }) => {
  const manager = 'lynne.robbins@contoso.test';
  const lynne = asUser(request, manager);

  // A pass that is revoked before use no longer signs in.
  const forLena = await createTapRequest(request, manager, 'lena.fischer@contoso.test');
  const lenaPass = await issueTapOk(request, manager, forLena.id);
  passesSeen.push(lenaPass.temporaryAccessPass);
  await expectProblem(await asUser(request, 'kim.akers@contoso.test').post(`/api/tap-requests/${forLena.id}/revoke`), 403, 'forbidden');
  const revoked = await lynne.post(`/api/tap-requests/${forLena.id}/revoke`);
  expect(revoked.status(), await revoked.text()).toBe(200);
  const revokedBody = await parseAnswer(revoked, tapRequestSchema);
  expect(revokedBody.status).toBe('revoked');
  expect(Date.parse(revokedBody.revokedAt ?? '')).not.toBeNaN();
  const refusedSignIn = await signInWithPass('lena.fischer@contoso.test', lenaPass.temporaryAccessPass);
  expect(refusedSignIn.status).toBe(400);
  expect(refusedSignIn.body.error).toBe('invalid_grant');
  await expectProblem(await lynne.post(`/api/tap-requests/${forLena.id}/revoke`), 409, 'conflict');
  await expectProblem(await issueTap(request, manager, forLena.id), 409, 'conflict');

  // The control: an unrevoked pass from the same manager does sign in, so the refusal above is the revocation's doing.
  const forAllan = await createTapRequest(request, manager, 'allan.deyoung@contoso.test');
  const allanPass = await issueTapOk(request, manager, forAllan.id);
  passesSeen.push(allanPass.temporaryAccessPass);
  const signedIn = await signInWithPass('allan.deyoung@contoso.test', allanPass.temporaryAccessPass);
  expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);

  // An admin may revoke someone else's pass.
  const byAdmin = await asUser(request, 'cameron.white@contoso.test').post(`/api/tap-requests/${forAllan.id}/revoke`);
  expect(byAdmin.status(), await byAdmin.text()).toBe(200);
  expect((await parseAnswer(byAdmin, tapRequestSchema)).status).toBe('revoked');

  const trail = eventsFor(await readAudit(request, AUDITOR, { targetId: await userIdOf('lena.fischer@contoso.test') }), forLena.id);
  expect(trail.filter((e) => e.type === 'tap.revoked')).toHaveLength(1);
});

test('the audit trail verifies after all that, is closed to non-auditors, and holds no pass', async ({ request }) => {
  await expectProblem(await asUser(request, 'bianca.pisani@contoso.test').get('/api/audit'), 403, 'forbidden');
  await expectProblem(await asUser(request, 'kim.akers@contoso.test').get('/api/audit/verify'), 403, 'forbidden');

  const verify = await asUser(request, AUDITOR).get('/api/audit/verify');
  expect(verify.status(), await verify.text()).toBe(200);
  const result = await parseAnswer(verify, auditVerificationSchema);
  expect(result.ok).toBe(true);
  expect(result.firstBrokenSeq).toBeUndefined();

  const events = await readAudit(request, AUDITOR);
  expect(result.count).toBe(events.length);
  expect(result.headHash).toBe(events[0]!.hash);
  expect(result.headHash).toMatch(/^[0-9a-f]{64}$/);
  // Newest first, seq without gaps, each event linked to the previous one.
  const bySeq = [...events].sort((a, b) => a.seq - b.seq);
  expect(bySeq.map((e) => e.seq)).toEqual(bySeq.map((_, i) => i + 1));
  expect(events.map((e) => e.seq)).toEqual([...bySeq].reverse().map((e) => e.seq));
  for (let i = 1; i < bySeq.length; i++) expect(bySeq[i]!.prevHash).toBe(bySeq[i - 1]!.hash);

  // Every pass this run has been given so far (this file's, and all recorded for the leak check).
  const text = JSON.stringify(events);
  for (const pass of new Set([...passesSeen, ...readIssuedPasses()])) expect(text).not.toContain(pass);
});
