import 'server-only';
import {
  ALL_USERS_TARGET,
  DEFAULT_ACCESS_APP_ROLE_ID,
  getTapPolicyGroupIds,
  type EligibilitySignal,
  type PortalAppRoleAssignment,
  type TapPolicyTargeting,
} from '@/lib/graph/eligibility-signals';
import { INELIGIBLE_REASONS, type IneligibleReason } from '@/lib/contract/eligibility';

/**
 * Target eligibility for a Temporary Access Pass: pure, named reasons, no I/O. Graph is read
 * first (by the caller), then this decides. Every reason that applies is returned, in a fixed
 * order, so the UI can show all of them at once.
 *
 * The rule (docs/eligibility.md): a manager may get a pass only for someone whose account gives no
 * more power than a plain member's — stricter than Entra's own helpdesk rule on purpose, because
 * Authentication and Password Administrators act on other people's credentials. What the broker
 * could not see is `cannot-verify`, never "no role".
 */

export { INELIGIBLE_REASONS, type IneligibleReason };

/** The parts of the broker policy the rule reads (structurally a `BrokerPolicy`). */
export interface EligibilityRules {
  /** Lower-case template ids of the read-only roles a target may hold. */
  allowedDirectoryRoleTemplateIds: readonly string[];
  /** Lower-case object ids of groups whose (transitive) members never get a pass. */
  protectedGroupIds: readonly string[];
}

/**
 * True when any of the role definition ids is off the allow-list. Built-in roles are named by
 * their template id, custom roles by their own id, which no allow-list holds: a custom role is
 * always privileged.
 */
export function isPrivilegedRoleSet(roleDefinitionIds: readonly string[], allowedTemplateIds: readonly string[]): boolean {
  const allowed = new Set(allowedTemplateIds.map((id) => id.toLowerCase()));
  return roleDefinitionIds.some((id) => !allowed.has(id.toLowerCase()));
}

export interface EligibilityTarget {
  id: string;
  /** As read from Graph with `$select`; null/absent is treated as disabled (fail closed). */
  accountEnabled: boolean | null;
  /** `Member` or `Guest`; anything else (null, unknown) is treated as not a member. */
  userType: string | null;
  /**
   * Every directory role the target holds or may activate — built-in (template id) or custom
   * (definition id), active or PIM-eligible, at any scope, directly or through a group.
   */
  roleDefinitionIds: readonly string[];
  /** Member or owner of a role-assignable group: Entra treats both as admins. */
  inRoleAssignableGroup: boolean;
  /** Holds an app role of the portal's own API (other than default access), directly or through a group. */
  holdsPortalRole: boolean;
  /** Member of a restricted-management administrative unit, or (transitively) of a protected group. */
  isProtected: boolean;
  /** Whether the tenant TAP policy's targets cover the user; null when that could not be read. */
  inTapPolicyScope: boolean | null;
  /** The signals Graph would not show the broker for this target. */
  unverifiable: readonly EligibilitySignal[];
}

export interface EligibilityContext {
  requesterId: string;
  allowedDirectoryRoleTemplateIds: readonly string[];
  /** The tenant TAP policy's state; null when the broker may not read the policy. */
  tapPolicyState: 'enabled' | 'disabled' | null;
}

/**
 * The reasons the account's own state gives (`account-disabled`, `guest`), in the rule's order —
 * all the org-chart mirror can judge; roles, groups and the TAP policy need Graph.
 */
export function getAccountIneligibleReasons(account: { accountEnabled: boolean | null; userType: string | null }): IneligibleReason[] {
  const reasons: IneligibleReason[] = [];
  if (account.accountEnabled !== true) reasons.push('account-disabled');
  // Fail closed: only an explicit Member is a member. Graph returns null userType for some
  // legacy accounts; those are treated like guests until an admin fixes the attribute.
  if (account.userType !== 'Member') reasons.push('guest');
  return reasons;
}

