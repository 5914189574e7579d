import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTargetIneligibleReasons } from '@/lib/broker/eligibility';
import { getTargetFacts } from '@/lib/graph/get-target-facts';
import { buildTestSeed, startLocalTenant, TEST_DOMAIN, type LocalTenant } from '@/lib/testing/local-tenant';

const CONTRACT_GRANT = ['User.Read.All', 'UserAuthenticationMethod.ReadWrite.All', 'Policy.Read.All', 'RoleManagement.Read.Directory'];

let local: LocalTenant;

beforeAll(async () => {
  local = await startLocalTenant({
    ...buildTestSeed(
      [
        { upn: 'mgr', displayName: 'Max Manager' },
        { upn: 'ops', displayName: 'Oli Ops', manager: 'mgr' },
        { upn: 'dev', displayName: 'Dee Dev', manager: 'mgr' },
      ],
      { brokerPermissions: [...CONTRACT_GRANT, 'GroupMember.Read.All'] },
    ),
    groups: [
      { displayName: 'Tier Zero', isAssignableToRole: true, members: [`ops@${TEST_DOMAIN}`] },
      { displayName: 'Developers', members: [`dev@${TEST_DOMAIN}`] },
    ],
  });
});

afterAll(async () => {
  await local?.close();
});

describe('getTargetFacts with GroupMember.Read.All', () => {
  it('makes a member of a role-assignable group ineligible, even when the group holds no role (facts §4)', async () => {
    const ops = await getTargetFacts(local.userId('ops'));
    expect(ops.directoryRoleTemplateIds).toEqual([]);
    expect(ops.roleAssignableGroupIds).toHaveLength(1);
    expect(getTargetIneligibleReasons(ops, local.userId('mgr'))).toEqual(['privileged-role']);

    const dev = await getTargetFacts(local.userId('dev'));
    expect(dev.groupIds).toHaveLength(1);
    expect(dev.roleAssignableGroupIds).toEqual([]);
    expect(getTargetIneligibleReasons(dev, local.userId('mgr'))).toEqual([]);
  });
});
