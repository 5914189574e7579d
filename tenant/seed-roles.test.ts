/**
 * Seed additions for role scopes, PIM eligibility, custom roles, administrative units, group
 * owners, group app roles and the API's access token version: what they load into, and the
 * messages that name a bad entry.
 */
import { describe, expect, it } from 'vitest';
import demoOrg from './demo-org.json';
import { getEffectiveAppRoles, getEffectiveRoleTemplateIds, removeUser } from './directory';
import { administrativeUnitIdFromName, customRoleIdFromName, groupIdFromName, parseSeed, SeedError, userIdFromUpn } from './seed';

const USER_ADMIN = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const SECURITY_ADMIN = '194ae4cb-b126-40b2-bd5b-6091b380977d';
const HELPDESK_ADMIN = '729827e3-9c14-49f7-bb1b-9608f156bbb8';

function seed(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tenantId: '00000000-0000-4000-8000-0000000000bb',
    portal: {
      clientId: '10000000-0000-4000-8000-000000000011',
      apiClientId: '10000000-0000-4000-8000-000000000012',
      redirectUris: ['http://localhost:3000'],
    },
    broker: { clientId: '10000000-0000-4000-8000-000000000013', clientSecret: 's3cret' },
    tapPolicy: { state: 'enabled' },
    users: [
      { userPrincipalName: 'ann@contoso.test', displayName: 'Ann' },
      { userPrincipalName: 'bob@contoso.test', displayName: 'Bob', manager: 'ann@contoso.test' },
      { userPrincipalName: 'cy@contoso.test', displayName: 'Cy', manager: 'ann@contoso.test' },
    ],
    ...extra,
  };
}

function refusal(raw: unknown): string {
  try {
    parseSeed(raw, 'roles.json');
  } catch (err) {
    expect(err).toBeInstanceOf(SeedError);
    return (err as Error).message;
  }
  throw new Error('expected the seed to be refused');
}

const ann = userIdFromUpn('ann@contoso.test');
const bob = userIdFromUpn('bob@contoso.test');
const cy = userIdFromUpn('cy@contoso.test');

