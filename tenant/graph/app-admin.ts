/**
 * Who may change the app registry. Graph checks an app-only caller's application permission
 * (`roles`); a delegated caller needs the scope AND a directory role of the signed-in user, the
 * same two locks the real service applies (docs/graph-behaviours.md#app-registry):
 *
 * - registrations, service principals, and assignments or consent on the tenant's own APIs:
 *   Global Administrator, Application Administrator or Cloud Application Administrator (for
 *   assignments and consent also Privileged Role Administrator);
 * - assignments of Microsoft's app roles (admin consent to application permissions) and
 *   tenant-wide consent to Microsoft's delegated permissions: Global Administrator or
 *   Privileged Role Administrator.
 */
import { MICROSOFT_CORP_TENANT_ID, MICROSOFT_SERVICES_TENANT_ID } from '../app-registry';
import type { Directory, ServicePrincipalRecord } from '../types';
import { GraphHttpError, type GraphEnv } from './http';
import { hasAnyPermission } from './permissions';

const GLOBAL_ADMINISTRATOR = '62e90394-69f5-4237-9190-012177145e10';
const PRIVILEGED_ROLE_ADMINISTRATOR = 'e8611ab8-c189-46e8-94e1-60213ab1f814';
const APPLICATION_ADMINISTRATOR = '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3';
const CLOUD_APPLICATION_ADMINISTRATOR = '158c047a-c907-4556-b7ef-446551a6b5f7';

/** Roles that manage registrations, service principals and access to the tenant's own APIs. */
export const APP_ADMIN_ROLES = [GLOBAL_ADMINISTRATOR, APPLICATION_ADMINISTRATOR, CLOUD_APPLICATION_ADMINISTRATOR] as const;
/** Roles that may grant Microsoft's permissions tenant-wide. */
export const PRIVILEGED_CONSENT_ROLES = [GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR] as const;

export function insufficientPrivileges(): GraphHttpError {
  return new GraphHttpError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

/**
 * Whether the user holds one of `roleTemplateIds` tenant-wide and active, directly or through a
 * role-assignable group it is a member of (such groups cannot nest, so direct membership is all).
 * A role scoped to an administrative unit does not count: apps are not AU members.
 */
export function holdsTenantRole(dir: Directory, userId: string, roleTemplateIds: readonly string[]): boolean {
  const principals = new Set([userId.toLowerCase()]);
  for (const g of dir.groups.values()) {
    if (g.isAssignableToRole && g.memberIds.some((m) => m.toLowerCase() === userId.toLowerCase())) principals.add(g.id.toLowerCase());
  }
  return dir.roleAssignments.some(
    (a) => a.kind === 'active' && a.directoryScopeId === '/' && principals.has(a.principalId.toLowerCase()) && roleTemplateIds.includes(a.roleDefinitionId.toLowerCase()),
  );
}

/** Refuses with Graph's 403 unless the caller holds one of `accepted` (and, when given, one of `alsoOneOf`). */
export function requireRegistryPermission(env: GraphEnv, accepted: readonly string[], alsoOneOf?: readonly string[]): void {
  if (!hasAnyPermission(env, accepted)) throw insufficientPrivileges();
  if (alsoOneOf !== undefined && !hasAnyPermission(env, alsoOneOf)) throw insufficientPrivileges();
}

/** Refuses with Graph's 403 a delegated caller whose user holds none of `roles`; app-only callers pass. */
export function requireAdminRole(env: GraphEnv, roles: readonly string[]): void {
  if (env.caller.kind !== 'user') return;
  if (env.caller.userId === null || !holdsTenantRole(env.ctx.directory, env.caller.userId, roles)) throw insufficientPrivileges();
}

/** Both locks at once, for operations whose role does not depend on the object. */
export function requireRegistryAccess(env: GraphEnv, accepted: readonly string[], roles: readonly string[]): void {
  requireRegistryPermission(env, accepted);
  requireAdminRole(env, roles);
}

/** Microsoft's first-party resources (Microsoft Graph …): granting their permissions tenant-wide is privileged. */
export function isMicrosoftResource(sp: ServicePrincipalRecord): boolean {
  const owner = sp.appOwnerOrganizationId.toLowerCase();
  return owner === MICROSOFT_SERVICES_TENANT_ID || owner === MICROSOFT_CORP_TENANT_ID;
}

/**
 * The roles a delegated caller needs to grant access to `resource`. Privileged Role
 * Administrator may grant any permission to any app, so it counts for the tenant's own APIs too.
 */
export function rolesToGrantOn(resource: ServicePrincipalRecord): readonly string[] {
  return isMicrosoftResource(resource) ? PRIVILEGED_CONSENT_ROLES : [...APP_ADMIN_ROLES, PRIVILEGED_ROLE_ADMINISTRATOR];
}