/** Every reason `target` may not receive a pass requested by `ctx.requesterId`; [] = eligible. */
export function getIneligibleReasons(target: EligibilityTarget, ctx: EligibilityContext): IneligibleReason[] {
  const reasons: IneligibleReason[] = [];
  if (target.id.toLowerCase() === ctx.requesterId.toLowerCase()) reasons.push('self');
  reasons.push(...getAccountIneligibleReasons(target));
  if (isPrivilegedRoleSet(target.roleDefinitionIds, ctx.allowedDirectoryRoleTemplateIds) || target.inRoleAssignableGroup) {
    reasons.push('privileged-role');
  }
  if (target.holdsPortalRole) reasons.push('portal-role');
  if (target.isProtected) reasons.push('protected-account');
  if (ctx.tapPolicyState === 'disabled') reasons.push('tap-policy-disabled');
  if (target.inTapPolicyScope === false) reasons.push('outside-tap-policy');
  // An unknown answer is never read as "no": not seeing a signal refuses like holding it would.
  if (target.unverifiable.length > 0 || ctx.tapPolicyState === null || target.inTapPolicyScope === null) reasons.push('cannot-verify');
  return reasons;
}

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

/** Whether any of `assignments` gives a real app role to one of `principalIds` (the user and their groups). */
export function holdsPortalAppRole(principalIds: readonly string[], assignments: readonly PortalAppRoleAssignment[]): boolean {
  const principals = new Set(principalIds.map((id) => id.toLowerCase()));
  return assignments.some((a) => a.appRoleId.toLowerCase() !== DEFAULT_ACCESS_APP_ROLE_ID && principals.has(a.principalId.toLowerCase()));
}

/** What `getTargetIneligibleReasons` reads from `TargetFacts` (structurally compatible with it). */
export interface TargetEligibilityFacts {
  target: { id: string; accountEnabled: boolean | null; userType: string | null } | null;
  /** Role definition ids: active and PIM-eligible, any scope, direct and (as directoryRole members) through groups. */
  roleDefinitionIds: readonly string[];
  /** Transitive group memberships. */
  groupIds: readonly string[];
  /** Role-assignable groups the target is a (transitive) member of. */
  roleAssignableGroupIds: readonly string[];
  /** Role-assignable groups the target owns. */
  ownedRoleAssignableGroupIds: readonly string[];
  /** Restricted-management administrative units the target is a member of. */
  restrictedAdministrativeUnitIds: readonly string[];
  /** The portal API's app role assignments whose principal is the target or one of its groups. */
  portalAppRoleAssignments: readonly PortalAppRoleAssignment[];
  /** null when the broker may not read the tenant TAP policy. */
  tapPolicy: (TapPolicyTargeting & { state: 'enabled' | 'disabled' }) | null;
  unverifiable: readonly EligibilitySignal[];
}

/**
 * Every reason the target of `facts` may not receive a pass requested by `requesterId` under the
 * policy's `rules` — the check of create, approve, issue and the approver's queue. A `null`
 * target (Graph does not know the id) has no eligibility to judge: callers answer
 * `not-in-reporting-chain` before asking; here it throws rather than return "eligible".
 */
export function getTargetIneligibleReasons(facts: TargetEligibilityFacts, requesterId: string, rules: EligibilityRules): IneligibleReason[] {
  if (facts.target === null) throw new TypeError('getTargetIneligibleReasons needs a target that Graph knows');
  const protectedGroups = new Set(rules.protectedGroupIds.map((id) => id.toLowerCase()));
  const unverifiable = new Set(facts.unverifiable);
  return getIneligibleReasons(
    {
      id: facts.target.id,
      accountEnabled: facts.target.accountEnabled,
      userType: facts.target.userType,
      roleDefinitionIds: facts.roleDefinitionIds,
      inRoleAssignableGroup: facts.roleAssignableGroupIds.length > 0 || facts.ownedRoleAssignableGroupIds.length > 0,
      holdsPortalRole: holdsPortalAppRole([facts.target.id, ...facts.groupIds], facts.portalAppRoleAssignments),
      isProtected: facts.restrictedAdministrativeUnitIds.length > 0 || facts.groupIds.some((id) => protectedGroups.has(id.toLowerCase())),
      // Without the groups, a policy that targets groups cannot be applied; `all_users` still can.
      inTapPolicyScope:
        facts.tapPolicy === null
          ? null
          : unverifiable.has('group-memberships') && getTapPolicyGroupIds(facts.tapPolicy).length > 0
            ? null
            : isInTapPolicyScope(facts.groupIds, facts.tapPolicy, facts.target.id),
      unverifiable: [...unverifiable],
    },
    { requesterId, allowedDirectoryRoleTemplateIds: rules.allowedDirectoryRoleTemplateIds, tapPolicyState: facts.tapPolicy?.state ?? null },
  );
}

