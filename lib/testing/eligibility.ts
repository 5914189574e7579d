/**
 * Tests only: an org with one reportee per case of the eligibility rule, written in the seed
 * format (docs/api-contract.md#seed-file: role objects with scope and assignment, custom roles,
 * administrative units, group owners and group app roles), and helpers that change what the
 * broker may see.
 *
 *   ceo (TapBroker.Admin)
 *   ├─ mgr ── plain, reader, custom, auscoped, pim, viagroup, owner, authadmin, pwdadmin,
 *   │         approverdirect, auditorgroup, restricted, executive
 *   └─ approver (TapBroker.Approver)
 */
import { resetEnvForTests } from '@/lib/env';
import type { IneligibleReason } from '@/lib/broker/eligibility';
import { BROKER_GRAPH_PERMISSIONS, buildTestSeed, TEST_DOMAIN, type LocalTenant, type TestSeedUser } from '@/lib/testing/local-tenant';

const upn = (name: string) => `${name}@${TEST_DOMAIN}`;

/** A seed `directoryRoles` entry: a role reference, or one with its scope and assignment kind. */
type SeedRole = string | { role: string; scope?: string; assignment?: 'active' | 'eligible' };

interface CaseUser {
  name: string;
  displayName: string;
  roles?: SeedRole[];
  appRoles?: TestSeedUser['appRoles'];
  /** What the rule says about them (with `Executives` protected). */
  reasons: IneligibleReason[];
  /** The case, in words, for test titles. */
  what: string;
}

/** Every reportee of `mgr` but the controls is ineligible for exactly one reason. */
export const CASES: readonly CaseUser[] = [
  { name: 'custom', displayName: 'Cus Tom', roles: ['Helpdesk Lite'], reasons: ['privileged-role'], what: 'a custom role' },
  {
    name: 'auscoped',
    displayName: 'Au Scoped',
    roles: [{ role: 'User Administrator', scope: '/administrativeUnits/Sales' }],
    reasons: ['privileged-role'],
    what: 'a role scoped to an administrative unit',
  },
  {
    name: 'pim',
    displayName: 'Pim Eligible',
    roles: [{ role: 'Global Administrator', assignment: 'eligible' }],
    reasons: ['privileged-role'],
    what: 'a PIM-eligible role',
  },
  { name: 'viagroup', displayName: 'Via Group', reasons: ['privileged-role'], what: 'a role through a role-assignable group' },
  { name: 'owner', displayName: 'Own Er', reasons: ['privileged-role'], what: 'ownership of a role-assignable group' },
  { name: 'authadmin', displayName: 'Auth Admin', roles: ['Authentication Administrator'], reasons: ['privileged-role'], what: 'Authentication Administrator' },
  { name: 'pwdadmin', displayName: 'Pass Word', roles: ['Password Administrator'], reasons: ['privileged-role'], what: 'Password Administrator' },
  { name: 'approverdirect', displayName: 'App Roved', appRoles: ['TapBroker.Approver'], reasons: ['portal-role'], what: 'a portal app role held directly' },
  { name: 'auditorgroup', displayName: 'Aud Group', reasons: ['portal-role'], what: 'a portal app role held through a group' },
  { name: 'restricted', displayName: 'Break Glass', reasons: ['protected-account'], what: 'membership of a restricted administrative unit' },
  { name: 'executive', displayName: 'Exe Cutive', reasons: ['protected-account'], what: 'membership of a protected group (nested)' },
];

/** Eligible controls: nothing to hide (but ordinary groups, an ordinary unit and an owned group), and an allow-listed reader role. */
export const CONTROLS: readonly CaseUser[] = [
  { name: 'plain', displayName: 'Pla In', reasons: [], what: 'an ordinary member (groups, owned group, unit)' },
  { name: 'reader', displayName: 'Rea Der', roles: ['Directory Readers'], reasons: [], what: 'an allow-listed read-only role' },
];

