import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '@/lib/auth/actor';
import { verifyAccessToken } from '@/lib/auth/verify-access-token';
import { BrokerError } from '@/lib/core/errors';
import { listReportees, type ReporteeView } from '@/lib/broker/list-reportees';
import { getDefaultPolicy } from '@/lib/broker/policy';
import { BROKER_GRAPH_PERMISSIONS, buildTestSeed, startLocalTenant, TEST_TENANT_ID, type LocalTenant, type TestSeedUser } from '@/lib/testing/local-tenant';
import { setManager } from '@/tenant/directory';

/**
 *   ceo
 *   ├─ m1 ── a1 ── b1 ── c1
 *   │    ├─ a2 (disabled)
 *   │    └─ g1 (guest)
 *   └─ m2 ── x1
 *   outsider            (no manager, no reports)
 *   cyc1 ⇄ cyc2         (made a cycle after start: Graph allows it)
 */
const ORG: TestSeedUser[] = [
  { upn: 'ceo', displayName: 'Cora CEO', jobTitle: 'CEO', appRoles: ['TapBroker.Admin'] },
  { upn: 'm1', displayName: 'Mona Manager', manager: 'ceo', jobTitle: 'Engineering Manager', department: 'Engineering' },
  { upn: 'm2', displayName: 'Milo Manager', manager: 'ceo', jobTitle: 'Sales Manager', department: 'Sales' },
  { upn: 'a1', displayName: 'Ada Engineer', manager: 'm1', jobTitle: 'Engineer', employeeHireDate: '2031-01-05T08:00:00Z' },
  { upn: 'a2', displayName: 'Abe Disabled', manager: 'm1', accountEnabled: false },
  { upn: 'g1', displayName: 'Gus Guest', manager: 'm1', userType: 'Guest' },
  { upn: 'b1', displayName: 'Bea Lead', manager: 'a1' },
  { upn: 'c1', displayName: 'Cal Junior', manager: 'b1' },
  { upn: 'x1', displayName: 'Xena Seller', manager: 'm2' },
  { upn: 'outsider', displayName: 'Otto Outsider' },
  { upn: 'cyc1', displayName: 'Cy One' },
  { upn: 'cyc2', displayName: 'Cy Two', manager: 'cyc1' },
];

/**
 * People nobody manages and who manage nobody. The walk reads the whole directory instead of
 * listing a level when that level would cost more round trips than the scan; in a tenant of a
 * few dozen people one scan page always wins. Padding the directory to a few thousand people
 * keeps small teams on the level-by-level walk, as in a real tenant.
 */
function bystanders(count: number): TestSeedUser[] {
  return Array.from({ length: count }, (_, i) => ({ upn: `bystander${i}`, displayName: `Bystander ${i}` }));
}

/**
 * The built-in policy (no depth limit), passed explicitly, and the live Graph walk: these tests
 * have no database (the mirror-backed list is tested in list-reportees-mirror.test.ts).
 */
const UNLIMITED = { policy: getDefaultPolicy(), useMirror: false };

let local: LocalTenant;

function batchRequests(): number {
  return Object.entries(local.tenant.ctx.stats.graph)
    .filter(([template]) => template.includes('$batch'))
    .reduce((sum, [, count]) => sum + count, 0);
}

function allGraphRequests(): number {
  return Object.values(local.tenant.ctx.stats.graph).reduce((sum, count) => sum + count, 0);
}

async function actorFor(name: string): Promise<Actor> {
  return verifyAccessToken(`Bearer ${await local.getUserToken(name)}`);
}

function summary(reportees: ReporteeView[]): [string, number][] {
  return reportees.map((r) => [r.userPrincipalName.split('@')[0] ?? '', r.depth]);
}

async function measure<T>(fn: () => Promise<T>): Promise<{ result: T; batches: number; requests: number }> {
  const batchesBefore = batchRequests();
  const requestsBefore = allGraphRequests();
  const result = await fn();
  return { result, batches: batchRequests() - batchesBefore, requests: allGraphRequests() - requestsBefore };
}

