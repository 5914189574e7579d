import 'server-only';

/**
 * Target eligibility for a Temporary Access Pass: pure, named reasons, no I/O. Graph is read
 * first (by the caller), then this decides. Every reason that applies is returned, in a fixed
 * order, so the UI can show all of them at once.
 *
 * Issue 3 adds `privileged-role` and the tenant-TAP-policy reasons: they slot in as optional
 * facts on the target and the context — absent means "not checked here", which the issuing path
 * must never accept (it always supplies them).
 */

export const INELIGIBLE_REASONS = [
  'self',
  'account-disabled',
  'guest',
  'privileged-role',
  'tap-policy-disabled',
  'outside-tap-policy',
] as const;

export type IneligibleReason = (typeof INELIGIBLE_REASONS)[number];

/**
 * Directory roles that do not make a user an "admin" for authentication-method purposes
 * (facts §4: the roles an Authentication Administrator may still act on). Any other role,
 * built-in or custom, makes the user privileged.
 */
export const NON_PRIVILEGED_ROLE_TEMPLATE_IDS: ReadonlySet<string> = new Set([
  'c4e39bd9-1100-46d3-8c65-fb160da0071f', // Authentication Administrator
  '88d8e3e3-8f55-4a1e-953a-9b9898b8876b', // Directory Readers
  '95e79109-95c0-4d8e-aee3-d01accf2d47b', // Guest Inviter
  '790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b', // Message Center Reader
  '966707d0-3269-4727-9be2-8c3a10f19b9d', // Password Administrator
  '4a5d8f65-41da-4de4-8968-e035b65339cf', // Reports Reader
  '27460883-1df1-4691-b032-3b79643e5e63', // User Experience Success Manager
  '75934031-6c7e-415a-99d7-48dbd49e875e', // Usage Summary Reports Reader
]);

/** True when any of the role template ids is outside the non-privileged list. */
export function isPrivilegedRoleSet(roleTemplateIds: readonly string[]): boolean {
  return roleTemplateIds.some((id) => !NON_PRIVILEGED_ROLE_TEMPLATE_IDS.has(id.toLowerCase()));
}

export interface EligibilityTarget {
  id: string;
  /** As read from Graph with `$select`; null/absent is treated as disabled (fail closed). */
  accountEnabled: boolean | null;
  /** `Member` or `Guest`; anything else (null, unknown) is treated as not a member. */
  userType: string | null;
  /** Active directory role template ids; undefined when not read. */
  directoryRoleTemplateIds?: readonly string[];
  /**
   * Member of a role-assignable group: only Privileged Authentication Administrators may act on
   * such users in Entra (facts §4), so the broker treats them as privileged; undefined when not read.
   */
  memberOfRoleAssignableGroup?: boolean;
  /** Whether the tenant TAP policy's include/exclude targets cover the user; undefined when not read. */
  inTapPolicyScope?: boolean;
}

export interface EligibilityContext {
  requesterId: string;
  /** The tenant TAP policy's state; undefined when not read. */
  tapPolicyState?: 'enabled' | 'disabled';
}

/** Every reason `target` may not receive a pass requested by `ctx.requesterId`; [] = eligible. */
export function getIneligibleReasons(target: EligibilityTarget, ctx: EligibilityContext): IneligibleReason[] {
  const reasons: IneligibleReason[] = [];
  if (target.id.toLowerCase() === ctx.requesterId.toLowerCase()) reasons.push('self');
  if (target.accountEnabled !== true) reasons.push('account-disabled');
  // Fail closed: only an explicit Member is a member. Graph returns null userType for some
  // legacy accounts; those are treated like guests until an admin fixes the attribute.
  if (target.userType !== 'Member') reasons.push('guest');
  if (
    (target.directoryRoleTemplateIds !== undefined && isPrivilegedRoleSet(target.directoryRoleTemplateIds)) ||
    target.memberOfRoleAssignableGroup === true
  ) {
    reasons.push('privileged-role');
  }
  if (ctx.tapPolicyState === 'disabled') reasons.push('tap-policy-disabled');
  if (target.inTapPolicyScope === false) reasons.push('outside-tap-policy');
  return reasons;
}

/** The tenant TAP policy's targeting, as `getTargetFacts` returns it (structural: keeps this file free of I/O imports). */
export interface TapPolicyTargeting {
  includeTargets: readonly { targetType: string; id: string }[];
  excludeTargets: readonly { targetType: string; id: string }[];
}

/** Graph's pseudo-group id for "every user" in authentication-method policy targets. */
export const ALL_USERS_TARGET = 'all_users';

/**
 * Whether the tenant TAP policy's targets cover a user with these (transitive) group ids:
 * included through `all_users` or a group they are in, and not excluded — exclusions win, as
 * in Entra. Ids compare case-insensitively. `user` targets (the enum allows them) match
 * `userId` when given. A target of an unknown type never includes anyone and, fail closed,
 * excludes the user when its id matches any of theirs.
 */
export function isInTapPolicyScope(groupIds: readonly string[], tapPolicy: TapPolicyTargeting, userId?: string): boolean {
  const groups = new Set(groupIds.map((id) => id.toLowerCase()));
  const user = userId?.toLowerCase();
  const matches = (target: { targetType: string; id: string }, excluding: boolean): boolean => {
    const id = target.id.toLowerCase();
    const type = target.targetType.toLowerCase();
    if (type === 'group') return id === ALL_USERS_TARGET || groups.has(id);
    if (type === 'user') return user !== undefined && id === user;
    return excluding && (id === ALL_USERS_TARGET || groups.has(id) || id === user);
  };
  if (tapPolicy.excludeTargets.some((t) => matches(t, true))) return false;
  return tapPolicy.includeTargets.some((t) => matches(t, false));
}

/** What `getTargetIneligibleReasons` reads from `TargetFacts` (structurally compatible with it). */
export interface TargetEligibilityFacts {
  target: { id: string; accountEnabled: boolean | null; userType: string | null } | null;
  directoryRoleTemplateIds: readonly string[];
  groupIds: readonly string[];
  /** Role-assignable groups the target is in: admins for authentication methods (facts §4). */
  roleAssignableGroupIds?: readonly string[];
  tapPolicy: TapPolicyTargeting & { state: 'enabled' | 'disabled' };
}

/**
 * Every reason the target of `facts` may not receive a pass requested by `requesterId`, with all
 * facts supplied (roles, TAP policy state and scope) — the issuing path's check. A `null` target
 * (Graph does not know the id) has no eligibility to judge: callers answer
 * `not-in-reporting-chain` before asking; here it throws rather than return "eligible".
 */
export function getTargetIneligibleReasons(facts: TargetEligibilityFacts, requesterId: string): IneligibleReason[] {
  if (facts.target === null) throw new TypeError('getTargetIneligibleReasons needs a target that Graph knows');
  return getIneligibleReasons(
    {
      id: facts.target.id,
      accountEnabled: facts.target.accountEnabled,
      userType: facts.target.userType,
      directoryRoleTemplateIds: facts.directoryRoleTemplateIds,
      memberOfRoleAssignableGroup: (facts.roleAssignableGroupIds?.length ?? 0) > 0,
      inTapPolicyScope: isInTapPolicyScope(facts.groupIds, facts.tapPolicy, facts.target.id),
    },
    { requesterId, tapPolicyState: facts.tapPolicy.state },
  );
}
