import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTargetIneligibleReasons } from '@/lib/broker/eligibility';
import { setBrokerPermissions, permissionsWithout } from '@/lib/testing/eligibility';
import { getDefaultPolicy } from '@/lib/broker/policy';
import { getTargetFacts } from '@/lib/graph/get-target-facts';
import { BROKER_GRAPH_PERMISSIONS, buildTestSeed, startLocalTenant, TEST_DOMAIN, type LocalTenant } from '@/lib/testing/local-tenant';

const RULES = getDefaultPolicy();

let local: LocalTenant;

beforeAll(async () => {
  local = await startLocalTenant({
    ...buildTestSeed([
      { upn: 'mgr', displayName: 'Max Manager' },
      { upn: 'ops', displayName: 'Oli Ops', manager: 'mgr' },
      { upn: 'dev', displayName: 'Dee Dev', manager: 'mgr' },
      { upn: 'solo', displayName: 'Sol O', manager: 'mgr' },
    ]),
    groups: [
      { displayName: 'Tier Zero', isAssignableToRole: true, members: [`ops@${TEST_DOMAIN}`] },
      { displayName: 'Developers', members: [`dev@${TEST_DOMAIN}`] },
    ],
  });
});

afterAll(async () => {
  await local?.close();
});

describe('getTargetFacts and group memberships', () => {
  it('with GroupMember.Read.All: a member of a role-assignable group is privileged even when the group holds no role', async () => {
    const ops = await getTargetFacts(local.userId('ops'));
    expect(ops.roleDefinitionIds).toEqual([]);
    expect(ops.roleAssignableGroupIds).toHaveLength(1);
    expect(getTargetIneligibleReasons(ops, local.userId('mgr'), RULES)).toEqual(['privileged-role']);

    const dev = await getTargetFacts(local.userId('dev'));
    expect(dev.groupIds).toHaveLength(1);
    expect(dev.roleAssignableGroupIds).toEqual([]);
    expect(getTargetIneligibleReasons(dev, local.userId('mgr'), RULES)).toEqual([]);
  });

  it('without it, groups come back as bare ids: whoever is in any group cannot be verified, never "no role"', async () => {
    setBrokerPermissions(local, permissionsWithout('GroupMember.Read.All'));
    try {
      for (const name of ['ops', 'dev']) {
        const facts = await getTargetFacts(local.userId(name));
        expect(facts.groupIds).toHaveLength(1);
        expect(facts.roleAssignableGroupIds).toEqual([]);
        expect(facts.unverifiable).toContain('group-memberships');
        expect(getTargetIneligibleReasons(facts, local.userId('mgr'), RULES)).toEqual(['cannot-verify']);
      }
      // The owners of role-assignable groups are refused outright (403): nobody can be verified.
      const solo = await getTargetFacts(local.userId('solo'));
      expect(solo.unverifiable).toEqual(['group-ownerships']);
      expect(getTargetIneligibleReasons(solo, local.userId('mgr'), RULES)).toEqual(['cannot-verify']);
    } finally {
      setBrokerPermissions(local, BROKER_GRAPH_PERMISSIONS);
    }
  });
});