describe('seed: role assignments with scope and kind', () => {
  const rich = seed({
    customRoles: [{ displayName: 'Password Helpers', permissions: ['microsoft.directory/users/password/update'] }],
    administrativeUnits: [
      { displayName: 'Paris Office', members: ['bob@contoso.test', 'Ops'] },
      { displayName: 'Break-glass', id: '30000000-0000-4000-8000-000000000001', isMemberManagementRestricted: true, members: ['cy@contoso.test'] },
    ],
    groups: [
      { displayName: 'Ops', isAssignableToRole: true, members: ['cy@contoso.test'], owners: ['ann@contoso.test'], directoryRoles: [{ role: 'Helpdesk Administrator', assignment: 'eligible' }] },
      { displayName: 'Approvers', members: ['Nested'], appRoles: ['TapBroker.Approver'] },
      { displayName: 'Nested', members: ['bob@contoso.test'] },
    ],
  });
  rich.users = [
    {
      userPrincipalName: 'ann@contoso.test',
      displayName: 'Ann',
      appRoles: ['TapBroker.Admin'],
      directoryRoles: [
        'User Administrator',
        { role: 'password helpers' },
        { role: 'User Administrator', scope: '/administrativeUnits/paris office' },
        { role: SECURITY_ADMIN, scope: '/', assignment: 'eligible' },
        'user administrator',
      ],
    },
    { userPrincipalName: 'bob@contoso.test', displayName: 'Bob', manager: 'ann@contoso.test' },
    { userPrincipalName: 'cy@contoso.test', displayName: 'Cy', manager: 'ann@contoso.test', directoryRoles: [{ role: 'User Administrator', scope: '/administrativeUnits/30000000-0000-4000-8000-000000000001' }] },
  ];

  it('resolves names, custom roles and AU scopes, defaults to active tenant-wide, drops duplicates', () => {
    const dir = parseSeed(rich);
    const custom = customRoleIdFromName('Password Helpers');
    const paris = administrativeUnitIdFromName('Paris Office');
    const ops = groupIdFromName('Ops');
    expect(dir.roleAssignments).toEqual([
      { principalId: ann, roleDefinitionId: USER_ADMIN, directoryScopeId: '/', kind: 'active' },
      { principalId: ann, roleDefinitionId: custom, directoryScopeId: '/', kind: 'active' },
      { principalId: ann, roleDefinitionId: USER_ADMIN, directoryScopeId: `/administrativeUnits/${paris}`, kind: 'active' },
      { principalId: ann, roleDefinitionId: SECURITY_ADMIN, directoryScopeId: '/', kind: 'eligible' },
      { principalId: cy, roleDefinitionId: USER_ADMIN, directoryScopeId: '/administrativeUnits/30000000-0000-4000-8000-000000000001', kind: 'active' },
      { principalId: ops, roleDefinitionId: HELPDESK_ADMIN, directoryScopeId: '/', kind: 'eligible' },
    ]);
    expect(dir.customRoles.get(custom)).toEqual({ id: custom, displayName: 'Password Helpers', description: null, permissions: ['microsoft.directory/users/password/update'] });
    expect(dir.administrativeUnits.get(paris)).toEqual({ id: paris, displayName: 'Paris Office', description: null, isMemberManagementRestricted: false, memberIds: [bob, ops] });
    expect(dir.administrativeUnits.get('30000000-0000-4000-8000-000000000001')?.isMemberManagementRestricted).toBe(true);
    expect(dir.groups.get(ops)).toMatchObject({ ownerIds: [ann], appRoles: [] });
    // Ids are derived from names, so the same seed gives the same ids.
    expect(parseSeed(rich).roleAssignments).toEqual(dir.roleAssignments);
  });

  it('keeps directoryRole semantics to active, tenant-wide, built-in roles', () => {
    const dir = parseSeed(rich);
    const user = (id: string) => dir.users.get(id) ?? (() => { throw new Error(id); })();
    // Custom, AU-scoped and eligible assignments are not directoryRole memberships.
    expect(getEffectiveRoleTemplateIds(dir, user(ann))).toEqual([USER_ADMIN]);
    expect(getEffectiveRoleTemplateIds(dir, user(cy))).toEqual([]);
  });

  it('gives group members the group’s app roles, through nested groups too', () => {
    const dir = parseSeed(rich);
    expect(getEffectiveAppRoles(dir, dir.users.get(bob) ?? (null as never))).toEqual(['TapBroker.Approver']);
    expect(getEffectiveAppRoles(dir, dir.users.get(ann) ?? (null as never))).toEqual(['TapBroker.Admin']);
    expect(getEffectiveAppRoles(dir, dir.users.get(cy) ?? (null as never))).toEqual([]);
  });

  it('forgets a removed user’s assignments, ownerships and AU memberships', () => {
    const dir = parseSeed(rich);
    removeUser(dir, ann);
    expect(dir.roleAssignments.some((a) => a.principalId === ann)).toBe(false);
    expect(dir.groups.get(groupIdFromName('Ops'))?.ownerIds).toEqual([]);
    removeUser(dir, bob);
    expect(dir.administrativeUnits.get(administrativeUnitIdFromName('Paris Office'))?.memberIds).toEqual([groupIdFromName('Ops')]);
  });

  it('reads portal.accessTokenVersion, 2 by default', () => {
    expect(parseSeed(seed()).portal.accessTokenVersion).toBe(2);
    const v1 = seed();
    (v1.portal as Record<string, unknown>).accessTokenVersion = 1;
    expect(parseSeed(v1).portal.accessTokenVersion).toBe(1);
    (v1.portal as Record<string, unknown>).accessTokenVersion = 3;
    expect(refusal(v1)).toContain('portal.accessTokenVersion: must be 1 or 2');
  });

  it('still loads the bundled demo org', () => {
    const dir = parseSeed(demoOrg);
    expect(dir.users.size).toBeGreaterThan(0);
  });
});