export function eligibilitySeed(options: { brokerPermissions?: string[] } = {}): Record<string, unknown> {
  const everyone = [...CASES, ...CONTROLS];
  const users: TestSeedUser[] = [
    { upn: 'ceo', displayName: 'Cleo Chief', appRoles: ['TapBroker.Admin'] },
    { upn: 'mgr', displayName: 'Max Manager', manager: 'ceo' },
    { upn: 'approver', displayName: 'Al Approver', manager: 'ceo', appRoles: ['TapBroker.Approver'] },
    ...everyone.map((c) => ({ upn: c.name, displayName: c.displayName, manager: 'mgr', ...(c.appRoles ? { appRoles: c.appRoles } : {}) })),
  ];
  const seed = buildTestSeed(users, options);
  // Role objects (scope, assignment) are beyond TestSeedUser's plain strings.
  const rolesByUpn = new Map(everyone.map((c) => [upn(c.name), c.roles ?? []]));
  const seedUsers = seed['users'] as { userPrincipalName: string; directoryRoles: SeedRole[] }[];
  for (const u of seedUsers) u.directoryRoles = rolesByUpn.get(u.userPrincipalName) ?? u.directoryRoles;
  return {
    ...seed,
    customRoles: [{ displayName: 'Helpdesk Lite', permissions: ['microsoft.directory/users/password/update'] }],
    administrativeUnits: [
      { displayName: 'Sales', isMemberManagementRestricted: false, members: [upn('plain')] },
      { displayName: 'Break Glass', isMemberManagementRestricted: true, members: [upn('restricted')] },
    ],
    groups: [
      { displayName: 'Staff', members: [upn('plain'), upn('reader')], owners: [upn('plain')] },
      { displayName: 'Tier One Ops', isAssignableToRole: true, members: [upn('viagroup')], owners: [upn('owner')], directoryRoles: ['Helpdesk Administrator'] },
      { displayName: 'Portal Auditors', members: [upn('auditorgroup')], appRoles: ['TapBroker.Auditor'] },
      { displayName: 'Executives', members: ['Exec Inner'] },
      { displayName: 'Exec Inner', members: [upn('executive')] },
    ],
  };
}

/** A group's object id in the running tenant. */
export function groupIdOf(local: LocalTenant, displayName: string): string {
  for (const g of local.tenant.ctx.directory.groups.values()) if (g.displayName === displayName) return g.id;
  throw new Error(`no group ${displayName}`);
}

/**
 * Takes away from `name` everything that makes them ineligible (role assignments and
 * eligibilities, memberships and ownerships, unit memberships, app roles), as if they had none
 * when a request was made; the returned function puts it all back.
 */
export function withoutPrivileges(local: LocalTenant, name: string): () => void {
  const dir = local.tenant.ctx.directory;
  const id = local.userId(name);
  const user = dir.users.get(id);
  if (user === undefined) throw new Error(`no user ${name}`);
  const roleAssignments = dir.roleAssignments;
  const groups = [...dir.groups.values()].map((g) => ({ g, memberIds: g.memberIds, ownerIds: g.ownerIds }));
  const units = [...dir.administrativeUnits.values()].map((u) => ({ u, memberIds: u.memberIds }));
  const appRoles = user.appRoles;
  dir.roleAssignments = roleAssignments.filter((a) => a.principalId !== id);
  for (const { g } of groups) {
    g.memberIds = g.memberIds.filter((m) => m !== id);
    g.ownerIds = g.ownerIds.filter((m) => m !== id);
  }
  for (const { u } of units) u.memberIds = u.memberIds.filter((m) => m !== id);
  user.appRoles = [];
  return () => {
    dir.roleAssignments = roleAssignments;
    for (const { g, memberIds, ownerIds } of groups) Object.assign(g, { memberIds, ownerIds });
    for (const { u, memberIds } of units) u.memberIds = memberIds;
    user.appRoles = appRoles;
  };
}

/**
 * Grants the broker exactly `permissions` from now on: the tenant issues its next app token with
 * them, and the portal drops its cached token (a fresh configuration gets a fresh Graph client).
 */
export function setBrokerPermissions(local: LocalTenant, permissions: readonly string[]): void {
  local.tenant.ctx.directory.broker.graphPermissions = [...permissions];
  resetEnvForTests();
}

/** The full grant minus `missing`, plus `extra`. */
export function permissionsWithout(missing: string, extra: string[] = []): string[] {
  return [...BROKER_GRAPH_PERMISSIONS.filter((p) => p !== missing), ...extra];
}
