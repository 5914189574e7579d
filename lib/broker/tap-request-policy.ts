import 'server-only';
import { hasRole, type Actor } from '@/lib/auth/actor';
import { SYSTEM_ACTOR_ID } from '@/lib/core/request-context';
import { getTargetIneligibleReasons, type EligibilityRules, type IneligibleReason, type TargetEligibilityFacts } from '@/lib/broker/eligibility';
import type { ValidationIssue } from '@/lib/core/errors';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { getJustificationProblem, JUSTIFICATION_MAX_CHARS, JUSTIFICATION_MIN_CHARS, START_MAX_AHEAD_DAYS, START_PAST_TOLERANCE_MINUTES } from '@/lib/contract/tap-request-rules';

/**
 * The request lifecycle's rules: pure functions of what Graph and the database said, no I/O.
 * The use cases read Graph (once) and the database, then ask these; the unit tests cover them
 * exhaustively. Every id comparison is case-insensitive: Entra object ids are GUIDs and Graph
 * does not promise a case.
 */

function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export interface ChainLink {
  id: string;
  /**
   * The manager's account state, when Graph was asked for it (`$select` inside the chain's
   * `$expand`). A requester whose account is disabled, or who is not a Member, may not act even
   * with a token that is still valid (tokens outlive the disabling by up to an hour). Absent
   * (undefined) means "not read" and is not judged here.
   */
  accountEnabled?: boolean | null;
  userType?: string | null;
}

export type CanRequestResult =
  | { ok: true; depth: number; chain: string[] }
  | { ok: false; code: 'not-in-reporting-chain' }
  | { ok: false; code: 'forbidden'; why: 'requester-not-enabled-member' }
  | { ok: false; code: 'target-ineligible'; reasons: IneligibleReason[] };

/**
 * Whether `actor` may obtain a pass for the target described by `facts`.
 *
 * - An unknown target (Graph 404, or an id not shaped like one) is `not-in-reporting-chain`,
 *   exactly like someone outside the chain: the API must not tell who exists.
 * - The actor themselves is `target-ineligible` (`self`) — they know they exist, so nothing leaks.
 * - The actor must appear in the target's management chain (`chain[0]` = direct manager, depth 1)
 *   at a depth ≤ `policy.maxDepth` (null = unlimited). The first occurrence counts, so a cycle in
 *   the manager data cannot lengthen or shorten the path.
 * - The actor's own link in the chain, when Graph reported its account state, must be an enabled
 *   Member (`forbidden` otherwise).
 * - Only then are the eligibility reasons disclosed (`target-ineligible`): an outsider never learns
 *   whether someone outside their chain is disabled, a guest or an admin.
 *
 * On success `chain` is the evidence to store: ids from the target's manager up to the actor.
 */
export function canRequestTapFor(
  actor: Pick<Actor, 'id'>,
  chain: readonly ChainLink[],
  facts: { target: { id: string } | null; ineligibleReasons: readonly IneligibleReason[] },
  policy: Pick<BrokerPolicy, 'maxDepth'>,
): CanRequestResult {
  if (facts.target === null) return { ok: false, code: 'not-in-reporting-chain' };
  if (sameId(facts.target.id, actor.id)) {
    const reasons = facts.ineligibleReasons.includes('self') ? [...facts.ineligibleReasons] : (['self', ...facts.ineligibleReasons] as IneligibleReason[]);
    return { ok: false, code: 'target-ineligible', reasons };
  }
  const index = chain.findIndex((link) => sameId(link.id, actor.id));
  if (index < 0) return { ok: false, code: 'not-in-reporting-chain' };
  const depth = index + 1;
  if (policy.maxDepth !== null && depth > policy.maxDepth) return { ok: false, code: 'not-in-reporting-chain' };
  const link = chain[index];
  if (link !== undefined && ((link.accountEnabled !== undefined && link.accountEnabled !== true) || (link.userType !== undefined && link.userType !== 'Member'))) {
    return { ok: false, code: 'forbidden', why: 'requester-not-enabled-member' };
  }
  if (facts.ineligibleReasons.length > 0) return { ok: false, code: 'target-ineligible', reasons: [...facts.ineligibleReasons] };
  return { ok: true, depth, chain: chain.slice(0, depth).map((link) => link.id) };
}

/**
 * The check every state change repeats against one fresh read of Graph: the target's eligibility
 * under the policy's rule, then `canRequestTapFor` — the reporting line first, so an outsider
 * never learns the reasons.
 */
