import 'server-only';
import { hasRole, type Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError, type ValidationIssue } from '@/lib/core/errors';
import { POLICY_PREVIEW_LIST_LIMIT, type PAIR_OUTCOMES } from '@/lib/contract/policy';
import { getReporteeIneligibleReasons, type IneligibleReason } from '@/lib/broker/eligibility';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { brokerPolicyInputSchema, completePolicyInput, getPolicyTenantViolations, type BrokerPolicy, type BrokerPolicyFields } from '@/lib/broker/policy';
import { readTenantTapPolicy } from '@/lib/broker/read-tenant-tap-policy';
import { getDb, type PrismaClient } from '@/lib/db/client';
import { readOrgEligibility, type OrgPerson } from '@/lib/graph/read-org-eligibility';
import type { EligibilityFacts } from '@/lib/graph/tenant-eligibility-reads';

/**
 * What a draft policy would change for the whole organisation, before it is saved
 * (`POST /api/policy/preview`, `previewPolicy`). Writes nothing.
 */

/** How a manager's request for one person ends: refused, held for an approver, or approved at once. */
export type PairOutcome = (typeof PAIR_OUTCOMES)[number];

export interface PreviewPerson {
  id: string;
  displayName: string;
  userPrincipalName: string;
}

export interface PersonChange extends PreviewPerson {
  reasons: IneligibleReason[];
}

export interface PairChange {
  manager: PreviewPerson;
  person: PreviewPerson;
  depth: number;
  before: PairOutcome;
  after: PairOutcome;
  cause: 'eligibility' | 'depth' | 'approval-rule';
}

export interface PreviewList<T> {
  total: number;
  items: T[];
}

/** What one policy lets the organisation do. */
export interface PolicyReach {
  eligible: number;
  allowedPairs: number;
  approvalPairs: number;
}

export interface PolicyPreview {
  currentVersion: number;
  people: number;
  pairs: number;
  current: PolicyReach;
  draft: PolicyReach;
  gainEligibility: PreviewList<PersonChange>;
  loseEligibility: PreviewList<PersonChange>;
  pairsAllowed: PreviewList<PairChange>;
  pairsRefused: PreviewList<PairChange>;
  pairsNowNeedApproval: PreviewList<PairChange>;
  pairsNoLongerNeedApproval: PreviewList<PairChange>;
  /** Where the draft asks for what the tenant's TAP policy refuses; a save would be refused. */
  tenantViolations: ValidationIssue[];
}

/** A person as judged under one policy: `reasons` empty = eligible. */
export interface JudgedPerson extends PreviewPerson {
  managerId: string | null;
  current: IneligibleReason[];
  draft: IneligibleReason[];
}

function needsApproval(policy: Pick<BrokerPolicyFields, 'requireApproval'>, depth: number): boolean {
  return policy.requireApproval === 'always' || (policy.requireApproval === 'indirect-only' && depth > 1);
}

/** The outcome of a request by a manager `depth` levels above someone who is (or is not) eligible. Pure. */
export function getPairOutcome(policy: Pick<BrokerPolicyFields, 'maxDepth' | 'requireApproval'>, eligible: boolean, depth: number): PairOutcome {
  if (!eligible || (policy.maxDepth !== null && depth > policy.maxDepth)) return 'refused';
  return needsApproval(policy, depth) ? 'approval' : 'auto';
}

const byName = (a: { displayName: string }, b: { displayName: string }) => a.displayName.localeCompare(b.displayName);

/** Keeps every change's count and the first {@link POLICY_PREVIEW_LIST_LIMIT} by name. */
class Bounded<T extends { displayName: string } | { person: PreviewPerson; depth: number }> {
  total = 0;
  private readonly kept: T[] = [];

  add(item: T): void {
    this.total += 1;
    this.kept.push(item);
    // Sorting and trimming in batches keeps memory at a few limits' worth on a large org.
    if (this.kept.length >= POLICY_PREVIEW_LIST_LIMIT * 4) this.trim();
  }

  toList(): PreviewList<T> {
    this.trim();
    return { total: this.total, items: [...this.kept] };
  }

  private trim(): void {
    this.kept.sort((a, b) => ('person' in a && 'person' in b ? byName(a.person, b.person) || a.depth - b.depth : byName(a as PreviewPerson, b as PreviewPerson)));
    this.kept.splice(POLICY_PREVIEW_LIST_LIMIT);
  }
}

/**
 * Compares two policies over an already-judged organisation. Pure; exported for tests. Every
 * (manager, person) pair counts once for each manager above the person (depth 1 = their direct
 * manager); a cycle in the manager data ends the climb.
 */
