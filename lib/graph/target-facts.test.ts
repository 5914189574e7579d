import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BrokerError } from '@/lib/core/errors';
import { getTargetIneligibleReasons } from '@/lib/broker/eligibility';
import { getDefaultPolicy } from '@/lib/broker/policy';
import { getTargetFacts, getTenantTapPolicy } from '@/lib/graph/get-target-facts';
import { createTapMethod, deleteTapMethod, listTapMethods, TapCreateOutcomeUnknownError, TapCreateRejectedError } from '@/lib/graph/tap-methods';
import { buildTestSeed, startLocalTenant, TEST_DOMAIN, TEST_PORTAL_CLIENT_ID, TEST_TENANT_ID, type LocalTenant, type TestSeedUser } from '@/lib/testing/local-tenant';
import { setManager } from '@/tenant/directory';
import { defaultFaults } from '@/tenant/faults';

/**
 *   ceo ── mgr ── t1            t1: plain member
 *           ├──── helper        helper: Helpdesk Administrator through the role-assignable group "Ops"
 *           ├──── reader        reader: Directory Readers (an allow-listed read-only role), member of "Pilot"
 *           ├──── admin         admin: User Administrator directly
 *           └──── ops2          ops2: member of the role-assignable group "Tier Zero", which holds no role
 *   loop1 ⇄ loop2               (a manager cycle, made after start)
 */
const ORG: TestSeedUser[] = [
  { upn: 'ceo', displayName: 'Cora CEO' },
  { upn: 'mgr', displayName: 'Max Manager', manager: 'ceo' },
  { upn: 't1', displayName: 'Tia Target', manager: 'mgr', jobTitle: 'Engineer', department: 'R&D', employeeHireDate: '2031-02-03T08:00:00Z' },
  { upn: 'helper', displayName: 'Hal Helper', manager: 'mgr' },
  { upn: 'reader', displayName: 'Rae Reader', manager: 'mgr', directoryRoles: ['Directory Readers'] },
  { upn: 'admin', displayName: 'Ada Admin', manager: 'mgr', directoryRoles: ['User Administrator'] },
  { upn: 'ops2', displayName: 'Oli Ops', manager: 'mgr' },
  { upn: 'loop1', displayName: 'Loop One' },
  { upn: 'loop2', displayName: 'Loop Two', manager: 'loop1' },
];
const HELPDESK_ADMIN = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const USER_ADMIN = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const DIRECTORY_READERS = '88d8e3e3-8f55-4a1e-953a-9b9898b8876b';
const RULES = getDefaultPolicy();

let local: LocalTenant;

function seed(): Record<string, unknown> {
  return {
    ...buildTestSeed(ORG),
    groups: [
      { displayName: 'Ops', isAssignableToRole: true, members: [`helper@${TEST_DOMAIN}`], directoryRoles: ['Helpdesk Administrator'] },
      { displayName: 'Tier Zero', isAssignableToRole: true, members: [`ops2@${TEST_DOMAIN}`] },
      { displayName: 'Pilot', members: [`reader@${TEST_DOMAIN}`, 'Pilot Inner'] },
      { displayName: 'Pilot Inner', members: [`t1@${TEST_DOMAIN}`] },
    ],
  };
}

function groupId(name: string): string {
  for (const g of local.tenant.ctx.directory.groups.values()) if (g.displayName === name) return g.id;
  throw new Error(`no group ${name}`);
}

function roundTrips(): number {
  return Object.values(local.tenant.ctx.stats.graph).reduce((sum, n) => sum + n, 0);
}

async function measure<T>(fn: () => Promise<T>): Promise<{ result: T; roundTrips: number }> {
  const before = roundTrips();
  const result = await fn();
  return { result, roundTrips: roundTrips() - before };
}

beforeAll(async () => {
  local = await startLocalTenant(seed());
  setManager(local.tenant.ctx.directory, local.userId('loop1'), local.userId('loop2'));
});

afterAll(async () => {
  await local?.close();
});

beforeEach(() => {
  Object.assign(local.tenant.ctx.faults, defaultFaults(), { retryAfterSeconds: 0 });
  local.tenant.ctx.directory.tapMethods.clear();
  Object.assign(local.tenant.ctx.directory.tapPolicy, {
    state: 'enabled',
    isUsableOnce: false,
    includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }],
    excludeTargets: [],
  });
});

