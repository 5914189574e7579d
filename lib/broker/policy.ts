import 'server-only';
import { z } from 'zod';
import type { ValidationIssue } from '@/lib/broker/errors';
import type { PolicyVersion } from '@/lib/db/generated/client';
import type { TenantTapPolicy } from '@/lib/graph/get-target-facts';

/**
 * The broker policy (CONTRACT.md §2), stored and versioned in `policy_version`: every change is a
 * new row, the current policy is the highest version (`getCurrentPolicy`), and migration 0002
 * stores the defaults below as version 1.
 *
 * Lifetimes are bounded by what Graph accepts for a Temporary Access Pass at all (10 minutes to 30
 * days); the tenant's own TAP policy narrows them further (`getPolicyTenantViolations`).
 */
export const MIN_TAP_LIFETIME_MINUTES = 10;
export const MAX_TAP_LIFETIME_MINUTES = 43_200;

const policyFields = {
  maxDepth: z.number().int().min(1).max(100).nullable(),
  requireApproval: z.enum(['always', 'never', 'indirect-only']),
  defaultLifetimeInMinutes: z.number().int().min(MIN_TAP_LIFETIME_MINUTES).max(MAX_TAP_LIFETIME_MINUTES),
  maxLifetimeInMinutes: z.number().int().min(MIN_TAP_LIFETIME_MINUTES).max(MAX_TAP_LIFETIME_MINUTES),
  isUsableOnce: z.boolean(),
  /** How long an approval stays usable for issuing (at most 30 days). */
  approvalValidityMinutes: z.number().int().min(1).max(43_200),
  /** Rolling 24 hours per requester; 0 stops issuance without changing anything else. */
  maxIssuancesPerManagerPerDay: z.number().int().min(0).max(10_000),
};

export const brokerPolicySchema = z.object({ ...policyFields, version: z.number().int().min(0) });

export type BrokerPolicy = z.infer<typeof brokerPolicySchema>;
export type BrokerPolicyFields = Omit<BrokerPolicy, 'version'>;

/**
 * The body of `PUT /api/policy`: the whole policy. `version` is read-only and ignored, and so is
 * the `tenantTapPolicy` that `GET /api/policy` adds, so a client can send back what it read with
 * its edits; any other unknown key is refused (a misspelt field must not be silently dropped).
 */
export const brokerPolicyInputSchema = z.strictObject({
  ...policyFields,
  version: z.unknown().optional(),
  tenantTapPolicy: z.unknown().optional(),
});

export const POLICY_FIELDS = Object.keys(policyFields) as (keyof BrokerPolicyFields)[];

const DEFAULT_POLICY: BrokerPolicy = Object.freeze({
  maxDepth: null,
  requireApproval: 'indirect-only',
  defaultLifetimeInMinutes: 60,
  maxLifetimeInMinutes: 480,
  isUsableOnce: true,
  approvalValidityMinutes: 24 * 60,
  maxIssuancesPerManagerPerDay: 20,
  version: 1,
});

/** The built-in policy (what migration 0002 stores as version 1). Prefer `getCurrentPolicy(db)`. */
export function getDefaultPolicy(): BrokerPolicy {
  return { ...DEFAULT_POLICY };
}

/** A `policy_version` row as the API's policy object. */
export function fromStoredPolicy(row: PolicyVersion): BrokerPolicy {
  return {
    maxDepth: row.maxDepth,
    requireApproval: row.requireApproval === 'indirect_only' ? 'indirect-only' : row.requireApproval,
    defaultLifetimeInMinutes: row.defaultLifetimeInMinutes,
    maxLifetimeInMinutes: row.maxLifetimeInMinutes,
    isUsableOnce: row.isUsableOnce,
    approvalValidityMinutes: row.approvalValidityMinutes,
    maxIssuancesPerManagerPerDay: row.maxIssuancesPerManagerPerDay,
    version: row.version,
  };
}

/** The column values of a new `policy_version` row (without version, created_at, created_by). */
export function toStoredPolicyFields(policy: BrokerPolicyFields): Omit<PolicyVersion, 'version' | 'createdAt' | 'createdBy'> {
  return {
    maxDepth: policy.maxDepth,
    requireApproval: policy.requireApproval === 'indirect-only' ? 'indirect_only' : policy.requireApproval,
    defaultLifetimeInMinutes: policy.defaultLifetimeInMinutes,
    maxLifetimeInMinutes: policy.maxLifetimeInMinutes,
    isUsableOnce: policy.isUsableOnce,
    approvalValidityMinutes: policy.approvalValidityMinutes,
    maxIssuancesPerManagerPerDay: policy.maxIssuancesPerManagerPerDay,
  };
}

/** The fields whose values differ between two policies, in declaration order. */
export function getChangedPolicyFields(before: BrokerPolicyFields | null, after: BrokerPolicyFields): (keyof BrokerPolicyFields)[] {
  if (before === null) return [...POLICY_FIELDS];
  return POLICY_FIELDS.filter((field) => before[field] !== after[field]);
}

/**
 * Where a policy asks for what the tenant's TAP policy would refuse (the broker never asks Graph
 * for that): lifetimes outside the tenant's [minimum, maximum], a default above the maximum, and
 * multi-use passes when the tenant forces one-time use. Empty when the policy fits.
 */
export function getPolicyTenantViolations(policy: BrokerPolicyFields, tenant: TenantTapPolicy): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const range = `${tenant.minimumLifetimeInMinutes}–${tenant.maximumLifetimeInMinutes}`;
  if (policy.defaultLifetimeInMinutes > policy.maxLifetimeInMinutes) {
    issues.push({ path: 'defaultLifetimeInMinutes', message: 'must not exceed maxLifetimeInMinutes' });
  }
  for (const field of ['defaultLifetimeInMinutes', 'maxLifetimeInMinutes'] as const) {
    const value = policy[field];
    if (value < tenant.minimumLifetimeInMinutes || value > tenant.maximumLifetimeInMinutes) {
      issues.push({ path: field, message: `must be within the tenant's TAP policy range of ${range} minutes` });
    }
  }
  if (tenant.isUsableOnce && !policy.isUsableOnce) {
    issues.push({ path: 'isUsableOnce', message: "must be true: the tenant's TAP policy only allows one-time passes" });
  }
  return issues;
}