describe('listReportees against the local tenant', () => {
  beforeAll(async () => {
    local = await startLocalTenant(buildTestSeed([...ORG, ...bystanders(3000)]));
    setManager(local.tenant.ctx.directory, local.userId('cyc1'), local.userId('cyc2'));
  });

  afterAll(async () => {
    await local?.close();
  });

  beforeEach(() => {
    Object.assign(local.tenant.ctx.faults, { throttleNext: 0, unavailableNext: 0, dropNext: 0, throttleRate: 0, latencyMs: 0 });
  });

  it('returns exactly everyone below the caller, with depths, eligibility and order', async () => {
    const actor = await actorFor('ceo');
    const { result, batches, requests } = await measure(() => listReportees(actor, UNLIMITED));
    expect(summary(result.reportees)).toEqual([
      ['m2', 1],
      ['m1', 1],
      ['a2', 2],
      ['a1', 2],
      ['g1', 2],
      ['x1', 2],
      ['b1', 3],
      ['c1', 4],
    ]);
    const byName = new Map(result.reportees.map((r) => [r.userPrincipalName.split('@')[0], r]));
    expect(byName.get('a2')).toMatchObject({ eligible: false, ineligibleReasons: ['account-disabled'] });
    expect(byName.get('g1')).toMatchObject({ eligible: false, ineligibleReasons: ['guest'] });
    expect(byName.get('a1')).toEqual({
      id: local.userId('a1'),
      displayName: 'Ada Engineer',
      userPrincipalName: 'a1@test.contoso.test',
      jobTitle: 'Engineer',
      department: null,
      employeeHireDate: '2031-01-05T08:00:00Z',
      managerId: local.userId('m1'),
      depth: 2,
      eligible: true,
      ineligibleReasons: [],
    });
    expect(byName.get('m1')).toMatchObject({ jobTitle: 'Engineering Manager', department: 'Engineering', managerId: local.userId('ceo') });
    // Deepest reportee at depth 4 → 5 breadth-first rounds, one $batch each, and nothing else.
    expect(batches).toBe(5);
    expect(requests).toBe(5);
  });

  it('reads a middle manager’s subtree in D+1 round trips', async () => {
    const actor = await actorFor('m1');
    const { result, batches } = await measure(() => listReportees(actor, UNLIMITED));
    expect(summary(result.reportees)).toEqual([
      ['a2', 1],
      ['a1', 1],
      ['g1', 1],
      ['b1', 2],
      ['c1', 3],
    ]);
    expect(batches).toBe(4);
  });

  it('costs one round trip for someone without reports', async () => {
    for (const name of ['c1', 'outsider']) {
      const actor = await actorFor(name);
      const { result, batches } = await measure(() => listReportees(actor, UNLIMITED));
      expect(result.reportees).toEqual([]);
      expect(batches).toBe(1);
    }
  });

  it('stops at the policy’s maxDepth without reading further', async () => {
    const actor = await actorFor('ceo');
    const { result, batches } = await measure(() => listReportees(actor, { ...UNLIMITED, policy: { ...getDefaultPolicy(), maxDepth: 2 } }));
    expect(summary(result.reportees).map(([name]) => name).sort()).toEqual(['a1', 'a2', 'g1', 'm1', 'm2', 'x1']);
    expect(batches).toBe(2);
    const direct = await measure(() => listReportees(actor, { ...UNLIMITED, policy: { ...getDefaultPolicy(), maxDepth: 1 } }));
    expect(summary(direct.result.reportees)).toEqual([
      ['m2', 1],
      ['m1', 1],
    ]);
    expect(direct.batches).toBe(1);
  });

  it('ends the walk on a cycle in manager data', async () => {
    const actor = await actorFor('cyc1');
    const { result, batches } = await measure(() => listReportees(actor, UNLIMITED));
    expect(summary(result.reportees)).toEqual([['cyc2', 1]]);
    expect(batches).toBe(2);
  });

  it('reads Graph afresh each time: a move shows at once', async () => {
    const actor = await actorFor('m1');
    setManager(local.tenant.ctx.directory, local.userId('x1'), local.userId('m1'));
    try {
      const { reportees } = await listReportees(actor, UNLIMITED);
      expect(summary(reportees)).toContainEqual(['x1', 1]);
    } finally {
      setManager(local.tenant.ctx.directory, local.userId('x1'), local.userId('m2'));
    }
    const { reportees } = await listReportees(actor, UNLIMITED);
    expect(summary(reportees).map(([name]) => name)).not.toContain('x1');
  });

  it('shares one Graph read among identical calls in flight, and reads afresh once it is done', async () => {
    const actor = await actorFor('m1');
    const alone = await measure(() => listReportees(actor, UNLIMITED));
    // Ten tabs at once: one read of the tree, not ten.
    const together = await measure(() => Promise.all(Array.from({ length: 10 }, () => listReportees(actor, UNLIMITED))));
    expect(together.requests).toBe(alone.requests);
    for (const { reportees } of together.result) expect(reportees).toEqual(alone.result.reportees);
    // A different caller is a different read.
    const ceo = await actorFor('ceo');
    const two = await measure(() => Promise.all([listReportees(actor, UNLIMITED), listReportees(ceo, UNLIMITED)]));
    expect(two.requests).toBeGreaterThan(alone.requests);
    // Nothing is kept after the call: the next read goes to Graph again.
    const after = await measure(() => listReportees(actor, UNLIMITED));
    expect(after.requests).toBe(alone.requests);
  });

  it('refuses callers who are not enabled member users in Graph', async () => {
    const guest = await actorFor('g1');
    await expect(listReportees(guest, UNLIMITED)).rejects.toMatchObject({ code: 'forbidden' });
    const base: Actor = { id: local.userId('a2'), tenantId: TEST_TENANT_ID, displayName: 'x', userPrincipalName: 'x', roles: [], authContexts: [], tokenIssuedAt: null };
    // A token can outlive the account's disabling; Graph is the authority.
    await expect(listReportees(base, UNLIMITED)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(listReportees({ ...base, id: '12345678-0000-4000-8000-00000000dead' }, UNLIMITED)).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('rides out Graph throttling by honouring Retry-After', async () => {
    Object.assign(local.tenant.ctx.faults, { throttleNext: 2, retryAfterSeconds: 0 });
    const actor = await actorFor('m1');
    const { result, batches } = await measure(() => listReportees(actor, UNLIMITED));
    expect(result.reportees).toHaveLength(5);
    expect(batches).toBe(4 + 2);
  });

  it('answers upstream-unavailable when Graph keeps failing or drops the connection', async () => {
    const actor = await actorFor('m1');
    Object.assign(local.tenant.ctx.faults, { throttleNext: 10, retryAfterSeconds: 0 });
    const throttled = await listReportees(actor, UNLIMITED).catch((error: unknown) => error);
    expect(throttled).toBeInstanceOf(BrokerError);
    expect(throttled).toMatchObject({ code: 'upstream-unavailable' });

    Object.assign(local.tenant.ctx.faults, { throttleNext: 0, dropNext: 1 });
    const dropped = await listReportees(actor, UNLIMITED).catch((error: unknown) => error);
    expect(dropped).toMatchObject({ code: 'upstream-unavailable' });

    Object.assign(local.tenant.ctx.faults, { dropNext: 0, throttleNext: 1, retryAfterSeconds: 3600 });
    const tooLong = await listReportees(actor, UNLIMITED).catch((error: unknown) => error);
    expect(tooLong).toMatchObject({ code: 'upstream-unavailable', retryAfterSeconds: 3600 });
  });
});

describe('listReportees over paged directReports', () => {
  const WIDE = 1005;

  beforeAll(async () => {
    const users: TestSeedUser[] = [{ upn: 'boss', displayName: 'Big Boss' }];
    for (let i = 0; i < WIDE; i += 1) users.push({ upn: `r${i}`, displayName: `Report ${String(i).padStart(4, '0')}`, manager: 'boss' });
    users.push({ upn: 'deep', displayName: 'Deep Report', manager: `r${WIDE - 1}` });
    local = await startLocalTenant(buildTestSeed([...users, ...bystanders(30_000)]));
  });

  afterAll(async () => {
    await local?.close();
  });

  it('follows @odata.nextLink inside $batch and still never asks per person outside it', async () => {
    const actor = await actorFor('boss');
    const { result, batches, requests } = await measure(() => listReportees(actor, UNLIMITED));
    expect(result.reportees).toHaveLength(WIDE + 1);
    expect(new Set(result.reportees.map((r) => r.id)).size).toBe(WIDE + 1);
    expect(result.reportees.filter((r) => r.depth === 1)).toHaveLength(WIDE);
    expect(result.reportees.at(-1)).toMatchObject({ userPrincipalName: 'deep@test.contoso.test', depth: 2 });
    // Round 1: root + page 1 (999). Round 2: page 2 + 999 listings = 1000 → 50 batches.
    // Round 3: 6 listings → 1 batch. Round 4: deep's (empty) listing → 1 batch.
    expect(batches).toBe(1 + 50 + 1 + 1);
    expect(requests).toBe(batches);
  });
});

describe('listReportees eligibility from roles and the TAP policy, without per-person requests', () => {
  /**
   *   boss ── a (Global Administrator) ── a1
   *        ├─ b (User Administrator through the role-assignable group "Ops")
   *        ├─ c (in "Pilot", via the nested group "Pilot Inner")
   *        └─ d (Password Administrator: can reset other people's passwords, so never eligible)
   */
  const users: TestSeedUser[] = [
    { upn: 'boss', displayName: 'Big Boss' },
    { upn: 'a', displayName: 'A Admin', manager: 'boss', directoryRoles: ['Global Administrator'] },
    { upn: 'a1', displayName: 'A1 Report', manager: 'a' },
    { upn: 'b', displayName: 'B Via Group', manager: 'boss' },
    { upn: 'c', displayName: 'C Pilot', manager: 'boss' },
    { upn: 'd', displayName: 'D Password Admin', manager: 'boss', directoryRoles: ['Password Administrator'] },
  ];
  const groups = [
    { displayName: 'Ops', isAssignableToRole: true, members: ['b@test.contoso.test'], directoryRoles: ['User Administrator'] },
    { displayName: 'Pilot', members: ['Pilot Inner'] },
    { displayName: 'Pilot Inner', members: ['c@test.contoso.test'] },
  ];
  const permissions = [...BROKER_GRAPH_PERMISSIONS];

  function reasonsByName(reportees: ReporteeView[]): Record<string, string[]> {
    return Object.fromEntries(reportees.map((r) => [r.userPrincipalName.split('@')[0] ?? '', r.ineligibleReasons]));
  }

  function pilotId(): string {
    for (const g of local.tenant.ctx.directory.groups.values()) if (g.displayName === 'Pilot') return g.id;
    throw new Error('no Pilot group');
  }

  describe('with GroupMember.Read.All', () => {
    beforeAll(async () => {
      local = await startLocalTenant({ ...buildTestSeed([...users, ...bystanders(3000)], { brokerPermissions: permissions }), groups });
    });

    afterAll(async () => {
      await local?.close();
    });

    it('flags privileged roles (direct and via a group) in levels + 1 round trips, all batched', async () => {
      const actor = await actorFor('boss');
      const { result, batches, requests } = await measure(() => listReportees(actor, UNLIMITED));
      expect(reasonsByName(result.reportees)).toEqual({ a: ['privileged-role'], b: ['privileged-role'], c: [], d: ['privileged-role'], a1: [] });
      // Deepest reportee at depth 2 → 3 rounds; the members and owners of "Ops" ride in round 2.
      expect(batches).toBe(3);
      expect(requests).toBe(3);
    });

    it('applies the TAP policy: group targets (nested), exclusions, disabled state', async () => {
      const actor = await actorFor('boss');
      const policy = local.tenant.ctx.directory.tapPolicy;
      try {
        policy.includeTargets = [{ targetType: 'group', id: pilotId(), isRegistrationRequired: false }];
        const { result, batches } = await measure(() => listReportees(actor, UNLIMITED));
        expect(reasonsByName(result.reportees)).toEqual({
          a: ['privileged-role', 'outside-tap-policy'],
          b: ['privileged-role', 'outside-tap-policy'],
          c: [],
          d: ['privileged-role', 'outside-tap-policy'],
          a1: ['outside-tap-policy'],
        });
        expect(batches).toBe(3);
        policy.includeTargets = [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }];
        policy.excludeTargets = [{ targetType: 'group', id: pilotId() }];
        expect(reasonsByName((await listReportees(actor, UNLIMITED)).reportees).c).toEqual(['outside-tap-policy']);
        policy.excludeTargets = [];
        policy.state = 'disabled';
        expect(reasonsByName((await listReportees(actor, UNLIMITED)).reportees).c).toEqual(['tap-policy-disabled']);
      } finally {
        Object.assign(policy, { state: 'enabled', includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }], excludeTargets: [] });
      }
    });

    it('with maxDepth 1 the group members cost one extra round only because there are reportees to judge', async () => {
      const actor = await actorFor('boss');
      const { result, batches } = await measure(() => listReportees(actor, { ...UNLIMITED, policy: { ...getDefaultPolicy(), maxDepth: 1 } }));
      expect(reasonsByName(result.reportees)).toEqual({ a: ['privileged-role'], b: ['privileged-role'], c: [], d: ['privileged-role'] });
      expect(batches).toBe(2);
      const loner = await actorFor('a1');
      expect((await measure(() => listReportees(loner, UNLIMITED))).batches).toBe(1);
    });
  });

  describe('without GroupMember.Read.All', () => {
    beforeAll(async () => {
      local = await startLocalTenant({
        ...buildTestSeed([...users, ...bystanders(3000)], { brokerPermissions: permissions.filter((p) => p !== 'GroupMember.Read.All') }),
        groups,
      });
    });

    afterAll(async () => {
      await local?.close();
    });

    it('never guesses "no role": everyone is cannot-verify, next to what the walk could still see', async () => {
      const actor = await actorFor('boss');
      const { result, batches } = await measure(() => listReportees(actor, UNLIMITED));
      // b holds a role through "Ops", whose members cannot be read: only cannot-verify shows.
      expect(reasonsByName(result.reportees)).toEqual({
        a: ['privileged-role', 'cannot-verify'],
        b: ['cannot-verify'],
        c: ['cannot-verify'],
        d: ['privileged-role', 'cannot-verify'],
        a1: ['cannot-verify'],
      });
      expect(batches).toBe(3);
    });
  });
});