describe('getTargetFacts', () => {
  it('reads the user, chain, every eligibility signal and the TAP policy in ONE round trip', async () => {
    const { result: facts, roundTrips: trips } = await measure(() => getTargetFacts(local.userId('t1')));
    expect(trips).toBe(1);
    expect(facts.target).toEqual({
      id: local.userId('t1'),
      displayName: 'Tia Target',
      userPrincipalName: `t1@${TEST_DOMAIN}`,
      jobTitle: 'Engineer',
      department: 'R&D',
      accountEnabled: true,
      userType: 'Member',
      employeeHireDate: '2031-02-03T08:00:00Z',
    });
    expect(facts.chain).toEqual([
      { id: local.userId('mgr'), displayName: 'Max Manager', accountEnabled: true, userType: 'Member' },
      { id: local.userId('ceo'), displayName: 'Cora CEO', accountEnabled: true, userType: 'Member' },
    ]);
    expect(facts.roleDefinitionIds).toEqual([]);
    expect(facts.groupIds.sort()).toEqual([groupId('Pilot'), groupId('Pilot Inner')].sort());
    expect(facts).toMatchObject({
      roleAssignableGroupIds: [],
      ownedRoleAssignableGroupIds: [],
      restrictedAdministrativeUnitIds: [],
      portalAppRoleAssignments: [],
      unverifiable: [],
    });
    expect(facts.tapPolicy).toEqual({
      state: 'enabled',
      defaultLifetimeInMinutes: 60,
      minimumLifetimeInMinutes: 60,
      maximumLifetimeInMinutes: 480,
      defaultLength: 8,
      isUsableOnce: false,
      includeTargets: [{ targetType: 'group', id: 'all_users' }],
      excludeTargets: [],
    });
    expect(facts.tapMethods).toBeNull();
    expect(facts.graphRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(getTargetIneligibleReasons(facts, local.userId('mgr'), RULES)).toEqual([]);
  });

  it('sees roles held directly and through a role-assignable group; allow-listed roles do not count', async () => {
    const helper = await getTargetFacts(local.userId('helper'));
    expect(helper.roleDefinitionIds).toEqual([HELPDESK_ADMIN]);
    expect(helper.groupIds).toEqual([groupId('Ops')]);
    expect(helper.roleAssignableGroupIds).toEqual([groupId('Ops')]);
    expect(getTargetIneligibleReasons(helper, local.userId('mgr'), RULES)).toEqual(['privileged-role']);
    const reader = await getTargetFacts(local.userId('reader'));
    expect(reader.roleDefinitionIds).toEqual([DIRECTORY_READERS]);
    expect(reader.roleAssignableGroupIds).toEqual([]);
    expect(getTargetIneligibleReasons(reader, local.userId('mgr'), RULES)).toEqual([]);
  });

  it('a UPN reference costs one more round: the role filters need the object id', async () => {
    const { result: admin, roundTrips: trips } = await measure(() => getTargetFacts(`admin@${TEST_DOMAIN}`));
    expect(trips).toBe(2);
    expect(admin.target?.id).toBe(local.userId('admin'));
    expect(admin.roleDefinitionIds).toEqual([USER_ADMIN]);
    expect(getTargetIneligibleReasons(admin, local.userId('mgr'), RULES)).toEqual(['privileged-role']);
  });

  it('a member of a role-assignable group is privileged even when the group holds no role', async () => {
    const ops2 = await getTargetFacts(local.userId('ops2'));
    expect(ops2.roleDefinitionIds).toEqual([]);
    expect(ops2.groupIds).toEqual([groupId('Tier Zero')]);
    expect(ops2.roleAssignableGroupIds).toEqual([groupId('Tier Zero')]);
    expect(getTargetIneligibleReasons(ops2, local.userId('mgr'), RULES)).toEqual(['privileged-role']);
  });

  it('applies the TAP policy state and group targets (exclusion wins)', async () => {
    const policy = local.tenant.ctx.directory.tapPolicy;
    policy.includeTargets = [{ targetType: 'group', id: groupId('Pilot'), isRegistrationRequired: false }];
    const inScope = await getTargetFacts(local.userId('t1'));
    expect(getTargetIneligibleReasons(inScope, local.userId('mgr'), RULES)).toEqual([]);
    const outside = await getTargetFacts(local.userId('admin'));
    expect(getTargetIneligibleReasons(outside, local.userId('mgr'), RULES)).toEqual(['privileged-role', 'outside-tap-policy']);
    policy.excludeTargets = [{ targetType: 'group', id: groupId('Pilot Inner') }];
    expect(getTargetIneligibleReasons(await getTargetFacts(local.userId('t1')), local.userId('mgr'), RULES)).toEqual(['outside-tap-policy']);
    policy.state = 'disabled';
    expect(getTargetIneligibleReasons(await getTargetFacts(local.userId('reader')), local.userId('mgr'), RULES)).toEqual(['tap-policy-disabled']);
    expect(await getTenantTapPolicy()).toMatchObject({ state: 'disabled', includeTargets: [{ targetType: 'group', id: groupId('Pilot') }] });
  });

  it('includes the TAP methods on request, still in one round trip', async () => {
    await createTapMethod(local.userId('t1'), { lifetimeInMinutes: 60, isUsableOnce: true });
    const { result: facts, roundTrips: trips } = await measure(() => getTargetFacts(local.userId('t1'), { includeTapMethods: true }));
    expect(trips).toBe(1);
    expect(facts.tapMethods).toHaveLength(1);
    expect(facts.tapMethods?.[0]).toMatchObject({ lifetimeInMinutes: 60, isUsableOnce: true, isUsable: true, methodUsabilityReason: 'EnabledByPolicy' });
    expect(JSON.stringify(facts)).not.toContain('temporaryAccessPass');
  });

  it('answers target null for unknown ids, and sends nothing user-shaped to Graph for malformed ones', async () => {
    const unknown = await getTargetFacts('00000000-0000-4000-8000-00000000dead');
    expect(unknown).toMatchObject({ target: null, chain: [], roleDefinitionIds: [], groupIds: [] });
    const batchedBefore = { ...local.tenant.ctx.stats.batched };
    for (const bad of ['', '../groups', 'x?$select=id', 'a/b@c', `${'a'.repeat(400)}@x`]) {
      const facts = await getTargetFacts(bad);
      expect(facts.target).toBeNull();
      expect(facts.tapPolicy?.state).toBe('enabled');
    }
    const userItems = Object.entries(local.tenant.ctx.stats.batched).filter(([k, n]) => k.includes('/users') && n !== (batchedBefore[k] ?? 0));
    expect(userItems).toEqual([]);
  });

  it('ends the chain at a manager cycle', async () => {
    const facts = await getTargetFacts(local.userId('loop1'));
    expect(facts.chain.map((m) => m.id)).toEqual([local.userId('loop2')]);
  });

  it('rides out items throttled inside the batch envelope, and fails upstream-unavailable when Graph stays down', async () => {
    Object.assign(local.tenant.ctx.faults, { batchItemThrottleNext: 3 });
    const { result: facts, roundTrips: trips } = await measure(() => getTargetFacts(local.userId('t1')));
    expect(facts.chain).toHaveLength(2);
    expect(trips).toBe(2); // the throttled items are re-sent together, once
    expect(local.tenant.ctx.faults.batchItemThrottleNext).toBe(0);

    Object.assign(local.tenant.ctx.faults, { unavailableNext: 10 });
    await expect(getTargetFacts(local.userId('t1'))).rejects.toMatchObject({ code: 'upstream-unavailable' });
    Object.assign(local.tenant.ctx.faults, { unavailableNext: 0, dropNext: 1 });
    const dropped = await getTargetFacts(local.userId('t1')).catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(BrokerError);
    expect(dropped).toMatchObject({ code: 'upstream-unavailable' });
  });
});

describe('TAP methods', () => {
  const creates = (): number => local.tenant.ctx.stats.events['tapMethod.created'] ?? 0;

  it('creates a pass (returned once), lists it without the pass, deletes it, and 404 reads as deleted:false', async () => {
    const userId = local.userId('t1');
    const start = new Date(Date.now() + 3_600_000).toISOString();
    const { result, roundTrips: trips } = await measure(() => createTapMethod(userId, { startDateTime: start, lifetimeInMinutes: 120, isUsableOnce: false }));
    expect(trips).toBe(1);
    expect(result.graphRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.method.temporaryAccessPass).toMatch(/^\S{8}$/);
    expect(result.method).toMatchObject({ lifetimeInMinutes: 120, isUsableOnce: false, isUsable: false, methodUsabilityReason: 'NotYetValid' });
    expect(Date.parse(result.method.startDateTime)).toBe(Date.parse(start));

    const listed = await listTapMethods(userId);
    expect(listed).toEqual([
      {
        id: result.method.id,
        createdDateTime: result.method.createdDateTime,
        startDateTime: result.method.startDateTime,
        lifetimeInMinutes: 120,
        isUsableOnce: false,
        isUsable: false,
        methodUsabilityReason: 'NotYetValid',
      },
    ]);
    expect(await deleteTapMethod(userId, result.method.id)).toMatchObject({ deleted: true });
    expect(await listTapMethods(userId)).toEqual([]);
    expect(await deleteTapMethod(userId, result.method.id)).toMatchObject({ deleted: false });
    expect(await listTapMethods('00000000-0000-4000-8000-00000000dead')).toEqual([]);
  });

  it('reports a definitive refusal as TapCreateRejectedError, without creating anything', async () => {
    const before = creates();
    const error = await createTapMethod(local.userId('t1'), { lifetimeInMinutes: 5000, isUsableOnce: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TapCreateRejectedError);
    expect(error).toMatchObject({ status: 400, graphCode: 'badRequest' });
    expect((error as TapCreateRejectedError).graphRequestId).toMatch(/^[0-9a-f-]{36}$/);
    local.tenant.ctx.directory.tapPolicy.state = 'disabled';
    await expect(createTapMethod(local.userId('t1'), { lifetimeInMinutes: 60, isUsableOnce: true })).rejects.toBeInstanceOf(TapCreateRejectedError);
    expect(creates()).toBe(before);
    expect(await listTapMethods(local.userId('t1'))).toEqual([]);
  });

  it('never retries a 503 create: fail-without-create and create-then-fail both surface as outcome unknown', async () => {
    const userId = local.userId('t1');
    Object.assign(local.tenant.ctx.faults, { tapCreateFailNext: 1 });
    const before = creates();
    const { result: first, roundTrips: trips } = await measure(() => createTapMethod(userId, { lifetimeInMinutes: 60, isUsableOnce: true }).catch((e: unknown) => e));
    expect(first).toBeInstanceOf(TapCreateOutcomeUnknownError);
    expect(trips).toBe(1);
    expect(creates()).toBe(before);
    expect(await listTapMethods(userId)).toEqual([]);

    Object.assign(local.tenant.ctx.faults, { tapCreateFailAfterNext: 1 });
    const second = await createTapMethod(userId, { lifetimeInMinutes: 60, isUsableOnce: true }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(TapCreateOutcomeUnknownError);
    expect(creates()).toBe(before + 1);
    // The pass exists although the caller never saw it: this is what reconciliation deletes.
    expect(await listTapMethods(userId)).toHaveLength(1);
  });

  it('a create that hangs after creating times out as outcome unknown; the pass exists', async () => {
    const userId = local.userId('t1');
    Object.assign(local.tenant.ctx.faults, { tapCreateHangNext: 1 });
    const before = creates();
    const error = await createTapMethod(userId, { lifetimeInMinutes: 60, isUsableOnce: true }, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TapCreateOutcomeUnknownError);
    expect(String(error)).not.toMatch(/temporaryAccessPass/i);
    expect(creates()).toBe(before + 1);
    expect(await listTapMethods(userId)).toHaveLength(1);
  });

  it('retries a 429 on create (nothing was processed) and creates exactly one pass', async () => {
    const userId = local.userId('t1');
    Object.assign(local.tenant.ctx.faults, { throttleNext: 1 });
    const before = creates();
    const { result, roundTrips: trips } = await measure(() => createTapMethod(userId, { lifetimeInMinutes: 60, isUsableOnce: true }));
    expect(result.method.isUsableOnce).toBe(true);
    expect(trips).toBe(2);
    expect(creates()).toBe(before + 1);
  });

  it('the created pass signs the user in (ROPC) until it is deleted; a one-time pass works once', async () => {
    const userId = local.userId('t1');
    const tokenUrl = `${local.url}/${TEST_TENANT_ID}/oauth2/v2.0/token`;
    const signIn = async (password: string) => {
      const response = await fetch(tokenUrl, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'password', client_id: TEST_PORTAL_CLIENT_ID, scope: local.apiScope, username: `t1@${TEST_DOMAIN}`, password }),
      });
      return { status: response.status, body: (await response.json()) as { access_token?: string; error_codes?: number[] } };
    };
    const once = await createTapMethod(userId, { lifetimeInMinutes: 60, isUsableOnce: true });
    expect((await signIn(once.method.temporaryAccessPass)).body.access_token).toBeDefined();
    const reused = await signIn(once.method.temporaryAccessPass);
    expect(reused.status).toBe(400);
    expect(reused.body.error_codes).toEqual([130504]);

    const multi = await createTapMethod(userId, { lifetimeInMinutes: 60, isUsableOnce: false });
    expect((await signIn(multi.method.temporaryAccessPass)).status).toBe(200);
    expect((await signIn(multi.method.temporaryAccessPass)).status).toBe(200);
    await deleteTapMethod(userId, multi.method.id);
    const revoked = await signIn(multi.method.temporaryAccessPass);
    expect(revoked.status).toBe(400);
    expect(revoked.body.error_codes).toEqual([50126]);
  });
});
