/**
 * Every signal of the eligibility rule as `getTargetFacts` reads it from the local tenant: one
 * target per case, the round trips it costs, the further pages (sent again with
 * `ConsistencyLevel: eventual`, which the strict tenant demands), the owners hidden beyond an
 * `$expand` preview, the shared reads of the approver's queue, and what each missing permission
 * leaves unverifiable.
 */
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getTargetIneligibleReasons } from '@/lib/broker/eligibility';
import { CASES, CONTROLS, eligibilitySeed, groupIdOf, permissionsWithout, setBrokerPermissions } from '@/lib/testing/eligibility';
import { getDefaultPolicy } from '@/lib/broker/policy';
import { getManyTargetFacts, getTargetFacts } from '@/lib/graph/get-target-facts';
import { createLogger } from '@/lib/log';
import { BROKER_GRAPH_PERMISSIONS, startLocalTenant, TEST_DOMAIN, type LocalTenant } from '@/lib/testing/local-tenant';

const OWNERS = 25;
const UNITS = 101;
const upn = (name: string) => `${name}@${TEST_DOMAIN}`;

let local: LocalTenant;
let rules: ReturnType<typeof getDefaultPolicy>;

async function start(seed: Record<string, unknown>): Promise<void> {
  local = await startLocalTenant(seed);
  rules = { ...getDefaultPolicy(), protectedGroupIds: [groupIdOf(local, 'Executives')] };
}

/**
 * The case org plus `bigowner`, the last of 25 owners of a role-assignable group (beyond the 20
 * an `$expand` shows), and `many`, in 101 administrative units of which the restricted one comes
 * last, on the second page.
 */
function largerSeed(): Record<string, unknown> {
  const seed = eligibilitySeed();
  const users = seed['users'] as Record<string, unknown>[];
  const template = users.find((u) => u['userPrincipalName'] === upn('plain')) as Record<string, unknown>;
  const extra = (name: string) => ({ ...template, userPrincipalName: upn(name), displayName: name, directoryRoles: [], appRoles: [] });
  const owners = Array.from({ length: OWNERS }, (_, i) => (i === OWNERS - 1 ? 'bigowner' : `coowner${i}`));
  users.push(...owners.map(extra), extra('many'));
  const units = Array.from({ length: UNITS }, (_, i) => ({
    displayName: `Unit ${String(i).padStart(3, '0')}`,
    isMemberManagementRestricted: i === UNITS - 1,
    members: [upn('many')],
  }));
  return {
    ...seed,
    administrativeUnits: [...(seed['administrativeUnits'] as unknown[]), ...units],
    groups: [...(seed['groups'] as unknown[]), { displayName: 'Big Ops', isAssignableToRole: true, members: [], owners: owners.map(upn) }],
  };
}

afterEach(() => {
  setBrokerPermissions(local, BROKER_GRAPH_PERMISSIONS);
});

function roundTrips(): number {
  return Object.values(local.tenant.ctx.stats.graph).reduce((sum, n) => sum + n, 0);
}

function batchedItems(): number {
  return Object.values(local.tenant.ctx.stats.batched).reduce((sum, n) => sum + n, 0);
}

async function measure<T>(fn: () => Promise<T>): Promise<{ result: T; roundTrips: number; items: number }> {
  const before = roundTrips();
  const itemsBefore = batchedItems();
  const result = await fn();
  return { result, roundTrips: roundTrips() - before, items: batchedItems() - itemsBefore };
}

