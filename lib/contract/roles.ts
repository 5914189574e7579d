/**
 * The portal's app roles: the values of the access token's `roles` claim, and the short names the
 * route table and the core ask for. Admin implies approver and auditor. "Manager" is not a role:
 * any signed-in member user may act as one, and the org chart in Graph decides for whom.
 */
import * as z from 'zod/mini';

export const APP_ROLES = {
  approver: 'TapBroker.Approver',
  auditor: 'TapBroker.Auditor',
  admin: 'TapBroker.Admin',
} as const;

export type RoleName = keyof typeof APP_ROLES;
export type AppRole = (typeof APP_ROLES)[RoleName];

export const ROLE_NAMES = Object.keys(APP_ROLES) as [RoleName, ...RoleName[]];

export const roleNameSchema = z.enum(ROLE_NAMES);

export const appRoleSchema = z
  .enum(Object.values(APP_ROLES) as [AppRole, ...AppRole[]])
  .check(z.describe("A portal app role, as in the access token's `roles` claim. TapBroker.Admin implies the other two."));

/** The token roles that satisfy `role` (admin satisfies every role). */
export function getAppRolesSatisfying(role: RoleName): AppRole[] {
  return role === 'admin' ? [APP_ROLES.admin] : [APP_ROLES[role], APP_ROLES.admin];
}
