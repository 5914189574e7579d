import { describe, expect, it } from 'vitest';
import {
  getIneligibleReasons,
  getReporteeIneligibleReasons,
  getTargetIneligibleReasons,
  holdsPortalAppRole,
  INELIGIBLE_REASONS,
  isInTapPolicyScope,
  isPrivilegedRoleSet,
  type EligibilityContext,
  type EligibilityTarget,
  type ReporteeEligibilityFacts,
  type TargetEligibilityFacts,
} from '@/lib/broker/eligibility';
import { DEFAULT_ACCESS_APP_ROLE_ID, ELIGIBILITY_SIGNALS, getTapPolicyGroupIds, type EligibilitySignal } from '@/lib/graph/eligibility-signals';
import { DEFAULT_ALLOWED_ROLE_TEMPLATE_IDS } from '@/lib/broker/policy';

const REQUESTER = 'aaaaaaaa-0000-4000-8000-000000000001';
const TARGET = 'bbbbbbbb-0000-4000-8000-000000000002';
const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';
const USER_ADMIN = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const AUTHENTICATION_ADMIN = 'c4e39bd9-1100-46d3-8c65-fb160da0071f';
const PASSWORD_ADMIN = '966707d0-3269-4727-9be2-8c3a10f19b9d';
const HELPDESK_ADMIN = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const DIRECTORY_READERS = '88d8e3e3-8f55-4a1e-953a-9b9898b8876b';
const CUSTOM_ROLE = '0d7e7d3c-0000-4000-8000-00000000c057';
const ALLOWED = DEFAULT_ALLOWED_ROLE_TEMPLATE_IDS;

const eligible: EligibilityTarget = {
  id: TARGET,
  accountEnabled: true,
  userType: 'Member',
  roleDefinitionIds: [],
  inRoleAssignableGroup: false,
  holdsPortalRole: false,
  isProtected: false,
  inTapPolicyScope: true,
  unverifiable: [],
};
const ctx: EligibilityContext = { requesterId: REQUESTER, allowedDirectoryRoleTemplateIds: ALLOWED, tapPolicyState: 'enabled' };