describe('getTargetFacts sees every case of the rule', () => {
  beforeAll(() => start(eligibilitySeed()));
  afterAll(() => local?.close());

  it.each([...CASES, ...CONTROLS].map((c) => [c.what, c] as const))('%s — in one round trip of 9 reads', async (_what, c) => {
    const { result: facts, roundTrips: trips, items } = await measure(() => getTargetFacts(local.userId(c.name)));
    expect(trips).toBe(1);
    // user, roles through groups, groups, units, role assignments, eligibilities (per target);
    // TAP policy, portal app roles, owners of role-assignable groups (shared).
    expect(items).toBe(9);
    expect(facts.unverifiable).toEqual([]);
    expect(getTargetIneligibleReasons(facts, local.userId('mgr'), rules)).toEqual(c.reasons);
  });

  it('for an issue, the same batch with the TAP methods: ten reads, still one round trip', async () => {
    const before = { ...local.tenant.ctx.stats.batched };
    const { result: facts, roundTrips: trips } = await measure(() => getTargetFacts(local.userId('plain'), { includeTapMethods: true }));
    expect(trips).toBe(1);
    expect(facts.tapMethods).toEqual([]);
    const items = Object.fromEntries(
      Object.entries(local.tenant.ctx.stats.batched)
        .map(([template, n]) => [template, n - (before[template] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );
    expect(items).toEqual({
      'GET /v1.0/users/{id}': 1,
      'GET /v1.0/users/{id}/transitiveMemberOf/microsoft.graph.directoryRole': 1,
      'GET /v1.0/users/{id}/transitiveMemberOf/microsoft.graph.group': 1,
      'GET /v1.0/users/{id}/memberOf/microsoft.graph.administrativeUnit': 1,
      'GET /v1.0/roleManagement/directory/roleAssignments': 1,
      'GET /v1.0/roleManagement/directory/roleEligibilityScheduleInstances': 1,
      'GET /v1.0/users/{id}/authentication/temporaryAccessPassMethods': 1,
      'GET /v1.0/groups': 1,
      'GET /v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass': 1,
      'GET /v1.0/servicePrincipals(appId={id})/appRoleAssignedTo': 1,
    });
  });

  it('a custom role, an AU-scoped role and a PIM-eligible role come from roleManagement, not transitiveMemberOf', async () => {
    const customRoleId = [...local.tenant.ctx.directory.customRoles.keys()][0];
    expect((await getTargetFacts(local.userId('custom'))).roleDefinitionIds).toEqual([customRoleId]);
    expect((await getTargetFacts(local.userId('auscoped'))).roleDefinitionIds).toEqual(['fe930be7-5e62-47db-91af-98c3a49a38b1']);
    expect((await getTargetFacts(local.userId('pim'))).roleDefinitionIds).toEqual(['62e90394-69f5-4237-9190-012177145e10']);
  });

  it('ownership and portal roles: the group ids and assignments behind them', async () => {
    expect((await getTargetFacts(local.userId('owner'))).ownedRoleAssignableGroupIds).toEqual([groupIdOf(local, 'Tier One Ops')]);
    const auditor = await getTargetFacts(local.userId('auditorgroup'));
    expect(auditor.portalAppRoleAssignments).toEqual([{ principalId: groupIdOf(local, 'Portal Auditors'), appRoleId: expect.any(String) }]);
    const plain = await getTargetFacts(local.userId('plain'));
    expect(plain.portalAppRoleAssignments).toEqual([]);
    expect(plain.ownedRoleAssignableGroupIds).toEqual([]);
  });

  it('the approver’s queue shares the TAP policy, the portal app roles and the owners once', async () => {
    const names = ['plain', 'pim', 'approverdirect', 'restricted'];
    const { result, roundTrips: trips, items } = await measure(() => getManyTargetFacts(names.map((n) => local.userId(n))));
    // 4 × 6 per-target reads + 3 shared = 27 items: two $batch requests in one round.
    expect(items).toBe(4 * 6 + 3);
    expect(trips).toBe(2);
    expect(names.map((n) => getTargetIneligibleReasons(result.get(local.userId(n))!, local.userId('mgr'), rules))).toEqual([
      [],
      ['privileged-role'],
      ['portal-role'],
      ['protected-account'],
    ]);
  });
});

describe('getTargetFacts in a larger directory: further pages and cut previews cost a round each', () => {
  beforeAll(() => start(largerSeed()));
  afterAll(() => local?.close());

  it('follows a further page of an advanced query with the header again: a restricted unit on page 2', async () => {
    const { result: facts, roundTrips: trips } = await measure(() => getTargetFacts(local.userId('many')));
    expect(trips).toBe(2);
    expect(facts.restrictedAdministrativeUnitIds).toHaveLength(1);
    expect(getTargetIneligibleReasons(facts, local.userId('mgr'), rules)).toEqual(['protected-account']);
  });

  it('reads every owner of a group whose expanded owners may have been cut at 20', async () => {
    const { result: facts, roundTrips: trips } = await measure(() => getTargetFacts(local.userId('bigowner')));
    expect(trips).toBe(2);
    expect(facts.ownedRoleAssignableGroupIds).toEqual([groupIdOf(local, 'Big Ops')]);
    expect(getTargetIneligibleReasons(facts, local.userId('mgr'), rules)).toEqual(['privileged-role']);
  });
});

describe('what the broker cannot see is cannot-verify, with the permission named', () => {
  beforeAll(() => start(eligibilitySeed()));
  afterAll(() => local?.close());

  function capture(): { log: ReturnType<typeof createLogger>; lines: string[] } {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    });
    return { log: createLogger(stream, 'debug'), lines };
  }

  it.each([
    ['GroupMember.Read.All', permissionsWithout('GroupMember.Read.All'), ['group-memberships', 'group-ownerships']],
    ['AdministrativeUnit.Read.All', permissionsWithout('AdministrativeUnit.Read.All'), ['administrative-units']],
    ['RoleManagement.Read.Directory', permissionsWithout('RoleManagement.Read.Directory'), ['directory-roles', 'eligible-roles']],
    [
      'RoleManagement.Read.Directory (only RoleAssignmentSchedule.Read.Directory granted)',
      permissionsWithout('RoleManagement.Read.Directory', ['RoleAssignmentSchedule.Read.Directory']),
      ['directory-roles', 'eligible-roles'],
    ],
    ['Application.Read.All', permissionsWithout('Application.Read.All'), ['portal-app-roles']],
    ['Policy.Read.AuthenticationMethod (Policy.Read.All is not enough)', permissionsWithout('Policy.Read.AuthenticationMethod', ['Policy.Read.All']), ['tap-policy']],
  ])('without %s', async (_missing, permissions, signals) => {
    setBrokerPermissions(local, permissions);
    const { log, lines } = capture();
    // plain: in an ordinary group and an ordinary unit, owner of an ordinary group — eligible when all is visible.
    const { result: facts, roundTrips: trips } = await measure(() => getTargetFacts(local.userId('plain'), { log }));
    expect(trips).toBe(1);
    expect([...facts.unverifiable].sort()).toEqual([...signals].sort());
    expect(getTargetIneligibleReasons(facts, local.userId('mgr'), rules)).toEqual(['cannot-verify']);
    const warning = lines.map((l) => JSON.parse(l) as { level: string; msg: string; unverifiable?: { signal: string; missingPermission: string }[] }).find((l) => l.level === 'warn');
    expect(warning?.unverifiable?.map((u) => u.signal).sort()).toEqual([...signals].sort());
    expect(warning?.msg).toMatch(/cannot be verified/);
    // The TAP policy refused is not "disabled": the pass is refused for not knowing, not for policy.
    if (signals.includes('tap-policy')) expect(facts.tapPolicy).toBeNull();
  });

  it('the warning names the permission to grant for each signal', async () => {
    setBrokerPermissions(local, permissionsWithout('AdministrativeUnit.Read.All'));
    const { log, lines } = capture();
    await getTargetFacts(local.userId('plain'), { log });
    expect(lines.join('')).toContain('"missingPermission":"AdministrativeUnit.Read.All"');
  });

  it('limited information counts only where it hides something: a user in no group and no unit', async () => {
    setBrokerPermissions(local, permissionsWithout('GroupMember.Read.All').filter((p) => p !== 'AdministrativeUnit.Read.All'));
    // custom is in no group and no unit: their lists are complete. Only the owners of
    // role-assignable groups, a 403, remain unknown.
    expect((await getTargetFacts(local.userId('custom'))).unverifiable).toEqual(['group-ownerships']);
    // plain's group and unit come back as bare ids: what they are cannot be told.
    expect([...(await getTargetFacts(local.userId('plain'))).unverifiable].sort()).toEqual(['administrative-units', 'group-memberships', 'group-ownerships']);
  });
});