export function judgeTapRequest(
  requester: Pick<Actor, 'id'>,
  facts: TargetEligibilityFacts & { chain: readonly ChainLink[] },
  policy: EligibilityRules & Pick<BrokerPolicy, 'maxDepth'>,
): CanRequestResult {
  const ineligibleReasons = facts.target === null ? [] : getTargetIneligibleReasons(facts, requester.id, policy);
  return canRequestTapFor(requester, facts.chain, { target: facts.target, ineligibleReasons }, policy);
}

/** Whether a request at `depth` (1 = direct report) needs an approver under `policy`. */
export function requiresApproval(policy: Pick<BrokerPolicy, 'requireApproval'>, depth: number): boolean {
  switch (policy.requireApproval) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'indirect-only':
      return depth > 1;
  }
}

/**
 * Whether an approved request now needs an approver it never had: it was approved automatically
 * (`decidedBy` is the system) and `policy` — the one in force, not the one it was made under —
 * would hold a request at `depth` for approval. An approver's decision stays valid whatever the
 * policy does since; an automatic one is only as good as the policy that allowed it.
 */
export function needsApproverNow(request: { decidedBy: string | null }, policy: Pick<BrokerPolicy, 'requireApproval'>, depth: number): boolean {
  return request.decidedBy === SYSTEM_ACTOR_ID && requiresApproval(policy, depth);
}

/** The tenant TAP policy fields that bound a request (a subset of A's `TenantTapPolicy`). */
export interface TenantTapBounds {
  minimumLifetimeInMinutes: number;
  maximumLifetimeInMinutes: number;
  isUsableOnce: boolean;
}

export interface TapRequestTermsInput {
  lifetimeInMinutes?: number | undefined;
  isUsableOnce?: boolean | undefined;
  /** ISO 8601 with an offset; already shape-checked by the route. */
  startDateTime?: string | undefined;
}

export interface TapRequestTerms {
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
  /** null = the pass starts when it is issued. */
  startDateTime: Date | null;
}

/** How far back a requested start may lie (clock skew between the browser and us). */
export const START_PAST_TOLERANCE_MS = START_PAST_TOLERANCE_MINUTES * 60_000;
/** How far ahead a pass may be requested. */
export const START_MAX_AHEAD_MS = START_MAX_AHEAD_DAYS * 24 * 60 * 60_000;

/** The lifetimes a request may ask for: the broker policy's maximum inside the tenant's bounds. */
export function getLifetimeBounds(
  policy: Pick<BrokerPolicy, 'defaultLifetimeInMinutes' | 'maxLifetimeInMinutes'>,
  tenant: TenantTapBounds,
): { min: number; max: number; default: number } {
  const min = tenant.minimumLifetimeInMinutes;
  const max = Math.min(policy.maxLifetimeInMinutes, tenant.maximumLifetimeInMinutes);
  // A stored broker default can fall outside the tenant's range after the tenant policy changed;
  // clamp it rather than ask Graph for something it would refuse.
  const fallback = Math.min(Math.max(policy.defaultLifetimeInMinutes, min), max);
  return { min, max, default: fallback };
}

/**
 * The terms of a new request: the caller's choices checked against the broker policy and the
 * tenant TAP policy, defaults filled in. Never asks Graph for what the tenant would refuse.
 *
 * - lifetime: default = the broker's default (clamped into range); must lie in
 *   [tenant minimum, min(broker maximum, tenant maximum)].
 * - one-time: forced when the broker policy or the tenant forces it; an explicit `false` then is
 *   refused rather than silently changed, so the requester never gets terms they did not see.
 * - start: ≥ now − 5 min and ≤ now + 30 days. Without one, a new hire whose `employeeHireDate`
 *   lies ahead gets a pass starting on that date (what Lifecycle Workflows does).
 */