describe('getIneligibleReasons', () => {
  it('finds an enabled member other than the requester, with nothing to hide, eligible', () => {
    expect(getIneligibleReasons(eligible, ctx)).toEqual([]);
  });

  it('refuses the requester themselves, whatever the case of the id', () => {
    expect(getIneligibleReasons({ ...eligible, id: REQUESTER.toUpperCase() }, ctx)).toEqual(['self']);
  });

  it.each([
    [false, ['account-disabled']],
    [null, ['account-disabled']],
    [true, []],
  ] as const)('accountEnabled=%s → %j (fail closed on unknown)', (accountEnabled, reasons) => {
    expect(getIneligibleReasons({ ...eligible, accountEnabled }, ctx)).toEqual(reasons);
  });

  it.each([
    ['Guest', ['guest']],
    [null, ['guest']],
    ['member', ['guest']],
    ['Member', []],
  ] as const)('userType=%s → %j (only an explicit Member counts)', (userType, reasons) => {
    expect(getIneligibleReasons({ ...eligible, userType }, ctx)).toEqual(reasons);
  });

  it.each([
    ['Global Administrator', [GLOBAL_ADMIN]],
    ['Authentication Administrator (acts on other people’s credentials)', [AUTHENTICATION_ADMIN]],
    ['Password Administrator (resets other people’s passwords)', [PASSWORD_ADMIN]],
    ['Helpdesk Administrator', [HELPDESK_ADMIN]],
    ['a custom role (never on the allow-list)', [CUSTOM_ROLE]],
    ['a privileged role next to an allowed one', [DIRECTORY_READERS, USER_ADMIN]],
  ])('a target holding %s is privileged-role', (_name, roles) => {
    expect(getIneligibleReasons({ ...eligible, roleDefinitionIds: roles }, ctx)).toEqual(['privileged-role']);
  });

  it('lets allow-listed read-only roles through, in any case, and judges by the policy’s list', () => {
    expect(getIneligibleReasons({ ...eligible, roleDefinitionIds: [DIRECTORY_READERS.toUpperCase()] }, ctx)).toEqual([]);
    expect(getIneligibleReasons({ ...eligible, roleDefinitionIds: [...ALLOWED] }, ctx)).toEqual([]);
    expect(getIneligibleReasons({ ...eligible, roleDefinitionIds: [DIRECTORY_READERS] }, { ...ctx, allowedDirectoryRoleTemplateIds: [] })).toEqual([
      'privileged-role',
    ]);
  });

  it('names each new reason: role-assignable group, portal role, protected account, cannot-verify', () => {
    expect(getIneligibleReasons({ ...eligible, inRoleAssignableGroup: true }, ctx)).toEqual(['privileged-role']);
    expect(getIneligibleReasons({ ...eligible, holdsPortalRole: true }, ctx)).toEqual(['portal-role']);
    expect(getIneligibleReasons({ ...eligible, isProtected: true }, ctx)).toEqual(['protected-account']);
    for (const signal of ELIGIBILITY_SIGNALS) expect(getIneligibleReasons({ ...eligible, unverifiable: [signal] }, ctx)).toEqual(['cannot-verify']);
  });

  it('never reads an unknown TAP policy as enabled or disabled: cannot-verify', () => {
    expect(getIneligibleReasons(eligible, { ...ctx, tapPolicyState: null })).toEqual(['cannot-verify']);
    expect(getIneligibleReasons({ ...eligible, inTapPolicyScope: null }, ctx)).toEqual(['cannot-verify']);
    expect(getIneligibleReasons(eligible, { ...ctx, tapPolicyState: 'disabled' })).toEqual(['tap-policy-disabled']);
    expect(getIneligibleReasons({ ...eligible, inTapPolicyScope: false }, ctx)).toEqual(['outside-tap-policy']);
  });

  it('returns every applicable reason at once, in catalogue order', () => {
    const reasons = getIneligibleReasons(
      {
        id: REQUESTER,
        accountEnabled: false,
        userType: 'Guest',
        roleDefinitionIds: [USER_ADMIN],
        inRoleAssignableGroup: true,
        holdsPortalRole: true,
        isProtected: true,
        inTapPolicyScope: false,
        unverifiable: ['eligible-roles'],
      },
      { ...ctx, tapPolicyState: 'disabled' },
    );
    expect(reasons).toEqual([...INELIGIBLE_REASONS]);
  });

  it('covers every combination of the facts', () => {
    const roleSets = [[], [DIRECTORY_READERS], [PASSWORD_ADMIN], [CUSTOM_ROLE, DIRECTORY_READERS]];
    const bools = [false, true];
    let cases = 0;
    for (const self of bools)
      for (const accountEnabled of [true, false, null])
        for (const userType of ['Member', 'Guest', null])
          for (const roleDefinitionIds of roleSets)
            for (const inRoleAssignableGroup of bools)
              for (const holdsPortalRole of bools)
                for (const isProtected of bools)
                  for (const inTapPolicyScope of [true, false, null])
                    for (const tapPolicyState of ['enabled', 'disabled', null] as const)
                      for (const unverifiable of [[], ['group-ownerships']] as EligibilitySignal[][]) {
                        const target: EligibilityTarget = {
                          id: self ? REQUESTER : TARGET,
                          accountEnabled,
                          userType,
                          roleDefinitionIds,
                          inRoleAssignableGroup,
                          holdsPortalRole,
                          isProtected,
                          inTapPolicyScope,
                          unverifiable,
                        };
                        const expected = [
                          ...(self ? ['self'] : []),
                          ...(accountEnabled === true ? [] : ['account-disabled']),
                          ...(userType === 'Member' ? [] : ['guest']),
                          ...(roleDefinitionIds.some((r) => r !== DIRECTORY_READERS) || inRoleAssignableGroup ? ['privileged-role'] : []),
                          ...(holdsPortalRole ? ['portal-role'] : []),
                          ...(isProtected ? ['protected-account'] : []),
                          ...(tapPolicyState === 'disabled' ? ['tap-policy-disabled'] : []),
                          ...(inTapPolicyScope === false ? ['outside-tap-policy'] : []),
                          ...(unverifiable.length > 0 || tapPolicyState === null || inTapPolicyScope === null ? ['cannot-verify'] : []),
                        ];
                        const reasons = getIneligibleReasons(target, { ...ctx, tapPolicyState });
                        if (JSON.stringify(reasons) !== JSON.stringify(expected)) {
                          expect(reasons, JSON.stringify({ target, tapPolicyState })).toEqual(expected);
                        }
                        expect(reasons.length === 0).toBe(expected.length === 0);
                        cases += 1;
                      }
    expect(cases).toBe(2 * 3 * 3 * 4 * 2 * 2 * 2 * 3 * 3 * 2);
  });
});

