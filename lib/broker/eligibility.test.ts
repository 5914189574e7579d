import { describe, expect, it } from 'vitest';
import {
  getIneligibleReasons,
  INELIGIBLE_REASONS,
  isPrivilegedRoleSet,
  NON_PRIVILEGED_ROLE_TEMPLATE_IDS,
  type EligibilityTarget,
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
