/**
 * A tenant as a company has it before TAP Broker: the demo org's people, groups and roles, and no
 * app registration of the portal's (no `portal`, `broker`, `automation`, no portal app roles),
 * plus an administrator who may register apps and grant admin consent — what `npm run
 * setup:entra` starts from in its end-to-end test.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** The administrator the bare tenant adds: Application Administrator and Privileged Role Administrator. */
export const BARE_TENANT_ADMIN_UPN = 'entra.admin@contoso.test';

type SeedObject = Record<string, unknown> & { users?: Record<string, unknown>[]; groups?: Record<string, unknown>[] };

/** Writes the bare seed derived from `fromSeedPath` to `toSeedPath`; returns the admin's password (the demo password). */
export function writeBareSeed(fromSeedPath: string, toSeedPath: string): { adminUpn: string; adminPassword: string } {
  const seed = JSON.parse(readFileSync(fromSeedPath, 'utf8')) as SeedObject & { demoAccounts?: { password?: string } };
  const password = seed.demoAccounts?.password;
  if (typeof password !== 'string' || password === '') throw new Error(`${fromSeedPath} has no demoAccounts.password`);
  const { portal: _portal, broker: _broker, automation: _automation, ...rest } = seed;
  const users: Record<string, unknown>[] = (seed.users ?? []).map((u) => ({ ...u, appRoles: [] }));
  const groups = (seed.groups ?? []).map((g) => ({ ...g, appRoles: [] }));
  users.push({
    userPrincipalName: BARE_TENANT_ADMIN_UPN,
    displayName: 'Entra Admin',
    password,
    manager: null,
    jobTitle: 'Identity administrator',
    department: 'IT',
    accountEnabled: true,
    userType: 'Member',
    directoryRoles: ['Application Administrator', 'Privileged Role Administrator'],
    appRoles: [],
  });
  writeFileSync(toSeedPath, `${JSON.stringify({ ...rest, users, groups }, null, 2)}\n`);
  return { adminUpn: BARE_TENANT_ADMIN_UPN, adminPassword: password };
}