describe('isPrivilegedRoleSet', () => {
  it('treats no role and only allow-listed roles as unprivileged', () => {
    expect(isPrivilegedRoleSet([], ALLOWED)).toBe(false);
    expect(isPrivilegedRoleSet([...ALLOWED], ALLOWED)).toBe(false);
    for (const id of ALLOWED) expect(isPrivilegedRoleSet([id.toUpperCase()], ALLOWED)).toBe(false);
  });

  it('treats any other role, built-in or custom, as privileged — even next to harmless ones', () => {
    for (const id of [GLOBAL_ADMIN, AUTHENTICATION_ADMIN, PASSWORD_ADMIN, HELPDESK_ADMIN, CUSTOM_ROLE]) expect(isPrivilegedRoleSet([id], ALLOWED)).toBe(true);
    expect(isPrivilegedRoleSet([DIRECTORY_READERS, USER_ADMIN], ALLOWED)).toBe(true);
    expect(isPrivilegedRoleSet([DIRECTORY_READERS], [])).toBe(true);
  });

  it('keeps the credential administrators off the default allow-list', () => {
    expect(ALLOWED).not.toContain(AUTHENTICATION_ADMIN);
    expect(ALLOWED).not.toContain(PASSWORD_ADMIN);
    expect(ALLOWED).not.toContain(HELPDESK_ADMIN);
  });
});

const G1 = '11111111-0000-4000-8000-0000000000a1';
const G2 = '22222222-0000-4000-8000-0000000000b2';
const ALL = { targetType: 'group', id: 'all_users' };
const group = (id: string) => ({ targetType: 'group', id });

describe('isInTapPolicyScope', () => {
  it.each([
    ['all_users includes everyone', [], { includeTargets: [ALL], excludeTargets: [] }, true],
    ['all_users, any case', [], { includeTargets: [{ targetType: 'Group', id: 'ALL_USERS' }], excludeTargets: [] }, true],
    ['no include target includes nobody', [G1], { includeTargets: [], excludeTargets: [] }, false],
    ['a targeted group the user is in', [G1], { includeTargets: [group(G1)], excludeTargets: [] }, true],
    ['group ids compare case-insensitively', [G1.toUpperCase()], { includeTargets: [group(G1)], excludeTargets: [] }, true],
    ['a targeted group the user is not in', [G2], { includeTargets: [group(G1)], excludeTargets: [] }, false],
    ['one of several targets', [G2], { includeTargets: [group(G1), group(G2)], excludeTargets: [] }, true],
    ['exclusion wins over all_users', [G1], { includeTargets: [ALL], excludeTargets: [group(G1)] }, false],
    ['exclusion wins over an including group', [G1], { includeTargets: [group(G1)], excludeTargets: [group(G1)] }, false],
    ['excluding all_users excludes everyone', [], { includeTargets: [ALL], excludeTargets: [ALL] }, false],
    ['an exclusion for another group does not matter', [G1], { includeTargets: [ALL], excludeTargets: [group(G2)] }, true],
    ['an unknown target type never includes', [G1], { includeTargets: [{ targetType: 'device', id: G1 }], excludeTargets: [] }, false],
    ['an unknown target type still excludes (fail closed)', [G1], { includeTargets: [ALL], excludeTargets: [{ targetType: 'device', id: G1 }] }, false],
  ] as const)('%s', (_name, groups, policy, expected) => {
    expect(isInTapPolicyScope(groups, policy)).toBe(expected);
  });

  it('matches user targets against the user id when given', () => {
    const policy = { includeTargets: [{ targetType: 'user', id: TARGET }], excludeTargets: [] };
    expect(isInTapPolicyScope([], policy, TARGET.toUpperCase())).toBe(true);
    expect(isInTapPolicyScope([], policy, REQUESTER)).toBe(false);
    expect(isInTapPolicyScope([], policy)).toBe(false);
    expect(isInTapPolicyScope([], { includeTargets: [ALL], excludeTargets: [{ targetType: 'user', id: TARGET }] }, TARGET)).toBe(false);
  });

  it('names the groups a policy targets, without all_users and user targets', () => {
    expect(getTapPolicyGroupIds({ includeTargets: [ALL, group(G1.toUpperCase()), { targetType: 'user', id: TARGET }], excludeTargets: [group(G1), group(G2)] })).toEqual([
      G1,
      G2,
    ]);
  });
});

