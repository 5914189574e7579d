import 'server-only';
import type { Actor } from '@/lib/auth/actor';
import { getReporteeIneligibleReasons, type EligibilityRules, type IneligibleReason } from '@/lib/broker/eligibility';
import { BrokerError } from '@/lib/core/errors';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { getDb } from '@/lib/db/client';
import type { PrismaClient } from '@/lib/db/generated/client';
import { getReportees, type ReporteeTree } from '@/lib/graph/get-reportees';
import type { Logger } from '@/lib/log';

/**
 * A manager's reportees, each with the eligibility verdict the request form will apply
 * (`GET /api/reportees`, `listReportees`); the policy preview reuses the same walk.
 */

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
 * The caller's reportee walk (lib/graph `getReportees`), refused with `forbidden` unless Graph
 * knows the caller as an enabled Member user (the token alone is not enough — it may outlive the
 * account's disabling by an hour). `protectedGroupIds` are the groups whose members the walk must
 * read: every list the caller will judge with.
 */
export async function getReporteeTreeOrThrow(
  actor: Actor,
  options: { maxDepth: number | null; protectedGroupIds: readonly string[]; log?: Logger },
): Promise<ReporteeTree> {
  const tree = await getReportees(actor.id, {
    maxDepth: options.maxDepth,
    protectedGroupIds: options.protectedGroupIds,
    ...(options.log ? { log: options.log } : {}),
  });
  if (tree.root === null || tree.root.accountEnabled !== true || tree.root.userType !== 'Member') {
    throw new BrokerError('forbidden', 'Only enabled member accounts can list reportees.');
  }
  return tree;
}

/** The walked people as the list shows them, each judged under `rules`; sorted by depth, then display name. */
export function toReporteeViews(tree: ReporteeTree, actor: Pick<Actor, 'id'>, rules: EligibilityRules): ReporteeView[] {
  const reportees = tree.reportees.map((user): ReporteeView => {
    const ineligibleReasons = getReporteeIneligibleReasons(tree, user, actor.id, rules);
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
  return reportees;
}

/**
 * Everyone below the caller in the org chart, up to the policy's `maxDepth`, read from Graph
 * under the broker's identity, each with the eligibility verdict the request form will apply.
 *
 * Only an enabled Member user in Graph may act as a manager: a guest, a disabled account or an
 * identity Graph does not know gets `forbidden`.
 *
 * Eligibility is the rule the request path applies (docs/eligibility.md), judged from tenant-wide
 * reads that ride in the walk's own rounds, never per person; a read Graph refused makes every
 * reportee it concerns `cannot-verify`. The request path re-checks from Graph; this list is what
 * the UI shows beforehand.
 */
export async function listReportees(
  actor: Actor,
  options: { log?: Logger; policy?: BrokerPolicy; db?: PrismaClient } = {},
): Promise<{ reportees: ReporteeView[] }> {
  // The stored policy's maxDepth bounds the list, as it bounds requests.
  const policy = options.policy ?? (await getCurrentPolicy(options.db ?? (await getDb())));
  const tree = await getReporteeTreeOrThrow(actor, {
    maxDepth: policy.maxDepth,
    protectedGroupIds: policy.protectedGroupIds,
    ...(options.log ? { log: options.log } : {}),
  });
  return { reportees: toReporteeViews(tree, actor, policy) };
}
