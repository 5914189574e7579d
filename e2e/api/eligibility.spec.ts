/**
 * The one promise: a manager gets a pass only for an account that gives no more power than a
 * plain member's. Every way an account can be stronger — a custom role, a role scoped to an
 * administrative unit, a PIM-eligible role, Authentication Administrator, a role-assignable
 * group (member or owner), a portal app role (direct or through a group), a restricted
 * administrative unit, a protected group — is refused with its named reason on the reportee list,
 * at create, at approve and at issue, and nothing reaches Graph's TAP endpoint.
 *
 * Approve and issue are tested by making the target stronger after the request was made
 * (the local tenant's directory is replaced between the two steps), as happens when someone is
 * given a role while a request waits.
 */
import { expect, test, type APIRequestContext } from '@playwright/test';
import type { IneligibleReason } from '@/lib/contract/eligibility';
import type { PolicyFields } from '@/lib/contract/policy';
import { reporteeListSchema } from '@/lib/contract/reportees';
import { expectProblem } from '../support/problem';
import { getPolicySettings, savePolicy } from '../support/policy-api';
import { asUser, createTapRequest, getTapRequest, issueTap, JUSTIFICATION, listTapRequests, parseAnswer, readAudit, userIdOf } from '../support/portal-api';
import { loadSeed, type Seed, type SeedUser } from '../support/seed';
import { replaceDirectory } from '../support/tenant-admin';
import { tenantUrl } from '../support/env';

const demo = loadSeed();
const MANAGER = 'adele.vance@contoso.test';
const APPROVER = 'kim.akers@contoso.test';
const AUDITOR = 'henrietta.mueller@contoso.test';
/** Adele's direct report who holds only Reports Reader (an allowed read-only role): eligible. */
const TARGET = 'nora.blake@contoso.test';

type Reason = Extract<IneligibleReason, 'privileged-role' | 'portal-role' | 'protected-account'>;

interface Case {
  name: string;
  reason: Reason;
  /** The demo account that shows this case as it is seeded (Adele's report), if any. */
  demoTarget?: string;
  /** Makes TARGET stronger in a copy of the demo seed. */
  apply: (seed: Seed, target: SeedUser) => void;
}

const groupNamed = (seed: Seed, name: string) => {
  const group = seed.groups?.find((g) => g.displayName === name);
  if (group === undefined) throw new Error(`the demo org has no group "${name}"`);
  return group;
};

const CASES: Case[] = [
  { name: 'a custom role', reason: 'privileged-role', demoTarget: 'ines.duarte@contoso.test', apply: (_s, t) => t.directoryRoles.push('Contoso Password Helpers') },
  {
    name: 'a role scoped to an administrative unit',
    reason: 'privileged-role',
    demoTarget: 'oscar.lindqvist@contoso.test',
    apply: (_s, t) => t.directoryRoles.push({ role: 'User Administrator', scope: '/administrativeUnits/Paris Office', assignment: 'active' }),
  },
  {
    name: 'a PIM-eligible role',
    reason: 'privileged-role',
    demoTarget: 'yuki.tanaka@contoso.test',
    apply: (_s, t) => t.directoryRoles.push({ role: 'Security Administrator', scope: '/', assignment: 'eligible' }),
  },
  { name: 'Authentication Administrator', reason: 'privileged-role', demoTarget: 'farah.aziz@contoso.test', apply: (_s, t) => t.directoryRoles.push('Authentication Administrator') },
  { name: 'Password Administrator', reason: 'privileged-role', demoTarget: 'raul.razo@contoso.test', apply: (_s, t) => t.directoryRoles.push('Password Administrator') },
  {
    name: 'membership of a role-assignable group',
    reason: 'privileged-role',
    apply: (s, t) => groupNamed(s, 'Helpdesk Operators').members.push(t.userPrincipalName),
  },
  {
    name: 'ownership of a role-assignable group',
    reason: 'privileged-role',
    demoTarget: 'marco.rossi@contoso.test',
    apply: (s, t) => {
      const group = groupNamed(s, 'Helpdesk Operators');
      group.owners = [...(group.owners ?? []), t.userPrincipalName];
    },
  },
  { name: 'a portal app role', reason: 'portal-role', demoTarget: 'cameron.white@contoso.test', apply: (_s, t) => t.appRoles.push('TapBroker.Auditor') },
  { name: 'a portal app role through a group', reason: 'portal-role', apply: (s, t) => groupNamed(s, 'TAP Broker Approvers').members.push(t.userPrincipalName) },
  {
    name: 'a restricted-management administrative unit',
    reason: 'protected-account',
    demoTarget: 'breakglass01@contoso.test',
    apply: (s, t) => {
      const unit = s.administrativeUnits?.find((u) => u.isMemberManagementRestricted === true);
      if (unit === undefined) throw new Error('the demo org has no restricted administrative unit');
      unit.members.push(t.userPrincipalName);
    },
  },
];