describe('holdsPortalAppRole', () => {
  const ROLE = '5b0cb3e4-0000-4000-8000-00000000a001';
  it('counts a real app role held by the user or one of their groups, never default access', () => {
    expect(holdsPortalAppRole([TARGET], [{ principalId: TARGET.toUpperCase(), appRoleId: ROLE }])).toBe(true);
    expect(holdsPortalAppRole([TARGET, G1], [{ principalId: G1, appRoleId: ROLE }])).toBe(true);
    expect(holdsPortalAppRole([TARGET, G1], [{ principalId: G2, appRoleId: ROLE }])).toBe(false);
    expect(holdsPortalAppRole([TARGET], [{ principalId: TARGET, appRoleId: DEFAULT_ACCESS_APP_ROLE_ID }])).toBe(false);
    expect(holdsPortalAppRole([TARGET], [])).toBe(false);
  });
});

const rules = { allowedDirectoryRoleTemplateIds: ALLOWED, protectedGroupIds: [G2] };

describe('getTargetIneligibleReasons', () => {
  const facts = (over: Partial<TargetEligibilityFacts> = {}): TargetEligibilityFacts => ({
    target: { id: TARGET, accountEnabled: true, userType: 'Member' },
    roleDefinitionIds: [],
    groupIds: [],
    roleAssignableGroupIds: [],
    ownedRoleAssignableGroupIds: [],
    restrictedAdministrativeUnitIds: [],
    portalAppRoleAssignments: [],
    tapPolicy: { state: 'enabled', includeTargets: [ALL], excludeTargets: [] },
    unverifiable: [],
    ...over,
  });

  it('finds an enabled member without roles inside an enabled policy eligible', () => {
    expect(getTargetIneligibleReasons(facts(), REQUESTER, rules)).toEqual([]);
  });

  it.each([
    ['a privileged role', { roleDefinitionIds: [GLOBAL_ADMIN] }, ['privileged-role']],
    ['an allowed role', { roleDefinitionIds: [DIRECTORY_READERS] }, []],
    ['membership of a role-assignable group', { groupIds: [G1], roleAssignableGroupIds: [G1] }, ['privileged-role']],
    ['ownership of a role-assignable group', { ownedRoleAssignableGroupIds: [G1] }, ['privileged-role']],
    ['a portal role held directly', { portalAppRoleAssignments: [{ principalId: TARGET, appRoleId: G1 }] }, ['portal-role']],
    ['a portal role held through a group', { groupIds: [G1], portalAppRoleAssignments: [{ principalId: G1, appRoleId: G2 }] }, ['portal-role']],
    ['default access only', { portalAppRoleAssignments: [{ principalId: TARGET, appRoleId: DEFAULT_ACCESS_APP_ROLE_ID }] }, []],
    ['a restricted administrative unit', { restrictedAdministrativeUnitIds: [G1] }, ['protected-account']],
    ['a protected group (any case)', { groupIds: [G2.toUpperCase()] }, ['protected-account']],
    ['an unverifiable signal', { unverifiable: ['administrative-units'] as EligibilitySignal[] }, ['cannot-verify']],
    ['an unreadable TAP policy', { tapPolicy: null }, ['cannot-verify']],
    ['a disabled TAP policy', { tapPolicy: { state: 'disabled' as const, includeTargets: [ALL], excludeTargets: [] } }, ['tap-policy-disabled']],
    ['a TAP policy for another group', { tapPolicy: { state: 'enabled' as const, includeTargets: [group(G1)], excludeTargets: [] } }, ['outside-tap-policy']],
    ['a TAP policy for their group', { groupIds: [G1], tapPolicy: { state: 'enabled' as const, includeTargets: [group(G1)], excludeTargets: [] } }, []],
  ] as const)('judges %s', (_name, over, expected) => {
    expect(getTargetIneligibleReasons(facts(over as Partial<TargetEligibilityFacts>), REQUESTER, rules)).toEqual(expected);
  });

  it('cannot place a target in a group-targeted TAP policy without their groups', () => {
    const groupPolicy = { state: 'enabled' as const, includeTargets: [group(G1)], excludeTargets: [] };
    expect(getTargetIneligibleReasons(facts({ unverifiable: ['group-memberships'], tapPolicy: groupPolicy }), REQUESTER, rules)).toEqual(['cannot-verify']);
  });

  it('returns every reason at once', () => {
    expect(
      getTargetIneligibleReasons(
        {
          target: { id: REQUESTER, accountEnabled: null, userType: null },
          roleDefinitionIds: [USER_ADMIN],
          groupIds: [G1, G2],
          roleAssignableGroupIds: [],
          ownedRoleAssignableGroupIds: [],
          restrictedAdministrativeUnitIds: [],
          portalAppRoleAssignments: [{ principalId: G1, appRoleId: G1 }],
          tapPolicy: { state: 'disabled', includeTargets: [ALL], excludeTargets: [group(G1)] },
          unverifiable: ['portal-app-roles'],
        },
        REQUESTER,
        rules,
      ),
    ).toEqual([...INELIGIBLE_REASONS]);
  });

  it('refuses to judge a target Graph does not know', () => {
    expect(() => getTargetIneligibleReasons(facts({ target: null }), REQUESTER, rules)).toThrow(TypeError);
  });
});

