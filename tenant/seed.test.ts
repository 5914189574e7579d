import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import demoOrg from './demo-org.json';
import { findUser, getDirectReportIds, getEffectiveAppRoles, getEffectiveRoleTemplateIds, removeUser, setManager, updateUser } from './directory';
import { loadSeed, parseSeed, SeedError, userIdFromUpn } from './seed';

type SeedUser = Record<string, unknown>;

function baseSeed(users: SeedUser[]): Record<string, unknown> {
  return {
    tenantId: '00000000-0000-4000-8000-0000000000aa',
    portal: {
      clientId: '10000000-0000-4000-8000-000000000001',
      apiClientId: '10000000-0000-4000-8000-000000000002',
      scope: 'access_as_user',
      redirectUris: ['http://localhost:3000'],
    },
    broker: { clientId: '10000000-0000-4000-8000-000000000003', clientSecret: 's3cret', graphPermissions: ['User.Read.All'] },
    tapPolicy: { state: 'enabled' },
    users,
  };
}

function user(upn: string, manager: string | null, extra: SeedUser = {}): SeedUser {
  return { userPrincipalName: upn, displayName: upn.split('@')[0], password: 'pw', manager, ...extra };
}

function seedError(raw: unknown): string {
  try {
    parseSeed(raw, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(SeedError);
    return (err as Error).message;
  }
  throw new Error('expected the seed to be refused');
}

describe('seed validation', () => {
  it('names the user whose manager is not in the seed', () => {
    const users = [user('ann@contoso.test', null)];
    for (let i = 1; i < 7; i++) users.push(user(`u${i}@contoso.test`, 'ann@contoso.test'));
    users.push(user('bob@contoso.test', 'x@contoso.test'));
    expect(seedError(baseSeed(users))).toContain('users[7] (bob@contoso.test): manager "x@contoso.test" is not a user in the seed');
  });

  it('refuses duplicate UPNs (case-insensitive) and duplicate ids', () => {
    const id = '20000000-0000-4000-8000-000000000001';
    const msg = seedError(
      baseSeed([
        user('ann@contoso.test', null, { id }),
        user('ANN@contoso.test', null),
        user('cy@contoso.test', null, { id }),
      ]),
    );
    expect(msg).toContain('users[1] (ANN@contoso.test): duplicate userPrincipalName');
    expect(msg).toContain(`users[2] (cy@contoso.test): duplicate id ${id} (also used by users[0] (ann@contoso.test))`);
  });

  it('names bad field values with their path', () => {
    const msg = seedError(
      baseSeed([
        user('ann@contoso.test', null, { appRoles: ['TapBroker.Root'] }),
        user('not-an-upn', null),
        user('cy@contoso.test', null, { directoryRoles: ['Supreme Overlord'] }),
        user('dee@contoso.test', 'dee@contoso.test'),
      ]),
    );
    expect(msg).toContain('users[0] (ann@contoso.test): appRoles[0]: must be one of TapBroker.Approver, TapBroker.Auditor, TapBroker.Admin');
    expect(msg).toContain('users[1] (not-an-upn): userPrincipalName: must look like name@domain');
    expect(msg).toContain('users[2] (cy@contoso.test): directoryRoles[0] "Supreme Overlord" is not a known built-in role name');
    expect(msg).toContain('users[3] (dee@contoso.test): manager "dee@contoso.test" is the user themselves');
  });

  it('refuses a malformed top level and equal client ids', () => {
    const seed = baseSeed([user('ann@contoso.test', null)]);
    seed.tenantId = 'contoso';
    (seed.broker as Record<string, unknown>).clientId = '10000000-0000-4000-8000-000000000001';
    expect(seedError(seed)).toContain('tenantId: must be a GUID');
    seed.tenantId = '00000000-0000-4000-8000-0000000000aa';
    expect(seedError(seed)).toContain('broker.clientId: must differ from portal.clientId');
  });

  it('refuses a TAP policy whose default lies outside its range', () => {
    const seed = baseSeed([user('ann@contoso.test', null)]);
    seed.tapPolicy = { state: 'enabled', defaultLifetimeInMinutes: 30, minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480 };
    expect(seedError(seed)).toContain('tapPolicy: defaultLifetimeInMinutes must lie between');
  });

  it('names the file when it is not JSON', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'seed-'));
    const file = path.join(dir, 'bad.json');
    await writeFile(file, '{ "tenantId": ');
    await expect(loadSeed(file)).rejects.toThrow(`seed file ${file} is not valid JSON`);
  });
});