function strongerSeed(apply: Case['apply']): Seed {
  const seed = structuredClone(demo);
  const target = seed.users.find((u) => u.userPrincipalName === TARGET);
  if (target === undefined) throw new Error(`${TARGET} is not in the demo org`);
  apply(seed, target);
  return seed;
}

async function tapCreations(): Promise<number> {
  const res = await fetch(`${tenantUrl}/_tenant/stats`);
  const stats = (await res.json()) as { events?: Record<string, number> };
  return stats.events?.['tapMethod.created'] ?? 0;
}

/** The whole policy in force as a PUT takes it back: every field, lists and step-up included. */
async function policyEditable(request: APIRequestContext): Promise<PolicyFields> {
  const { version: _version, tenantTapPolicy: _tenant, ...editable } = await getPolicySettings(request);
  return editable;
}

test.afterEach(async () => {
  await replaceDirectory(demo);
});

test('the demo org shows every case on the reportee list, each with its named reason', async ({ request }) => {
  const res = await asUser(request, MANAGER).get('/api/reportees');
  expect(res.status(), await res.text()).toBe(200);
  const { reportees } = await parseAnswer(res, reporteeListSchema);
  const byUpn = new Map(reportees.map((r) => [r.userPrincipalName.toLowerCase(), r]));
  for (const c of CASES.filter((c) => c.demoTarget !== undefined)) {
    const row = byUpn.get(c.demoTarget!);
    expect(row, `${c.demoTarget} is on Adele's list`).toBeDefined();
    expect(row!.eligible, c.demoTarget).toBe(false);
    expect(row!.ineligibleReasons, c.demoTarget).toContain(c.reason);
  }
  // Only a read-only role on the allow-list: eligible.
  expect(byUpn.get(TARGET)).toMatchObject({ eligible: true, ineligibleReasons: [] });
});

test('every stronger account in the demo org is refused at create: 422 with the reason, nothing created', async ({ request }) => {
  const created = await tapCreations();
  const api = asUser(request, MANAGER);
  for (const c of CASES.filter((c) => c.demoTarget !== undefined)) {
    const targetId = await userIdOf(c.demoTarget!);
    const body = await expectProblem(await api.post('/api/tap-requests', { targetUserId: targetId, justification: JUSTIFICATION }), 422, 'target-ineligible');
    expect(body.reasons, c.name).toContain(c.reason);
  }
  // Isaiah's report Henrietta is the auditor; Miriam's report Kim approves through a group.
  for (const [manager, target] of [
    ['isaiah.langer@contoso.test', 'henrietta.mueller@contoso.test'],
    ['miriam.graham@contoso.test', 'kim.akers@contoso.test'],
  ] as const) {
    const body = await expectProblem(
      await asUser(request, manager).post('/api/tap-requests', { targetUserId: await userIdOf(target), justification: JUSTIFICATION }),
      422,
      'target-ineligible',
    );
    expect(body.reasons, `${manager} → ${target}`).toContain('portal-role');
  }
  const mine = await listTapRequests(request, MANAGER);
  const refusedIds = await Promise.all(CASES.filter((c) => c.demoTarget !== undefined).map((c) => userIdOf(c.demoTarget!)));
  expect(mine.filter((r) => refusedIds.includes(r.targetUserId))).toEqual([]);
  expect(await tapCreations()).toBe(created);
});