describe('getReporteeIneligibleReasons', () => {
  const key = TARGET.toLowerCase();
  const user = { id: TARGET, accountEnabled: true, userType: 'Member' };
  const tree = (over: Partial<ReporteeEligibilityFacts> = {}): ReporteeEligibilityFacts => ({
    tapPolicy: { state: 'enabled', includeTargets: [ALL], excludeTargets: [] },
    roleDefinitionIdsByUser: new Map(),
    roleAssignableGroupUsers: new Set(),
    portalRoleUsers: new Set(),
    restrictedAdministrativeUnitUsers: new Set(),
    unverifiableAdministrativeUnitUsers: new Set(),
    groupMembers: new Map([[G2, new Set<string>()]]),
    unverifiable: [],
    ...over,
  });

  it.each([
    ['nothing', {}, []],
    ['a privileged role', { roleDefinitionIdsByUser: new Map([[key, [PASSWORD_ADMIN]]]) }, ['privileged-role']],
    ['an allowed role', { roleDefinitionIdsByUser: new Map([[key, [DIRECTORY_READERS]]]) }, []],
    ['a role-assignable group', { roleAssignableGroupUsers: new Set([key]) }, ['privileged-role']],
    ['a portal role', { portalRoleUsers: new Set([key]) }, ['portal-role']],
    ['a restricted unit', { restrictedAdministrativeUnitUsers: new Set([key]) }, ['protected-account']],
    ['a unit whose restriction is unknown', { unverifiableAdministrativeUnitUsers: new Set([key]) }, ['cannot-verify']],
    ['a protected group', { groupMembers: new Map([[G2, new Set([key])]]) }, ['protected-account']],
    ['a protected group that was not read', { groupMembers: new Map() }, ['cannot-verify']],
    ['a tenant-wide read refused', { unverifiable: ['eligible-roles'] as EligibilitySignal[] }, ['cannot-verify']],
    ['an unreadable TAP policy', { tapPolicy: null }, ['cannot-verify']],
    [
      'a TAP policy group they are not in',
      { tapPolicy: { state: 'enabled' as const, includeTargets: [group(G1)], excludeTargets: [] }, groupMembers: new Map([[G1, new Set<string>()], [G2, new Set<string>()]]) },
      ['outside-tap-policy'],
    ],
    [
      'a TAP policy group they are in',
      { tapPolicy: { state: 'enabled' as const, includeTargets: [group(G1)], excludeTargets: [] }, groupMembers: new Map([[G1, new Set([key])], [G2, new Set<string>()]]) },
      [],
    ],
    [
      'a TAP policy group that could not be read',
      { tapPolicy: { state: 'enabled' as const, includeTargets: [group(G1)], excludeTargets: [] } },
      ['cannot-verify'],
    ],
  ] as const)('judges %s', (_name, over, expected) => {
    expect(getReporteeIneligibleReasons(tree(over as Partial<ReporteeEligibilityFacts>), user, REQUESTER, rules)).toEqual(expected);
  });
});
