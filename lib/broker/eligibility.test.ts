import { describe, expect, it } from 'vitest';
import {
  getIneligibleReasons,
  getTargetIneligibleReasons,
  INELIGIBLE_REASONS,
  isInTapPolicyScope,
  isPrivilegedRoleSet,
  NON_PRIVILEGED_ROLE_TEMPLATE_IDS,
  type EligibilityTarget,
  type TargetEligibilityFacts,
} from '@/lib/broker/eligibility';

const REQUESTER = 'aaaaaaaa-0000-4000-8000-000000000001';
const TARGET = 'bbbbbbbb-0000-4000-8000-000000000002';
const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';
const USER_ADMIN = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const DIRECTORY_READERS = '88d8e3e3-8f55-4a1e-953a-9b9898b8876b';

const eligible: EligibilityTarget = { id: TARGET, accountEnabled: true, userType: 'Member' };

describe('getIneligibleReasons', () => {
  it('finds an enabled member other than the requester eligible', () => {
    expect(getIneligibleReasons(eligible, { requesterId: REQUESTER })).toEqual([]);
  });

  it('refuses the requester themselves, whatever the case of the id', () => {
    expect(getIneligibleReasons({ ...eligible, id: REQUESTER.toUpperCase() }, { requesterId: REQUESTER })).toEqual(['self']);
  });

  it.each([
    [false, ['account-disabled']],
    [null, ['account-disabled']],
    [true, []],
  ] as const)('accountEnabled=%s → %j (fail closed on unknown)', (accountEnabled, reasons) => {
    expect(getIneligibleReasons({ ...eligible, accountEnabled }, { requesterId: REQUESTER })).toEqual(reasons);
  });

  it.each([
    ['Guest', ['guest']],
    [null, ['guest']],
    ['member', ['guest']],
    ['Member', []],
  ] as const)('userType=%s → %j (only an explicit Member counts)', (userType, reasons) => {
    expect(getIneligibleReasons({ ...eligible, userType }, { requesterId: REQUESTER })).toEqual(reasons);
  });

  it('reports privileged roles only when they were read', () => {
    expect(getIneligibleReasons({ ...eligible, directoryRoleTemplateIds: [GLOBAL_ADMIN] }, { requesterId: REQUESTER })).toEqual(['privileged-role']);
    expect(getIneligibleReasons({ ...eligible, directoryRoleTemplateIds: [DIRECTORY_READERS] }, { requesterId: REQUESTER })).toEqual([]);
    expect(getIneligibleReasons({ ...eligible, directoryRoleTemplateIds: [] }, { requesterId: REQUESTER })).toEqual([]);
  });

  it('treats members of a role-assignable group as privileged, only when that was read', () => {
    expect(getIneligibleReasons({ ...eligible, memberOfRoleAssignableGroup: true }, { requesterId: REQUESTER })).toEqual(['privileged-role']);
    expect(getIneligibleReasons({ ...eligible, memberOfRoleAssignableGroup: false }, { requesterId: REQUESTER })).toEqual([]);
    expect(
      getIneligibleReasons({ ...eligible, memberOfRoleAssignableGroup: true, directoryRoleTemplateIds: [GLOBAL_ADMIN] }, { requesterId: REQUESTER }),
    ).toEqual(['privileged-role']);
  });

  it('reports the tenant TAP policy reasons only when they were read', () => {
    expect(getIneligibleReasons(eligible, { requesterId: REQUESTER, tapPolicyState: 'disabled' })).toEqual(['tap-policy-disabled']);
    expect(getIneligibleReasons(eligible, { requesterId: REQUESTER, tapPolicyState: 'enabled' })).toEqual([]);
    expect(getIneligibleReasons({ ...eligible, inTapPolicyScope: false }, { requesterId: REQUESTER })).toEqual(['outside-tap-policy']);
    expect(getIneligibleReasons({ ...eligible, inTapPolicyScope: true }, { requesterId: REQUESTER })).toEqual([]);
  });

  it('returns every applicable reason at once, in catalogue order', () => {
    const reasons = getIneligibleReasons(
      { id: REQUESTER, accountEnabled: false, userType: 'Guest', directoryRoleTemplateIds: [USER_ADMIN], inTapPolicyScope: false },
      { requesterId: REQUESTER, tapPolicyState: 'disabled' },
    );
    expect(reasons).toEqual([...INELIGIBLE_REASONS]);
  });

  it('covers every combination of the foundation facts', () => {
    for (const self of [true, false]) {
      for (const accountEnabled of [true, false, null]) {
        for (const userType of ['Member', 'Guest', null]) {
          const reasons = getIneligibleReasons({ id: self ? REQUESTER : TARGET, accountEnabled, userType }, { requesterId: REQUESTER });
          const expected = [
            ...(self ? ['self'] : []),
            ...(accountEnabled === true ? [] : ['account-disabled']),
            ...(userType === 'Member' ? [] : ['guest']),
          ];
          expect(reasons, JSON.stringify({ self, accountEnabled, userType })).toEqual(expected);
        }
      }
    }
  });
});