test('each case made after the request is refused at create, at approve and at issue, audited with its reason', async ({ request }) => {
  const original = await policyEditable(request);
  const targetId = await userIdOf(TARGET);
  const created = await tapCreations();
  try {
    for (const c of CASES) {
      // Create: the target is already stronger.
      await replaceDirectory(strongerSeed(c.apply));
      const atCreate = await expectProblem(
        await asUser(request, MANAGER).post('/api/tap-requests', { targetUserId: targetId, justification: JUSTIFICATION }),
        422,
        'target-ineligible',
      );
      expect(atCreate.reasons, `create: ${c.name}`).toContain(c.reason);

      // Approve: the request waits for an approver while the target becomes stronger.
      await replaceDirectory(demo);
      await savePolicy(request, { ...original, requireApproval: 'always' });
      const pending = await createTapRequest(request, MANAGER, TARGET);
      expect(pending.status).toBe('pending_approval');
      await replaceDirectory(strongerSeed(c.apply));
      const atApprove = await expectProblem(await asUser(request, APPROVER).post(`/api/tap-requests/${pending.id}/approve`, {}), 422, 'target-ineligible');
      expect(atApprove.reasons, `approve: ${c.name}`).toContain(c.reason);
      const afterApprove = await getTapRequest(request, MANAGER, pending.id);
      expect(afterApprove.status, `approve: ${c.name}`).toBe('failed');

      // Issue: approved (a direct report, no approval needed), then the target becomes stronger.
      await replaceDirectory(demo);
      await savePolicy(request, { ...original, requireApproval: 'indirect-only' });
      const approved = await createTapRequest(request, MANAGER, TARGET);
      expect(approved.status).toBe('approved');
      await replaceDirectory(strongerSeed(c.apply));
      const atIssue = await expectProblem(await issueTap(request, MANAGER, approved.id), 422, 'target-ineligible');
      expect(atIssue.reasons, `issue: ${c.name}`).toContain(c.reason);
      const afterIssue = await getTapRequest(request, MANAGER, approved.id);
      expect(afterIssue.status, `issue: ${c.name}`).toBe('failed');

      const refusals = await readAudit(request, AUDITOR, { requestId: approved.id, type: 'tap_request.refused' });
      expect(refusals.some((e) => JSON.stringify(e.data).includes(c.reason)), `issue refusal audited: ${c.name}`).toBe(true);
    }
  } finally {
    await savePolicy(request, original);
  }
  // Not one pass was created in Graph for any of them.
  expect(await tapCreations()).toBe(created);
});

test('a protected group on the policy makes its members ineligible; off the policy they are eligible again', async ({ request }) => {
  const original = await policyEditable(request);
  const protectedGroup = groupNamed(demo, 'Protected accounts');
  expect(protectedGroup.id, 'the demo org pins the protected group\'s id').toBeDefined();
  await replaceDirectory(strongerSeed((s, t) => groupNamed(s, 'Protected accounts').members.push(t.userPrincipalName)));
  const targetId = await userIdOf(TARGET);
  const create = () => asUser(request, MANAGER).post('/api/tap-requests', { targetUserId: targetId, justification: JUSTIFICATION });

  // Membership alone protects nobody until an admin lists the group.
  const before = await create();
  expect(before.status(), await before.text()).toBe(201);
  try {
    await savePolicy(request, { ...original, protectedGroupIds: [protectedGroup.id!] });
    const body = await expectProblem(await create(), 422, 'target-ineligible');
    expect(body.reasons).toEqual(['protected-account']);
    const listed = await parseAnswer(await asUser(request, MANAGER).get('/api/reportees'), reporteeListSchema);
    expect(listed.reportees.find((r) => r.id === targetId)?.ineligibleReasons).toEqual(['protected-account']);
  } finally {
    await savePolicy(request, original);
  }
  const after = await create();
  expect(after.status(), await after.text()).toBe(201);
});
