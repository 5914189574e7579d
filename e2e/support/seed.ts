import { readFileSync } from 'node:fs';
import { seedPath } from './env';

/**
 * The local tenant's seed as specs read it (users, apps, roles, who reports to whom), and the
 * answers the portal should give for it.
 */

export interface SeedUser {
  id?: string;
  userPrincipalName: string;
  displayName: string;
  password: string;
  manager: string | null;
  jobTitle?: string | null;
  department?: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  employeeHireDate?: string | null;
  directoryRoles: SeedRoleAssignment[];
  appRoles: string[];
  /** Local tenant extension: the user's authenticator app (RFC 6238, base32 secret). */
  mfa?: { totpSecret: string };
}

/** A role name or template id (active, tenant-wide), or an assignment with its scope and kind. */
export type SeedRoleAssignment = string | { role: string; scope?: string; assignment?: 'active' | 'eligible' };

export interface Seed {
  tenantId: string;
  portal: { clientId: string; apiClientId: string; scope: string; redirectUris: string[] };
  broker: { clientId: string; clientSecret: string; graphPermissions: string[] };
  automation?: { clientId: string; clientSecret: string; graphPermissions: string[] };
  tapPolicy: Record<string, unknown>;
  users: SeedUser[];
  /** Optional (local tenant extension): groups, some role-assignable and holding directory roles. */
  groups?: SeedGroup[];
  customRoles?: { displayName: string; id?: string; permissions: string[] }[];
  administrativeUnits?: { displayName: string; id?: string; isMemberManagementRestricted?: boolean; members: string[] }[];
}

export interface SeedGroup {
  id?: string;
  displayName: string;
  isAssignableToRole?: boolean;
  /** UPNs of users, or displayNames of other groups. */
  members: string[];
  owners?: string[];
  directoryRoles?: SeedRoleAssignment[];
  appRoles?: string[];
}

export function loadSeed(file = seedPath): Seed {
  return JSON.parse(readFileSync(file, 'utf8')) as Seed;
}

/**
 * Everyone below `upn` in the seed's org chart with their depth, computed here independently of
 * the portal (a plain walk over the seed file), to compare the portal's answers against.
 */
export function expectedReportees(seed: Seed, upn: string, maxDepth: number | null = null): Map<string, number> {
  const byManager = new Map<string, SeedUser[]>();
  for (const u of seed.users) {
    if (!u.manager) continue;
    const key = u.manager.toLowerCase();
    byManager.set(key, [...(byManager.get(key) ?? []), u]);
  }
  const result = new Map<string, number>();
  const seen = new Set<string>([upn.toLowerCase()]);
  let frontier = [upn.toLowerCase()];
  for (let depth = 1; frontier.length > 0 && (maxDepth === null || depth <= maxDepth); depth++) {
    const next: string[] = [];
    for (const m of frontier) {
      for (const r of byManager.get(m) ?? []) {
        const key = r.userPrincipalName.toLowerCase();
        if (seen.has(key)) continue;
        seen.add(key);
        result.set(key, depth);
        next.push(key);
      }
    }
    frontier = next;
  }
  return result;
}

export function userByUpn(seed: Seed, upn: string): SeedUser {
  const u = seed.users.find((x) => x.userPrincipalName.toLowerCase() === upn.toLowerCase());
  if (!u) throw new Error(`${upn} is not in the seed`);
  return u;
}

/** A signed-in-capable member with direct and indirect reports (not the top of the org). */
export function findManagerWithIndirectReports(seed: Seed): SeedUser {
  const candidates = seed.users
    .filter((u) => u.manager && u.accountEnabled && u.userType === 'Member')
    .map((u) => ({ u, reports: expectedReportees(seed, u.userPrincipalName) }))
    .filter(({ reports }) => [...reports.values()].some((d) => d >= 2))
    .sort((a, b) => a.reports.size - b.reports.size || a.u.userPrincipalName.localeCompare(b.u.userPrincipalName));
  const pick = candidates[0];
  if (!pick) throw new Error('the seed has no manager with indirect reports');
  return pick.u;
}

/** The portal app roles a seeded user holds: their own and those of the groups they are in (nested too). */
export function effectiveAppRoles(seed: Seed, upn: string): string[] {
  const user = seed.users.find((u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase());
  const roles = new Set(user?.appRoles ?? []);
  const memberships = new Set([upn.toLowerCase()]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const group of seed.groups ?? []) {
      const name = group.displayName.toLowerCase();
      if (memberships.has(name) || !group.members.some((m) => memberships.has(m.toLowerCase()))) continue;
      memberships.add(name);
      for (const role of group.appRoles ?? []) roles.add(role);
      grew = true;
    }
  }
  return [...roles];
}

/** An enabled member nobody reports to. */
export function findUserWithoutReports(seed: Seed): SeedUser {
  const managers = new Set(seed.users.map((u) => u.manager?.toLowerCase()).filter(Boolean));
  const u = seed.users.find(
    (x) => x.accountEnabled && x.userType === 'Member' && !managers.has(x.userPrincipalName.toLowerCase()) && effectiveAppRoles(seed, x.userPrincipalName).length === 0,
  );
  if (!u) throw new Error('the seed has no enabled member without reports');
  return u;
}
