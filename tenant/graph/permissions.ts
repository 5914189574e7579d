/**
 * Application-permission checks on the Graph token's `roles` (delegated tokens: `scp`).
 * Each set lists every permission the real service accepts for the operation (facts §1–§4).
 */
import { GraphHttpError, type GraphEnv } from './http';

export const USER_READ = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] as const;
export const USER_WRITE = ['User.ReadWrite.All', 'Directory.ReadWrite.All'] as const;
/**
 * Reading directory roles themselves. With only `User.Read.All`, Graph's limited-information rule
 * applies to directoryRole objects in `transitiveMemberOf` (facts §4, an inference there).
 */
export const ROLE_READ = ['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', 'RoleManagement.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] as const;
export const TAP_WRITE = ['UserAuthenticationMethod.ReadWrite.All', 'UserAuthMethod-TAP.ReadWrite.All'] as const;
export const TAP_READ = [...TAP_WRITE, 'UserAuthMethod-TAP.Read.All', 'UserAuthenticationMethod.Read.All'] as const;
export const POLICY_READ = ['Policy.Read.All', 'Policy.ReadWrite.AuthenticationMethod'] as const;
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

/** Authentication-methods APIs answer a missing permission differently (facts §1). */
export function requireAuthMethods(env: GraphEnv, accepted: readonly string[]): void {
  if (!hasAnyPermission(env, accepted)) {
    throw new GraphHttpError(403, 'accessDenied', 'Request Authorization failed');
  }
}
