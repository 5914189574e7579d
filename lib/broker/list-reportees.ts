import 'server-only';
import type { Actor } from '@/lib/auth/actor';
import { getIneligibleReasons, isInTapPolicyScope, type IneligibleReason } from '@/lib/broker/eligibility';
import { BrokerError } from '@/lib/broker/errors';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { getDb } from '@/lib/db/client';
import type { PrismaClient } from '@/lib/db/generated/client';
import { getReportees } from '@/lib/graph/get-reportees';
import type { Logger } from '@/lib/log';

export interface ReporteeView {
  id: string;
  displayName: string;
  userPrincipalName: string;
  jobTitle: string | null;
  /** Beyond the contract's minimum: shown in the list. */
  department: string | null;
  /** Beyond the contract's minimum: lets new hires stand out. */
  employeeHireDate: string | null;
  /** Beyond the contract's minimum: the reportee's direct manager. */
  managerId: string;
  /** 1 = direct report. */
  depth: number;
  eligible: boolean;
  ineligibleReasons: IneligibleReason[];
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/**
 * Everyone below the caller in the org chart, up to the policy's `maxDepth`, read from Graph
 * under the broker's identity, each with the eligibility verdict the request form will apply.
 *
 * Only an enabled Member user in Graph may act as a manager: a guest, a disabled account or an
 * identity Graph does not know gets `forbidden` (the token alone is not enough — it may outlive
 * the account's disabling by an hour).
 *
 * Eligibility covers every reason the request path checks — disabled, guest, privileged role
 * (direct or through a role-holding group), TAP policy disabled or not targeting the user — read
 * in the walk's own rounds, never per person. The request path re-checks from Graph; this list
 * is what the UI shows beforehand. Where the walk could not read a group's members (the app
 * lacks GroupMember.Read.All), the reasons that depend on that group are left out here rather
 * than guessed; the request path, which reads the target's own memberships, still applies them.
 *
 * Sorted by depth, then display name.
 */
export async function listReportees(
  actor: Actor,
  options: { log?: Logger; policy?: BrokerPolicy; db?: PrismaClient } = {},
): Promise<{ reportees: ReporteeView[] }> {
  // The stored policy's maxDepth bounds the list, as it bounds requests.
  const policy = options.policy ?? (await getCurrentPolicy(options.db ?? (await getDb())));
  const tree = await getReportees(actor.id, { maxDepth: policy.maxDepth, ...(options.log ? { log: options.log } : {}) });
  if (tree.root === null || tree.root.accountEnabled !== true || tree.root.userType !== 'Member') {
    throw new BrokerError('forbidden', 'Only enabled member accounts can list reportees.');
  }
  const { tapPolicy } = tree;
  const unreadable = new Set(tree.unreadableGroupIds);
  const policyGroupUnreadable =
    tapPolicy !== null && [...tapPolicy.includeTargets, ...tapPolicy.excludeTargets].some((t) => unreadable.has(t.id.toLowerCase()));
  const reportees = tree.reportees.map((user): ReporteeView => {
    const key = user.id.toLowerCase();
    const groupIds = [...tree.policyGroupMembers].filter(([, members]) => members.has(key)).map(([groupId]) => groupId);
    const ineligibleReasons = getIneligibleReasons(
      {
        ...user,
        directoryRoleTemplateIds: tree.roleTemplateIdsByUser.get(key) ?? [],
        ...(tapPolicy === null || policyGroupUnreadable ? {} : { inTapPolicyScope: isInTapPolicyScope(groupIds, tapPolicy, user.id) }),
      },
      { requesterId: actor.id, ...(tapPolicy === null ? {} : { tapPolicyState: tapPolicy.state }) },
    );
    return {
      id: user.id,
      displayName: user.displayName ?? user.userPrincipalName ?? user.id,
      userPrincipalName: user.userPrincipalName ?? '',
      jobTitle: user.jobTitle,
      department: user.department,
      employeeHireDate: user.employeeHireDate,
      managerId: user.managerId,
      depth: user.depth,
      eligible: ineligibleReasons.length === 0,
      ineligibleReasons,
    };
  });
  reportees.sort((a, b) => a.depth - b.depth || collator.compare(a.displayName, b.displayName) || a.id.localeCompare(b.id));
  return { reportees };
}
