import 'server-only';

/**
 * The Graph vocabulary the eligibility rule (`lib/broker/eligibility.ts`) and the reads that feed
 * it (`get-target-facts.ts`, `tenant-eligibility-reads.ts`) share: which signals a read can fail to show,
 * and the ids and shapes of app role assignments and TAP policy targets. Pure, no I/O.
 */

/**
 * The facts of the rule that depend on what the broker's app registration may read in Graph.
 * When Graph refuses one (403) or answers without the property the rule needs (the
 * limited-information rule), the target cannot be verified.
 */
export const ELIGIBILITY_SIGNALS = [
  'directory-roles',
  'eligible-roles',
  'group-memberships',
  'group-ownerships',
  'administrative-units',
  'portal-app-roles',
  'tap-policy',
] as const;

export type EligibilitySignal = (typeof ELIGIBILITY_SIGNALS)[number];

/** Graph's id for the "default access" app role: an assignment that grants no role at all. */
export const DEFAULT_ACCESS_APP_ROLE_ID = '00000000-0000-0000-0000-000000000000';

/** An app role assignment on the portal's API (`appRoleAssignedTo` of its service principal). */
export interface PortalAppRoleAssignment {
  principalId: string;
  appRoleId: string;
}

/** The tenant TAP policy's targeting, as `getTargetFacts` returns it. */
export interface TapPolicyTargeting {
  includeTargets: readonly { targetType: string; id: string }[];
  excludeTargets: readonly { targetType: string; id: string }[];
}

/** Graph's pseudo-group id for "every user" in authentication-method policy targets. */
export const ALL_USERS_TARGET = 'all_users';

/** The group ids (lower case) a TAP policy names as targets, without the `all_users` pseudo-group. */
export function getTapPolicyGroupIds(tapPolicy: TapPolicyTargeting): string[] {
  const ids = [...tapPolicy.includeTargets, ...tapPolicy.excludeTargets]
    .filter((t) => t.targetType.toLowerCase() !== 'user' && t.id.toLowerCase() !== ALL_USERS_TARGET)
    .map((t) => t.id.toLowerCase());
  return [...new Set(ids)];
}