/** What `getReporteeIneligibleReasons` reads from the reportee walk (structurally the graph layer's `ReporteeTree`). */
export interface ReporteeEligibilityFacts {
  /** null when the broker may not read the tenant TAP policy. */
  tapPolicy: (TapPolicyTargeting & { state: 'enabled' | 'disabled' }) | null;
  /** Role definition ids per user id (lower case): active and eligible, direct and through groups. */
  roleDefinitionIdsByUser: ReadonlyMap<string, readonly string[]>;
  /** Members and owners of role-assignable groups (lower-case user ids). */
  roleAssignableGroupUsers: ReadonlySet<string>;
  /** Holders of a portal app role, directly or through a group (lower-case user ids). */
  portalRoleUsers: ReadonlySet<string>;
  /** Members of restricted-management administrative units (lower-case user ids). */
  restrictedAdministrativeUnitUsers: ReadonlySet<string>;
  /** Members of administrative units whose restriction Graph did not show (lower-case user ids). */
  unverifiableAdministrativeUnitUsers: ReadonlySet<string>;
  /** Transitive members (lower-case user ids) per group read for the policy: protected groups and TAP policy targets. */
  groupMembers: ReadonlyMap<string, ReadonlySet<string>>;
  /** Tenant-wide signals Graph would not show: every reportee is affected. */
  unverifiable: readonly EligibilitySignal[];
}

/**
 * The reasons for one person of the reportee walk, under `rules` — the same rule as
 * {@link getTargetIneligibleReasons}, judged from tenant-wide reads instead of the target's own.
 * The policy's protected groups must have been read by the walk (`groupMembers`); one that was
 * not counts as unverifiable rather than as "not a member".
 */
export function getReporteeIneligibleReasons(
  facts: ReporteeEligibilityFacts,
  user: { id: string; accountEnabled: boolean | null; userType: string | null },
  requesterId: string,
  rules: EligibilityRules,
): IneligibleReason[] {
  const key = user.id.toLowerCase();
  const unverifiable = new Set<EligibilitySignal>(facts.unverifiable);
  if (facts.unverifiableAdministrativeUnitUsers.has(key)) unverifiable.add('administrative-units');
  const inGroup = (groupId: string): boolean | null => facts.groupMembers.get(groupId.toLowerCase())?.has(key) ?? null;
  const protectedMemberships = rules.protectedGroupIds.map(inGroup);
  if (protectedMemberships.includes(null)) unverifiable.add('group-memberships');
  let inTapPolicyScope: boolean | null = null;
  if (facts.tapPolicy !== null) {
    const policyGroups = getTapPolicyGroupIds(facts.tapPolicy);
    const memberships = policyGroups.map(inGroup);
    if (!memberships.includes(null)) {
      inTapPolicyScope = isInTapPolicyScope(
        policyGroups.filter((_, index) => memberships[index] === true),
        facts.tapPolicy,
        user.id,
      );
    }
  }
  return getIneligibleReasons(
    {
      id: user.id,
      accountEnabled: user.accountEnabled,
      userType: user.userType,
      roleDefinitionIds: facts.roleDefinitionIdsByUser.get(key) ?? [],
      inRoleAssignableGroup: facts.roleAssignableGroupUsers.has(key),
      holdsPortalRole: facts.portalRoleUsers.has(key),
      isProtected: facts.restrictedAdministrativeUnitUsers.has(key) || protectedMemberships.includes(true),
      inTapPolicyScope,
      unverifiable: [...unverifiable],
    },
    { requesterId, allowedDirectoryRoleTemplateIds: rules.allowedDirectoryRoleTemplateIds, tapPolicyState: facts.tapPolicy?.state ?? null },
  );
}
