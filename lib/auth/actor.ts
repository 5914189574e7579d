/**
 * Who is calling: built only from a verified access token (see verify-access-token.ts).
 *
 * App roles come from the token's `roles` claim; "manager" is not a role — any signed-in member
 * user may act as a manager, and the core checks member-ness and the org chart in Graph.
 */

import { APP_ROLES, type AppRole, type RoleName } from '@/lib/contract/roles';

export { APP_ROLES, type AppRole, type RoleName };

const KNOWN_APP_ROLES: ReadonlySet<string> = new Set(Object.values(APP_ROLES));

export function isAppRole(value: string): value is AppRole {
  return KNOWN_APP_ROLES.has(value);
}

export interface Actor {
  /** The user's object id (`oid`). */
  id: string;
  tenantId: string;
  displayName: string;
  userPrincipalName: string;
  /** Only the portal's known app roles, as assigned in the tenant; unknown roles are dropped. */
  roles: AppRole[];
  /**
   * The Conditional Access authentication contexts (`c1` …) this sign-in satisfied: the token's
   * `acrs` claim, empty when it has none. Step-up checks read it (lib/broker/step-up.ts).
   */
  authContexts: string[];
  /**
   * When the access token was issued (`iat`, epoch seconds), null when it has none. A token that
   * proves an authentication context is only as fresh as this: step-up wants a recent one.
   */
  tokenIssuedAt: number | null;
}

/**
 * Whether the actor holds `role`. Admin implies approver and auditor (docs/api-contract.md#roles), so
 * callers ask for the capability they need and never compare role strings themselves.
 */
export function hasRole(actor: Pick<Actor, 'roles'>, role: RoleName): boolean {
  if (actor.roles.includes(APP_ROLES.admin)) return true;
  return actor.roles.includes(APP_ROLES[role]);
}

/** Whether the actor holds at least one of `roles`. */
export function hasAnyRole(actor: Pick<Actor, 'roles'>, roles: readonly RoleName[]): boolean {
  return roles.some((role) => hasRole(actor, role));
}