describe('seed: messages naming the bad entry', () => {
  it('names bad role entries of users and groups', () => {
    const bad = seed({
      administrativeUnits: [{ displayName: 'Paris Office' }],
      groups: [
        { displayName: 'Plain', members: ['ann@contoso.test'], directoryRoles: [{ role: 'User Administrator', assignment: 'eligible' }] },
        { displayName: 'Ops', isAssignableToRole: true, directoryRoles: [{ role: 'Nope' }] },
      ],
    });
    bad.users = [
      {
        userPrincipalName: 'ann@contoso.test',
        displayName: 'Ann',
        directoryRoles: [
          { role: 'User Administrator', assignment: 'permanent' },
          { role: 'User Administrator', scope: '/administrativeUnits/Lyon' },
          { role: 'User Administrator', scope: '/groups/x' },
          { scope: '/' },
          42,
          { role: 'Imaginary Role', scope: '/' },
        ],
      },
    ];
    const message = refusal(bad);
    expect(message).toContain('users[0] (ann@contoso.test): directoryRoles[0].assignment: must be "active" or "eligible"');
    expect(message).toContain('users[0] (ann@contoso.test): directoryRoles[3].role');
    expect(message).toContain('users[0] (ann@contoso.test): directoryRoles[4]: must be a role name or template id, or an object');
    // Reference problems are found once the shapes are valid.
    const refs = seed({ administrativeUnits: [{ displayName: 'Paris Office' }] });
    refs.users = [
      {
        userPrincipalName: 'ann@contoso.test',
        displayName: 'Ann',
        directoryRoles: [{ role: 'User Administrator', scope: '/administrativeUnits/Lyon' }, { role: 'User Administrator', scope: '/groups/x' }, 'Imaginary Role'],
      },
    ];
    refs.groups = bad.groups;
    const second = refusal(refs);
    expect(second).toContain('users[0] (ann@contoso.test): directoryRoles[0]: scope "/administrativeUnits/Lyon": no administrative unit "Lyon" in the seed');
    expect(second).toContain('users[0] (ann@contoso.test): directoryRoles[1]: scope "/groups/x" must be "/" or "/administrativeUnits/<displayName>"');
    expect(second).toContain('users[0] (ann@contoso.test): directoryRoles[2] "Imaginary Role" is not a known built-in role name or custom role');
    expect(second).toContain('groups[0] (Plain): directoryRoles need "isAssignableToRole": true');
    expect(second).toContain('groups[1] (Ops): directoryRoles[0] "Nope" is not a known built-in role name or custom role');
  });

  it('names bad custom roles, administrative units, owners and group app roles', () => {
    const message = refusal(
      seed({
        customRoles: [
          { displayName: 'Helpers', permissions: ['microsoft.directory/users/password/update'] },
          { displayName: 'helpers' },
          { displayName: 'Global Administrator' },
          { displayName: 'Clone', id: USER_ADMIN },
          { permissions: [] },
        ],
        administrativeUnits: [
          { displayName: 'Paris', members: ['nobody@contoso.test'] },
          { displayName: 'paris' },
          { displayName: 'Bad flag', isMemberManagementRestricted: 'yes' },
          { displayName: 'Same id as Ann', id: ann },
        ],
        groups: [{ displayName: 'Ops', members: ['ann@contoso.test'], owners: ['ghost@contoso.test'], appRoles: ['TapBroker.Root'] }],
      }),
    );
    expect(message).toContain('customRoles[1] (helpers): duplicate displayName');
    expect(message).toContain('customRoles[2] (Global Administrator): displayName is the name of a built-in role');
    expect(message).toContain(`customRoles[3] (Clone): id ${USER_ADMIN} is a built-in role's template id`);
    expect(message).toContain('customRoles[4]: displayName');
    expect(message).toContain('administrativeUnits[0] (Paris): members[0] "nobody@contoso.test" is neither a user\'s UPN nor a group\'s displayName');
    expect(message).toContain('administrativeUnits[1] (paris): duplicate displayName');
    expect(message).toContain('administrativeUnits[2] (Bad flag): isMemberManagementRestricted');
    expect(message).toContain(`administrativeUnits[3] (Same id as Ann): duplicate id ${ann}`);
    expect(message).toContain('groups[0] (Ops): appRoles[0]: must be one of TapBroker.Approver, TapBroker.Auditor, TapBroker.Admin');
  });

  it('names an owner that is not a user', () => {
    const message = refusal(seed({ groups: [{ displayName: 'Ops', owners: ['ghost@contoso.test'] }] }));
    expect(message).toContain('groups[0] (Ops): owners[0] "ghost@contoso.test" is not a user\'s UPN in the seed');
  });
});
