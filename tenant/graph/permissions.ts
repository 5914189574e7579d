/**
 * Application-permission checks on the Graph token's `roles` (delegated tokens: `scp`).
 * Each set lists every permission the real service accepts for the operation
 * (docs/graph-behaviours.md#permissions).
 */
import { GraphHttpError, type GraphEnv } from './http';

export const USER_READ = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] as const;
export const USER_WRITE = ['User.ReadWrite.All', 'Directory.ReadWrite.All'] as const;
/** `DELETE /users/{id}`: `User.DeleteRestore.All` is the least privileged; `Directory.ReadWrite.All` is not on its table. */
export const USER_DELETE = ['User.DeleteRestore.All', 'User.ReadWrite.All'] as const;
/**
 * Reading directory roles themselves. With only `User.Read.All`, Graph's limited-information rule
 * applies to directoryRole objects in `transitiveMemberOf` (an inference from that rule:
 * docs/graph-behaviours.md#limited-information).
 */
export const ROLE_READ = ['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', 'RoleManagement.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] as const;
/** `/directoryRoles` and their members: the role table without `RoleManagement.Read.All`. */
export const DIRECTORY_ROLE_READ = ['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', 'Directory.Read.All', 'Directory.ReadWrite.All'] as const;
/**
 * `/users/{id}/transitiveMemberOf`: user or group read permissions; the role-management ones are
 * not on its table (they only lift the limited-information rule for the roles listed).
 */
export const MEMBERSHIP_READ = [...USER_READ, 'GroupMember.Read.All', 'Group.Read.All'] as const;
export const TAP_WRITE = ['UserAuthenticationMethod.ReadWrite.All', 'UserAuthMethod-TAP.ReadWrite.All'] as const;
export const TAP_READ = [...TAP_WRITE, 'UserAuthMethod-TAP.Read.All', 'UserAuthenticationMethod.Read.All'] as const;
/**
 * The TAP policy's own table: `Policy.Read.AuthenticationMethod` (least) or the write permission.
 * `Policy.Read.All` is not on it and is refused, so a grant that relies on it fails here first.
 */
export const POLICY_READ = ['Policy.Read.AuthenticationMethod', 'Policy.ReadWrite.AuthenticationMethod'] as const;
export const POLICY_WRITE = ['Policy.ReadWrite.AuthenticationMethod'] as const;

/** Delegated equivalents (scopes without `.All` where Graph has them). */
const DELEGATED_ALIASES: Record<string, string[]> = {
  'User.Read.All': ['User.Read.All', 'User.ReadBasic.All'],
  'UserAuthenticationMethod.ReadWrite.All': ['UserAuthenticationMethod.ReadWrite.All'],
};

export function hasAnyPermission(env: GraphEnv, accepted: readonly string[]): boolean {
  const granted = new Set(env.caller.permissions.map((p) => p.toLowerCase()));
  // A delegated `User.Read` lets the signed-in user read their own profile through `/me`.
  if (env.caller.kind === 'user' && accepted.includes('User.Read.All') && granted.has('user.read') && env.req.segments[0]?.toLowerCase() === 'me') {
    return true;
  }
  for (const p of accepted) {
    if (granted.has(p.toLowerCase())) return true;
    if (env.caller.kind === 'user') {
      for (const alias of DELEGATED_ALIASES[p] ?? []) if (granted.has(alias.toLowerCase())) return true;
    }
  }
  return false;
}

/** Directory APIs: 403 `Authorization_RequestDenied`. */
export function requireDirectory(env: GraphEnv, accepted: readonly string[]): void {
  if (!hasAnyPermission(env, accepted)) {
    throw new GraphHttpError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  }
}

/** Authentication-methods APIs answer a missing permission differently (docs/graph-behaviours.md#tap-methods). */
export function requireAuthMethods(env: GraphEnv, accepted: readonly string[]): void {
  if (!hasAnyPermission(env, accepted)) {
    throw new GraphHttpError(403, 'accessDenied', 'Request Authorization failed');
  }
}

/*
 * Permission tables of the role-management, administrative-unit and application reads, as
 * Graph's pages list them for application permissions (least privileged first).
 */

/** `roleManagement/directory/roleEligibilityScheduleInstances` (PIM-eligible assignments). */
export const ROLE_ELIGIBILITY_READ = [
  'RoleEligibilitySchedule.Read.Directory',
  'RoleEligibilitySchedule.ReadWrite.Directory',
  'RoleManagement.Read.Directory',
  'RoleManagement.ReadWrite.Directory',
  'RoleManagement.Read.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
] as const;

/** `roleManagement/directory/roleAssignmentScheduleInstances` (active assignments, permanent ones included). */
export const ROLE_ASSIGNMENT_SCHEDULE_READ = [
  'RoleAssignmentSchedule.Read.Directory',
  'RoleAssignmentSchedule.ReadWrite.Directory',
  'RoleManagement.Read.Directory',
  'RoleManagement.ReadWrite.Directory',
  'RoleManagement.Read.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
] as const;

/** `directory/administrativeUnits[/{id}[/members]]`; also what lifts the limited-information rule for AUs in `memberOf`. */
export const ADMINISTRATIVE_UNIT_READ = ['AdministrativeUnit.Read.All', 'AdministrativeUnit.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] as const;

/** `servicePrincipals/…`, `…/appRoleAssignedTo` and `applications/…`. */
export const APPLICATION_READ = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] as const;

/**
 * `users/{id}/ownedObjects`: Graph's page lists delegated permissions only ("Application: Not
 * supported"), so an app-only token is refused whatever it holds. `User.Read` covers `/me`.
 */
export const OWNED_OBJECTS_READ_DELEGATED = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] as const;

/*
 * The app registry's writes (docs/graph-behaviours.md#app-registry). Delegated callers need the
 * scope AND a directory role (tenant/graph/app-admin.ts); `Directory.AccessAsUser.All` is the
 * delegated catch-all Graph also accepts. `Application.ReadWrite.OwnedBy` is not modelled: the
 * registry does not record which service principal owns an application.
 */

/** `POST/PATCH/DELETE /applications…`, `addPassword`, `removePassword`, `POST/PATCH/DELETE /servicePrincipals…`. */
export const APPLICATION_WRITE = ['Application.ReadWrite.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'] as const;
/** App role assignments (writes also need one of {@link APPLICATION_READ}, as Graph's table says "… and Application.Read.All"). */
export const APP_ROLE_ASSIGNMENT_WRITE = ['AppRoleAssignment.ReadWrite.All', 'Directory.AccessAsUser.All'] as const;
/** Reading app role assignments: the application reads, or the assignment write permission itself. */
export const APP_ROLE_ASSIGNMENT_READ = [...APPLICATION_READ, 'AppRoleAssignment.ReadWrite.All'] as const;
/** `POST/PATCH/DELETE /oauth2PermissionGrants…`. */
export const PERMISSION_GRANT_WRITE = ['DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'] as const;
/** `GET /oauth2PermissionGrants…`. */
export const PERMISSION_GRANT_READ = ['DelegatedPermissionGrant.Read.All', 'DelegatedPermissionGrant.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] as const;
