import { prng } from '../../tenant/prng';
import type { Seed, SeedUser } from './seed';

/**
 * An org chart the portal has never seen: `count` people under a few roots, random spans and
 * depths, some disabled accounts and guests. Apps, tenant and TAP policy come from `base`, since
 * the running portal is configured for those client ids.
 */
export function randomOrg(base: Seed, count: number, prngSeed: number): Seed {
  const rnd = prng(prngSeed);
  const password = `Random-${prngSeed}-Pw!`;
  const users: SeedUser[] = [];
  for (let i = 0; i < count; i++) {
    // Mostly attach to a recent person (deep chains), sometimes to anyone (wide trees), a few roots.
    const manager =
      i === 0 || rnd() < 0.03
        ? null
        : users[rnd() < 0.6 ? Math.max(0, i - 1 - Math.floor(rnd() * 4)) : Math.floor(rnd() * i)]!.userPrincipalName;
    const guest = rnd() < 0.05;
    users.push({
      userPrincipalName: guest ? `ext${i}_partner.test#EXT#@fabrikam.test` : `person${i}.r${prngSeed}@fabrikam.test`,
      displayName: `Person ${i} (${prngSeed})`,
      password,
      manager,
      jobTitle: rnd() < 0.8 ? `Title ${Math.floor(rnd() * 20)}` : null,
      department: `Dept ${Math.floor(rnd() * 5)}`,
      accountEnabled: rnd() > 0.07,
      userType: guest ? 'Guest' : 'Member',
      employeeHireDate: '2024-03-04T08:00:00Z',
      directoryRoles: [],
      appRoles: [],
    });
  }
  // Only the apps, tenant and TAP policy carry over: the base's groups and units name its own people.
  const { groups: _groups, administrativeUnits: _units, customRoles: _roles, ...apps } = base;
  return { ...apps, users };
}