export function comparePolicies(current: BrokerPolicyFields, draft: BrokerPolicyFields, people: readonly JudgedPerson[]): Omit<PolicyPreview, 'currentVersion' | 'tenantViolations'> {
  const byId = new Map(people.map((p) => [p.id.toLowerCase(), p]));
  const reach = { current: { eligible: 0, allowedPairs: 0, approvalPairs: 0 }, draft: { eligible: 0, allowedPairs: 0, approvalPairs: 0 } };
  const lists = {
    gainEligibility: new Bounded<PersonChange>(),
    loseEligibility: new Bounded<PersonChange>(),
    pairsAllowed: new Bounded<PairChange>(),
    pairsRefused: new Bounded<PairChange>(),
    pairsNowNeedApproval: new Bounded<PairChange>(),
    pairsNoLongerNeedApproval: new Bounded<PairChange>(),
  };
  let pairs = 0;
  for (const person of people) {
    const was = person.current.length === 0;
    const willBe = person.draft.length === 0;
    if (was) reach.current.eligible += 1;
    if (willBe) reach.draft.eligible += 1;
    const view: PreviewPerson = { id: person.id, displayName: person.displayName, userPrincipalName: person.userPrincipalName };
    if (was && !willBe) lists.loseEligibility.add({ ...view, reasons: person.draft });
    if (!was && willBe) lists.gainEligibility.add({ ...view, reasons: person.current });
    const seen = new Set([person.id.toLowerCase()]);
    let manager = person.managerId === null ? undefined : byId.get(person.managerId.toLowerCase());
    for (let depth = 1; manager !== undefined && !seen.has(manager.id.toLowerCase()); depth += 1) {
      seen.add(manager.id.toLowerCase());
      pairs += 1;
      const before = getPairOutcome(current, was, depth);
      const after = getPairOutcome(draft, willBe, depth);
      for (const [outcome, counts] of [[before, reach.current], [after, reach.draft]] as const) {
        if (outcome !== 'refused') counts.allowedPairs += 1;
        if (outcome === 'approval') counts.approvalPairs += 1;
      }
      if (before !== after) {
        const cause = was !== willBe ? 'eligibility' : (before === 'refused') !== (after === 'refused') ? 'depth' : 'approval-rule';
        const managerView = { id: manager.id, displayName: manager.displayName, userPrincipalName: manager.userPrincipalName };
        const change: PairChange = { manager: managerView, person: view, depth, before, after, cause };
        if (before === 'refused') lists.pairsAllowed.add(change);
        else if (after === 'refused') lists.pairsRefused.add(change);
        else if (after === 'approval') lists.pairsNowNeedApproval.add(change);
        else lists.pairsNoLongerNeedApproval.add(change);
      }
      manager = manager.managerId === null ? undefined : byId.get(manager.managerId.toLowerCase());
    }
  }
  return {
    people: people.length,
    pairs,
    ...reach,
    gainEligibility: lists.gainEligibility.toList(),
    loseEligibility: lists.loseEligibility.toList(),
    pairsAllowed: lists.pairsAllowed.toList(),
    pairsRefused: lists.pairsRefused.toList(),
    pairsNowNeedApproval: lists.pairsNowNeedApproval.toList(),
    pairsNoLongerNeedApproval: lists.pairsNoLongerNeedApproval.toList(),
  };
}

// Judged for "a manager": `self` never applies, as nobody is their own report. No object id is empty.
const ANY_MANAGER = '';

function judge(people: readonly OrgPerson[], facts: EligibilityFacts, current: BrokerPolicyFields, draft: BrokerPolicyFields): JudgedPerson[] {
  return people.map((user) => ({
    id: user.id,
    displayName: user.displayName ?? user.userPrincipalName ?? user.id,
    userPrincipalName: user.userPrincipalName ?? '',
    managerId: user.managerId,
    current: getReporteeIneligibleReasons(facts, user, ANY_MANAGER, current),
    draft: getReporteeIneligibleReasons(facts, user, ANY_MANAGER, draft),
  }));
}

/**
 * The effect of a draft policy on the whole organisation, before saving it: who gains or loses
 * eligibility, and which reporting pairs (a manager, someone below them at any depth) the draft
 * newly allows, refuses, holds for an approver or lets through at once — counts, and the first
 * 200 of each by name. One tenant-wide read serves both policies (`readOrgEligibility`: the
 * directory paged with each user's manager, the role, group, unit and app-role lists, the
 * protected groups of either policy), never one Graph call per person; the admin's own place in
 * the org chart plays no part.
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
  const [org, tenant] = await Promise.all([
    readOrgEligibility({ protectedGroupIds: [...new Set([...current.protectedGroupIds, ...draft.protectedGroupIds])], log: ctx.log }),
    readTenantTapPolicy(ctx.log),
  ]);
  ctx.log.debug({ people: org.people.length, graphRequests: org.graphRequests }, 'organisation read for a policy preview');
  return {
    currentVersion: current.version,
    ...comparePolicies(current, draft, judge(org.people, org.facts, current, draft)),
    tenantViolations: getPolicyTenantViolations(draft, tenant),
  };
}