describe('listReportees reads the whole directory when a level gets wide', () => {
  afterEach(async () => {
    await local?.close();
  });

  it('in a small tenant: the first round, then one scan page, whatever the depth; cycles still end', async () => {
    local = await startLocalTenant(buildTestSeed(ORG));
    setManager(local.tenant.ctx.directory, local.userId('cyc1'), local.userId('cyc2'));
    const ceo = await measure(async () => listReportees(await actorFor('ceo'), UNLIMITED));
    expect(summary(ceo.result.reportees)).toEqual([
      ['m2', 1],
      ['m1', 1],
      ['a2', 2],
      ['a1', 2],
      ['g1', 2],
      ['x1', 2],
      ['b1', 3],
      ['c1', 4],
    ]);
    expect(ceo.result.reportees.find((r) => r.userPrincipalName.startsWith('a2@'))).toMatchObject({ ineligibleReasons: ['account-disabled'] });
    // Four levels below the CEO, yet two round trips: the directory (13 people) is one page.
    expect(ceo.batches).toBe(2);
    expect(ceo.requests).toBe(2);
    expect(local.tenant.ctx.stats.batched['GET /v1.0/users']).toBe(1);

    const cycle = await measure(async () => listReportees(await actorFor('cyc1'), UNLIMITED));
    expect(summary(cycle.result.reportees)).toEqual([['cyc2', 1]]);
  });

  it('in a larger tenant: a wide level switches to the scan, and the answer is the same', async () => {
    // boss → 1,000 leads, the first 100 with one engineer each: 1,101 people, 12 scan pages of 100
    // (Graph's page cap with $expand). Listing the leads' reports alone would take 13 rounds.
    const users: TestSeedUser[] = [{ upn: 'boss', displayName: 'Big Boss' }];
    for (let i = 0; i < 1000; i += 1) {
      users.push({ upn: `lead${i}`, displayName: `Lead ${i}`, manager: 'boss' });
      if (i < 100) users.push({ upn: `eng${i}`, displayName: `Engineer ${i}`, manager: `lead${i}` });
    }
    local = await startLocalTenant(buildTestSeed(users));
    const { result, batches } = await measure(async () => listReportees(await actorFor('boss'), UNLIMITED));
    expect(result.reportees).toHaveLength(1100);
    expect(result.reportees.filter((r) => r.depth === 1)).toHaveLength(1000);
    const byName = new Map(result.reportees.map((r) => [r.userPrincipalName.split('@')[0] ?? '', r]));
    for (let i = 0; i < 100; i += 1) {
      expect(byName.get(`eng${i}`)).toMatchObject({ depth: 2, managerId: local.userId(`lead${i}`) });
    }
    // Round 1 (root, 999 reports, the tenant-wide reads), then the scan: 1 + 12 round trips
    // instead of 1 + 13 + 2.
    expect(batches).toBe(1 + Math.ceil(1101 / 100));
    expect(local.tenant.ctx.stats.batched['GET /v1.0/users']).toBe(Math.ceil(1101 / 100));
  });
});
