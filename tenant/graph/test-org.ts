/**
 * A small org for Graph tests of role scopes, PIM eligibility, custom roles, administrative
 * units, group owners and portal app roles — one of each case the broker must see.
 */
import { administrativeUnitIdFromName, customRoleIdFromName, groupIdFromName, userIdFromUpn } from '../seed';

export const TEST_ORG = {
  tenantId: '7a0c1b7e-2a41-4c3e-9d0b-6a1f2e3d4c5b',
  portalClientId: '7b2c3d4e-0000-4000-8000-00000000c001',
  apiClientId: '7b2c3d4e-0000-4000-8000-00000000c002',
  broker: { clientId: '7b2c3d4e-0000-4000-8000-00000000b001', secret: 'broker-secret-for-tests' },
  automation: { clientId: '7b2c3d4e-0000-4000-8000-00000000a001', secret: 'automation-secret-for-tests' },
} as const;

export const ROLE = {
  userAdmin: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  securityAdmin: '194ae4cb-b126-40b2-bd5b-6091b380977d',
  helpdeskAdmin: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  globalAdmin: '62e90394-69f5-4237-9190-012177145e10',
  reportsReader: '4a5d8f65-41da-4de4-8968-e035b65339cf',
} as const;

const upn = (name: string): string => `${name}@contoso.test`;
export const USER = {
  boss: userIdFromUpn(upn('boss')),
  plain: userIdFromUpn(upn('plain')),
  custom: userIdFromUpn(upn('custom')),
  scoped: userIdFromUpn(upn('scoped')),
  eligible: userIdFromUpn(upn('eligible')),
  owner: userIdFromUpn(upn('owner')),
  member: userIdFromUpn(upn('member')),
  approver: userIdFromUpn(upn('approver')),
  glass: userIdFromUpn(upn('glass')),
  global: userIdFromUpn(upn('global')),
} as const;

export const GROUP = {
  ops: groupIdFromName('Ops'),
  approvers: groupIdFromName('Approvers'),
  outer: groupIdFromName('Outer'),
} as const;

export const CUSTOM_ROLE = customRoleIdFromName('Password Helpers');
export const AU = { paris: administrativeUnitIdFromName('Paris Office'), glass: administrativeUnitIdFromName('Break-glass') } as const;

/** The seed: every user reports to `boss`. */
export function testOrgSeed(overrides: { accessTokenVersion?: 1 | 2 } = {}): Record<string, unknown> {
  const user = (name: string, extra: Record<string, unknown> = {}) => ({
    userPrincipalName: upn(name),
    displayName: name[0]?.toUpperCase() + name.slice(1),
    password: `pw-${name}`,
    manager: name === 'boss' ? null : upn('boss'),
    ...extra,
  });
  return {
    tenantId: TEST_ORG.tenantId,
    portal: {
      clientId: TEST_ORG.portalClientId,
      apiClientId: TEST_ORG.apiClientId,
      scope: 'access_as_user',
      redirectUris: ['http://localhost:3000'],
      ...(overrides.accessTokenVersion === undefined ? {} : { accessTokenVersion: overrides.accessTokenVersion }),
    },
    broker: {
      clientId: TEST_ORG.broker.clientId,
      clientSecret: TEST_ORG.broker.secret,
      graphPermissions: [
        'User.Read.All',
        'RoleManagement.Read.Directory',
        'RoleEligibilitySchedule.Read.Directory',
        'GroupMember.Read.All',
        'AdministrativeUnit.Read.All',
        'Application.Read.All',
      ],
    },
    automation: { clientId: TEST_ORG.automation.clientId, clientSecret: TEST_ORG.automation.secret, graphPermissions: [] },
    tapPolicy: { state: 'enabled' },
    customRoles: [{ displayName: 'Password Helpers', permissions: ['microsoft.directory/users/password/update'] }],
    administrativeUnits: [
      { displayName: 'Paris Office', members: ['scoped@contoso.test', 'plain@contoso.test'] },
      { displayName: 'Break-glass', isMemberManagementRestricted: true, members: ['glass@contoso.test', 'Outer'] },
    ],
    users: [
      user('boss', { appRoles: ['TapBroker.Admin'] }),
      user('plain'),
      user('custom', { directoryRoles: ['Password Helpers'] }),
      user('scoped', { directoryRoles: [{ role: 'User Administrator', scope: '/administrativeUnits/Paris Office' }] }),
      user('eligible', { directoryRoles: [{ role: 'Security Administrator', assignment: 'eligible' }, 'Reports Reader'] }),
      user('owner'),
      user('member'),
      user('approver'),
      user('glass'),
      user('global', { directoryRoles: ['Global Administrator'] }),
    ],
    groups: [
      { displayName: 'Ops', isAssignableToRole: true, members: ['member@contoso.test'], owners: ['owner@contoso.test'], directoryRoles: ['Helpdesk Administrator'] },
      { displayName: 'Approvers', members: ['Outer'], appRoles: ['TapBroker.Approver'] },
      { displayName: 'Outer', members: ['approver@contoso.test'] },
    ],
  };
}