describe('isPrivilegedRoleSet', () => {
  it('treats no role and only the non-admin roles as unprivileged', () => {
    expect(isPrivilegedRoleSet([])).toBe(false);
    expect(isPrivilegedRoleSet([...NON_PRIVILEGED_ROLE_TEMPLATE_IDS])).toBe(false);
    for (const id of NON_PRIVILEGED_ROLE_TEMPLATE_IDS) expect(isPrivilegedRoleSet([id.toUpperCase()])).toBe(false);
  });

  it('treats any other role, built-in or custom, as privileged — even next to harmless ones', () => {
    expect(isPrivilegedRoleSet([GLOBAL_ADMIN])).toBe(true);
    expect(isPrivilegedRoleSet([DIRECTORY_READERS, USER_ADMIN])).toBe(true);
    expect(isPrivilegedRoleSet(['7be44c8a-adaf-4e2a-84d6-ab2649e08a13'])).toBe(true);
    expect(isPrivilegedRoleSet(['0d7e7d3c-0000-4000-8000-custom000000'])).toBe(true);
  });

  it('lists exactly the eight non-admin roles of the facts file', () => {
    expect(NON_PRIVILEGED_ROLE_TEMPLATE_IDS.size).toBe(8);
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
});

describe('getTargetIneligibleReasons', () => {
  const facts = (over: Partial<TargetEligibilityFacts> = {}): TargetEligibilityFacts => ({
    target: { id: TARGET, accountEnabled: true, userType: 'Member' },
    directoryRoleTemplateIds: [],
    groupIds: [],
    tapPolicy: { state: 'enabled', includeTargets: [ALL], excludeTargets: [] },
    ...over,
  });

  it('finds an enabled member without roles inside an enabled policy eligible', () => {
    expect(getTargetIneligibleReasons(facts(), REQUESTER)).toEqual([]);
  });

  it('always checks roles and the tenant policy (never "not read")', () => {
    expect(getTargetIneligibleReasons(facts({ directoryRoleTemplateIds: [GLOBAL_ADMIN] }), REQUESTER)).toEqual(['privileged-role']);
    expect(getTargetIneligibleReasons(facts({ directoryRoleTemplateIds: [DIRECTORY_READERS] }), REQUESTER)).toEqual([]);
    expect(getTargetIneligibleReasons(facts({ tapPolicy: { state: 'disabled', includeTargets: [ALL], excludeTargets: [] } }), REQUESTER)).toEqual([
      'tap-policy-disabled',
    ]);
    expect(getTargetIneligibleReasons(facts({ tapPolicy: { state: 'enabled', includeTargets: [group(G1)], excludeTargets: [] } }), REQUESTER)).toEqual([
      'outside-tap-policy',
    ]);
    expect(
      getTargetIneligibleReasons(facts({ groupIds: [G1], tapPolicy: { state: 'enabled', includeTargets: [group(G1)], excludeTargets: [] } }), REQUESTER),
    ).toEqual([]);
  });

  it('returns every reason at once', () => {
    expect(
      getTargetIneligibleReasons(
        {
          target: { id: REQUESTER, accountEnabled: null, userType: null },
          directoryRoleTemplateIds: [USER_ADMIN],
          groupIds: [G1],
          tapPolicy: { state: 'disabled', includeTargets: [ALL], excludeTargets: [group(G1)] },
        },
        REQUESTER,
      ),
    ).toEqual([...INELIGIBLE_REASONS]);
  });

  it('refuses to judge a target Graph does not know', () => {
    expect(() => getTargetIneligibleReasons(facts({ target: null }), REQUESTER)).toThrow(TypeError);
  });
});