export function resolveTapRequestTerms(
  input: TapRequestTermsInput,
  policy: Pick<BrokerPolicy, 'defaultLifetimeInMinutes' | 'maxLifetimeInMinutes' | 'isUsableOnce'>,
  tenant: TenantTapBounds,
  target: { employeeHireDate: string | null },
  now: Date,
): { ok: true; terms: TapRequestTerms } | { ok: false; errors: ValidationIssue[] } {
  const errors: ValidationIssue[] = [];
  const bounds = getLifetimeBounds(policy, tenant);
  if (bounds.min > bounds.max) {
    errors.push({
      path: 'lifetimeInMinutes',
      message: `no lifetime is allowed: the broker's maximum (${policy.maxLifetimeInMinutes}) is below the tenant's minimum (${tenant.minimumLifetimeInMinutes}); an admin must fix the policy`,
    });
  }
  const lifetimeInMinutes = input.lifetimeInMinutes ?? bounds.default;
  if (!Number.isInteger(lifetimeInMinutes) || lifetimeInMinutes < bounds.min || lifetimeInMinutes > bounds.max) {
    if (bounds.min <= bounds.max) {
      errors.push({ path: 'lifetimeInMinutes', message: `must be a whole number of minutes between ${bounds.min} and ${bounds.max}` });
    }
  }

  const forcedOnce = policy.isUsableOnce || tenant.isUsableOnce;
  if (forcedOnce && input.isUsableOnce === false) {
    errors.push({ path: 'isUsableOnce', message: 'must be true: policy allows only one-time passes' });
  }
  const isUsableOnce = forcedOnce ? true : (input.isUsableOnce ?? false);

  const nowMs = now.getTime();
  const earliest = nowMs - START_PAST_TOLERANCE_MS;
  const latest = nowMs + START_MAX_AHEAD_MS;
  let startDateTime: Date | null = null;
  if (input.startDateTime !== undefined) {
    const ms = Date.parse(input.startDateTime);
    if (Number.isNaN(ms)) errors.push({ path: 'startDateTime', message: 'must be an ISO 8601 date-time' });
    else if (ms < earliest) errors.push({ path: 'startDateTime', message: 'must not lie more than 5 minutes in the past' });
    else if (ms > latest) errors.push({ path: 'startDateTime', message: 'must not lie more than 30 days ahead' });
    else startDateTime = new Date(ms);
  } else if (target.employeeHireDate !== null) {
    const hire = Date.parse(target.employeeHireDate);
    if (!Number.isNaN(hire) && hire > nowMs) {
      if (hire > latest) {
        errors.push({ path: 'startDateTime', message: 'the person starts more than 30 days from now; request the pass closer to their start date' });
      } else {
        startDateTime = new Date(hire);
      }
    }
  }

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, terms: { lifetimeInMinutes, isUsableOnce, startDateTime } };
}

/**
 * Whether `approver` may decide `request`: holds the approver capability (admin implies it), and
 * is neither the requester nor the target — nobody approves their own request or a pass for
 * themselves.
 */
export function canApprove(
  approver: Pick<Actor, 'id' | 'roles'>,
  request: { requesterId: string; targetUserId: string },
): { ok: true } | { ok: false; code: 'forbidden'; why: 'not-an-approver' | 'own-request' | 'own-pass' } {
  if (!hasRole(approver, 'approver')) return { ok: false, code: 'forbidden', why: 'not-an-approver' };
  if (sameId(approver.id, request.requesterId)) return { ok: false, code: 'forbidden', why: 'own-request' };
  if (sameId(approver.id, request.targetUserId)) return { ok: false, code: 'forbidden', why: 'own-pass' };
  return { ok: true };
}

/** Whether an approved request may still be issued at `now` (its approval has not expired). */
export function isApprovalValid(request: { status: string; approvalExpiresAt: Date | null }, now: Date): boolean {
  return request.status === 'approved' && request.approvalExpiresAt !== null && request.approvalExpiresAt.getTime() > now.getTime();
}

/** How long a `pending_approval` request waits for a decision before it expires. */
export const PENDING_REQUEST_MAX_AGE_MS = 7 * 24 * 60 * 60_000;

/** When an approval decided at `decidedAt` lapses. */
export function getApprovalExpiry(policy: Pick<BrokerPolicy, 'approvalValidityMinutes'>, decidedAt: Date): Date {
  return new Date(decidedAt.getTime() + policy.approvalValidityMinutes * 60_000);
}

const JUSTIFICATION_MESSAGES = {
  'too-short': `must be at least ${JUSTIFICATION_MIN_CHARS} characters`,
  'too-long': `must be at most ${JUSTIFICATION_MAX_CHARS} characters`,
  'one-word': 'must be at least two words',
} as const;

/** The justification rule (`getJustificationProblem`): the trimmed text, or the validation issue. */
export function checkJustification(raw: string): { ok: true; value: string } | { ok: false; issue: ValidationIssue } {
  const problem = getJustificationProblem(raw);
  if (problem !== null) return { ok: false, issue: { path: 'justification', message: JUSTIFICATION_MESSAGES[problem] } };
  return { ok: true, value: raw.trim() };
}
