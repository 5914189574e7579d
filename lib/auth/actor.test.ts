import { describe, expect, it } from 'vitest';
import { APP_ROLES, hasAnyRole, hasRole, isAppRole, type AppRole, type RoleName } from '@/lib/auth/actor';

const names: RoleName[] = ['approver', 'auditor', 'admin'];

describe('hasRole', () => {
  it.each<[AppRole[], Record<RoleName, boolean>]>([
    [[], { approver: false, auditor: false, admin: false }],
    [[APP_ROLES.approver], { approver: true, auditor: false, admin: false }],
    [[APP_ROLES.auditor], { approver: false, auditor: true, admin: false }],
    [[APP_ROLES.approver, APP_ROLES.auditor], { approver: true, auditor: true, admin: false }],
    [[APP_ROLES.admin], { approver: true, auditor: true, admin: true }],
  ])('roles %j', (roles, expected) => {
    for (const name of names) expect(hasRole({ roles }, name), name).toBe(expected[name]);
  });

  it('hasAnyRole needs one of the listed roles', () => {
    expect(hasAnyRole({ roles: [APP_ROLES.auditor] }, ['approver'])).toBe(false);
    expect(hasAnyRole({ roles: [APP_ROLES.auditor] }, ['approver', 'auditor'])).toBe(true);
    expect(hasAnyRole({ roles: [APP_ROLES.admin] }, ['approver'])).toBe(true);
    expect(hasAnyRole({ roles: [] }, [])).toBe(false);
  });

  it('knows only the three portal roles, case-sensitively', () => {
    expect(isAppRole('TapBroker.Admin')).toBe(true);
    expect(isAppRole('tapbroker.admin')).toBe(false);
    expect(isAppRole('Global Administrator')).toBe(false);
  });
});
