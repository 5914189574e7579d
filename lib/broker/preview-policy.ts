import 'server-only';
import { hasRole, type Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError, type ValidationIssue } from '@/lib/core/errors';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { getReporteeTreeOrThrow, toReporteeViews, type ReporteeView } from '@/lib/broker/list-reportees';
import { brokerPolicyInputSchema, completePolicyInput, getPolicyTenantViolations, type BrokerPolicy, type BrokerPolicyFields } from '@/lib/broker/policy';
import { readTenantTapPolicy } from '@/lib/broker/read-tenant-tap-policy';
import { getDb, type PrismaClient } from '@/lib/db/client';

/**
 * What a draft policy would change for the admin's own org, before it is saved
 * (`POST /api/policy/preview`, `previewPolicy`). Writes nothing.
 */

/** What one policy lets the admin do for the people under them. */
export interface PolicyReach {
  /** People within the policy's depth. */
  inReach: number;
  /** Of those, eligible for a pass. */
  eligible: number;
  /** Of the eligible, requests that would wait for an approver. */
  needApproval: number;
}

export interface PolicyPreview {
  currentVersion: number;
  /** Everyone under the admin, at any depth. */
  totalReportees: number;
  current: PolicyReach;
  draft: PolicyReach;
  /** Eligible now, not under the draft. */
  loseEligibility: number;
  /** Not eligible now, eligible under the draft. */
  gainEligibility: number;
  /** Where the draft asks for what the tenant's TAP policy refuses; a save would be refused. */
  tenantViolations: ValidationIssue[];
}

function needsApproval(policy: BrokerPolicyFields, depth: number): boolean {
  return policy.requireApproval === 'always' || (policy.requireApproval === 'indirect-only' && depth > 1);
}

function isInReachAndEligible(policy: BrokerPolicyFields, person: ReporteeView): boolean {
  return person.eligible && (policy.maxDepth === null || person.depth <= policy.maxDepth);
}

/** Counts for one policy over an already-walked org. Pure; exported for tests. */
export function getPolicyReach(policy: BrokerPolicyFields, people: readonly ReporteeView[]): PolicyReach {
  const inReach = people.filter((p) => policy.maxDepth === null || p.depth <= policy.maxDepth);
  const eligible = inReach.filter((p) => p.eligible);
  return { inReach: inReach.length, eligible: eligible.length, needApproval: eligible.filter((p) => needsApproval(policy, p.depth)).length };
}

/**
 * The effect of a draft policy on the admin's own org, before saving it ("with maxDepth 1, 14 of
 * the 31 people under you lose eligibility"): one reportee walk at unlimited depth (the same
 * batched walk as `GET /api/reportees`, no per-person calls, reading the protected groups of both
 * policies), then everyone judged and counted under each — the depth, the role allow-list and
 * the protected groups all change who is eligible.
 * Writes nothing and audits nothing. Admins only; the draft is validated like `PUT /api/policy`
 * (zod → 400), while the tenant's bounds are reported in `tenantViolations` rather than refused,
 * so the console can show them beside the numbers.
 *
 * @throws BrokerError forbidden, validation-failed, upstream-unavailable.
 */
export async function previewPolicy(
  actor: Actor,
  input: unknown,
  ctx: Pick<RequestContext, 'log'>,
  options: { db?: PrismaClient } = {},
): Promise<PolicyPreview> {
  if (!hasRole(actor, 'admin')) throw new BrokerError('forbidden', 'Only an admin may preview a policy change.');
  const parsed = brokerPolicyInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new BrokerError('validation-failed', 'The policy is not valid.', {
      errors: parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    });
  }
  const db = options.db ?? (await getDb());
  const current: BrokerPolicy = await getCurrentPolicy(db);
  const draft = completePolicyInput(parsed.data, current);
  // One walk serves both policies: it reads the protected groups of either.
  const [tree, tenant] = await Promise.all([
    getReporteeTreeOrThrow(actor, {
      maxDepth: null,
      protectedGroupIds: [...new Set([...current.protectedGroupIds, ...draft.protectedGroupIds])],
      log: ctx.log,
    }),
    readTenantTapPolicy(ctx.log),
  ]);
  // Eligibility itself depends on the policy (its role allow-list and protected groups).
  const underCurrent = toReporteeViews(tree, actor, current);
  const eligibleUnderDraft = new Map(toReporteeViews(tree, actor, draft).map((p) => [p.id, p]));
  const underDraft = underCurrent.map((p) => eligibleUnderDraft.get(p.id) ?? p);
  const was = (index: number) => isInReachAndEligible(current, underCurrent[index] as ReporteeView);
  const willBe = (index: number) => isInReachAndEligible(draft, underDraft[index] as ReporteeView);
  return {
    currentVersion: current.version,
    totalReportees: underCurrent.length,
    current: getPolicyReach(current, underCurrent),
    draft: getPolicyReach(draft, underDraft),
    loseEligibility: underCurrent.filter((_, i) => was(i) && !willBe(i)).length,
    gainEligibility: underCurrent.filter((_, i) => !was(i) && willBe(i)).length,
    tenantViolations: getPolicyTenantViolations(draft, tenant),
  };
}