describe('seed loading', () => {
  it('ignores unknown keys, derives stable ids from UPNs and resolves managers and roles', () => {
    const dir = parseSeed(
      baseSeed([
        user('Ann@Contoso.test', null, { favouriteColour: 'teal', directoryRoles: ['user administrator', '88d8e3e3-8f55-4a1e-953a-9b9898b8876b'] }),
        user('bob@contoso.test', 'ann@contoso.test', { employeeHireDate: '2027-01-11' }),
        user('guest_fabrikam.test#EXT#@contoso.test', 'ann@contoso.test', { userType: 'Guest' }),
      ]),
    );
    const annId = userIdFromUpn('ann@contoso.test');
    expect(annId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ann = findUser(dir, 'ANN@contoso.test');
    expect(ann?.id).toBe(annId);
    expect(ann).not.toHaveProperty('favouriteColour');
    expect(dir.roleAssignments.filter((a) => a.principalId === annId)).toEqual([
      { principalId: annId, roleDefinitionId: 'fe930be7-5e62-47db-91af-98c3a49a38b1', directoryScopeId: '/', kind: 'active' },
      { principalId: annId, roleDefinitionId: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b', directoryScopeId: '/', kind: 'active' },
    ]);
    expect(dir.portal.accessTokenVersion).toBe(2);
    const bob = findUser(dir, 'bob@contoso.test');
    expect(bob?.managerId).toBe(annId);
    expect(bob?.employeeHireDate).toBe('2027-01-11T00:00:00Z');
    expect(findUser(dir, 'guest_fabrikam.test#EXT#@contoso.test')?.mail).toBe('guest@fabrikam.test');
    expect(getDirectReportIds(dir, annId)).toEqual([bob?.id, userIdFromUpn('guest_fabrikam.test#EXT#@contoso.test')]);
    expect(dir.broker.servicePrincipalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(dir.tapPolicy.includeTargets).toEqual([{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }]);
  });

  it('loads the bundled demo org with the people the brief asks for', () => {
    const dir = parseSeed(demoOrg);
    const users = [...dir.users.values()];
    expect(users.length).toBeGreaterThanOrEqual(35);
    expect(users.some((u) => !u.accountEnabled)).toBe(true);
    expect(users.some((u) => u.userType === 'Guest')).toBe(true);
    // A new hire: someone who starts after the demo org was written (not "after today", which
    // would make this test fail on a calendar date).
    expect(users.some((u) => u.employeeHireDate !== null && Date.parse(u.employeeHireDate) > Date.parse('2026-11-20T00:00:00Z'))).toBe(true);
    expect(users.some((u) => getEffectiveRoleTemplateIds(dir, u).includes('fe930be7-5e62-47db-91af-98c3a49a38b1'))).toBe(true);
    for (const role of ['TapBroker.Approver', 'TapBroker.Auditor', 'TapBroker.Admin']) {
      expect(users.some((u) => getEffectiveAppRoles(dir, u).includes(role))).toBe(true);
    }
    // Depth: the longest manager chain has at least 4 levels below the top.
    const depth = (id: string): number => {
      let d = 0;
      for (let u = dir.users.get(id); u?.managerId; u = dir.users.get(u.managerId)) d++;
      return d;
    };
    expect(Math.max(...users.map((u) => depth(u.id)))).toBeGreaterThanOrEqual(4);
  });
});

describe('directory mutations', () => {
  it('keeps directReports consistent when managers change and users go', () => {
    const dir = parseSeed(
      baseSeed([user('ann@contoso.test', null), user('bob@contoso.test', 'ann@contoso.test'), user('cy@contoso.test', 'bob@contoso.test')]),
    );
    const [ann, bob, cy] = ['ann', 'bob', 'cy'].map((n) => userIdFromUpn(`${n}@contoso.test`)) as [string, string, string];
    setManager(dir, cy, ann);
    expect(getDirectReportIds(dir, ann)).toEqual([bob, cy]);
    expect(getDirectReportIds(dir, bob)).toEqual([]);
    // Graph allows cycles; so does the directory.
    setManager(dir, ann, cy);
    expect(dir.users.get(ann)?.managerId).toBe(cy);
    expect(() => setManager(dir, ann, ann)).toThrow('cannot be their own manager');
    updateUser(dir, bob, { userPrincipalName: 'robert@contoso.test', managerId: null, jobTitle: 'Engineer' });
    expect(findUser(dir, 'robert@contoso.test')?.jobTitle).toBe('Engineer');
    expect(findUser(dir, 'bob@contoso.test')).toBeUndefined();
    expect(getDirectReportIds(dir, ann)).toEqual([cy]);
    expect(() => updateUser(dir, bob, { userPrincipalName: 'CY@contoso.test' })).toThrow('already has the userPrincipalName');
    removeUser(dir, cy);
    expect(dir.users.get(ann)?.managerId).toBeNull();
    expect(getDirectReportIds(dir, ann)).toEqual([]);
  });
});
