import 'server-only';
import { z } from 'zod';
import { omit, required } from 'zod/mini';
import {
  AUTH_CONTEXT_ID_PATTERN,
  DEFAULT_ALLOWED_ROLE_TEMPLATE_IDS,
  getDisallowedRoleMessage,
  MAX_TAP_LIFETIME_MINUTES,
  MIN_TAP_LIFETIME_MINUTES,
  POLICY_FIELD_NAMES,
  policyInputSchema,
  READ_ONLY_DIRECTORY_ROLES,
  STEP_UP_OPTIONAL_ACTIONS,
  type StepUpOptionalAction,
} from '@/lib/contract/policy';
import type { ValidationIssue } from '@/lib/core/errors';
import type { PolicyVersion } from '@/lib/db/generated/client';
import type { TenantTapPolicy } from '@/lib/graph/get-target-facts';

/**
 * The broker policy (docs/api-contract.md#policy-object), stored and versioned in
 * `policy_version`: every change is a new row, the current policy is the highest version
 * (`getCurrentPolicy`), and migration 0002 stores the defaults as version 1. Its vocabulary and
 * the rules a body is held to are the contract's (lib/contract/policy.ts); the tenant's own TAP
 * policy narrows them further (`getPolicyTenantViolations`).
 */
export {
  AUTH_CONTEXT_ID_PATTERN,
  DEFAULT_ALLOWED_ROLE_TEMPLATE_IDS,
  getDisallowedRoleMessage,
  MAX_TAP_LIFETIME_MINUTES,
  MIN_TAP_LIFETIME_MINUTES,
  READ_ONLY_DIRECTORY_ROLES,
  STEP_UP_OPTIONAL_ACTIONS,
  type StepUpOptionalAction,
};

/**
 * The body of `PUT /api/policy`: the whole policy, as the contract takes it. Absent lists and
 * step-up fields mean "keep what is in force" (see `completePolicyInput`).
 */
export const brokerPolicyInputSchema = policyInputSchema;

/** A whole stored policy: every field of the input required, plus its version. */
export const brokerPolicySchema = z.object({
  ...required(omit(policyInputSchema, { version: true, tenantTapPolicy: true, changeReason: true })).shape,
  version: z.number().int().min(0),
});

export type BrokerPolicy = z.infer<typeof brokerPolicySchema>;
export type BrokerPolicyFields = Omit<BrokerPolicy, 'version'>;

export type BrokerPolicyInput = z.infer<typeof brokerPolicyInputSchema>;

/**
 * The whole policy a `PUT /api/policy` body asks for: the pending cap, lists and step-up fields it
 * leaves out stay as in `current` (an explicit `stepUpAuthContextId: null` turns step-up off).
 */
export function completePolicyInput(input: BrokerPolicyInput, current: BrokerPolicyFields): BrokerPolicyFields {
  const {
    version: _version,
    tenantTapPolicy: _tenantTapPolicy,
    changeReason: _changeReason,
    maxPendingRequestsPerRequester,
    allowedDirectoryRoleTemplateIds,
    protectedGroupIds,
    stepUpAuthContextId,
    stepUpActions,
    ...rest
  } = input;
  return {
    ...rest,
    maxPendingRequestsPerRequester: maxPendingRequestsPerRequester ?? current.maxPendingRequestsPerRequester,
    allowedDirectoryRoleTemplateIds: allowedDirectoryRoleTemplateIds ?? [...current.allowedDirectoryRoleTemplateIds],
    protectedGroupIds: protectedGroupIds ?? [...current.protectedGroupIds],
    stepUpAuthContextId: stepUpAuthContextId === undefined ? current.stepUpAuthContextId : stepUpAuthContextId,
    stepUpActions: stepUpActions ?? [...current.stepUpActions],
  };
}

export const POLICY_FIELDS: readonly (keyof BrokerPolicyFields)[] = POLICY_FIELD_NAMES;

const DEFAULT_POLICY: BrokerPolicy = Object.freeze({
  maxDepth: null,
  requireApproval: 'indirect-only',
  defaultLifetimeInMinutes: 60,
  maxLifetimeInMinutes: 480,
  isUsableOnce: true,
  approvalValidityMinutes: 24 * 60,
  maxIssuancesPerManagerPerDay: 20,
  // The column default of migration 0009: versions stored before it read as this.
  maxPendingRequestsPerRequester: 10,
  allowedDirectoryRoleTemplateIds: [...DEFAULT_ALLOWED_ROLE_TEMPLATE_IDS],
  protectedGroupIds: [],
  // Off by default so a fresh install works before the tenant has an authentication context;
  // the README and the health checks push production towards setting one.
  stepUpAuthContextId: null,
  stepUpActions: [],
  version: 1,
});

/** The built-in policy (what migration 0002 stores as version 1). Prefer `getCurrentPolicy(db)`. */
export function getDefaultPolicy(): BrokerPolicy {
  return {
    ...DEFAULT_POLICY,
    allowedDirectoryRoleTemplateIds: [...DEFAULT_POLICY.allowedDirectoryRoleTemplateIds],
    protectedGroupIds: [...DEFAULT_POLICY.protectedGroupIds],
    stepUpActions: [...DEFAULT_POLICY.stepUpActions],
  };
}

/** A `policy_version` row as the API's policy object. */
export function fromStoredPolicy(row: Omit<PolicyVersion, 'changeReason' | 'restoredFromVersion'>): BrokerPolicy {
  return {
    maxDepth: row.maxDepth,
    requireApproval: row.requireApproval === 'indirect_only' ? 'indirect-only' : row.requireApproval,
    defaultLifetimeInMinutes: row.defaultLifetimeInMinutes,
    maxLifetimeInMinutes: row.maxLifetimeInMinutes,
    isUsableOnce: row.isUsableOnce,
    approvalValidityMinutes: row.approvalValidityMinutes,
    maxIssuancesPerManagerPerDay: row.maxIssuancesPerManagerPerDay,
    maxPendingRequestsPerRequester: row.maxPendingRequestsPerRequester,
    // Rows written before these columns existed read as the defaults the migration gave them.
    allowedDirectoryRoleTemplateIds: row.allowedDirectoryRoleTemplateIds ?? [...DEFAULT_ALLOWED_ROLE_TEMPLATE_IDS],
    protectedGroupIds: row.protectedGroupIds ?? [],
    stepUpAuthContextId: row.stepUpAuthContextId,
    // Only known actions, in a fixed order, whatever the row holds.
    stepUpActions: STEP_UP_OPTIONAL_ACTIONS.filter((action) => (row.stepUpActions ?? []).includes(action)),
    version: row.version,
  };
}

/** The column values of a new `policy_version` row (without version, created_at, created_by). */
export function toStoredPolicyFields(policy: BrokerPolicyFields): Omit<PolicyVersion, 'version' | 'createdAt' | 'createdBy' | 'changeReason' | 'restoredFromVersion'> {
  return {
    maxDepth: policy.maxDepth,
    requireApproval: policy.requireApproval === 'indirect-only' ? 'indirect_only' : policy.requireApproval,
    defaultLifetimeInMinutes: policy.defaultLifetimeInMinutes,
    maxLifetimeInMinutes: policy.maxLifetimeInMinutes,
    isUsableOnce: policy.isUsableOnce,
    approvalValidityMinutes: policy.approvalValidityMinutes,
    maxIssuancesPerManagerPerDay: policy.maxIssuancesPerManagerPerDay,
    maxPendingRequestsPerRequester: policy.maxPendingRequestsPerRequester,
    allowedDirectoryRoleTemplateIds: [...policy.allowedDirectoryRoleTemplateIds],
    protectedGroupIds: [...policy.protectedGroupIds],
    stepUpAuthContextId: policy.stepUpAuthContextId,
    stepUpActions: [...policy.stepUpActions],
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const left = [...a].sort();
    const right = [...b].sort();
    return left.length === right.length && left.every((value, index) => value === right[index]);
  }
  return a === b;
}

/** The fields whose values differ between two policies, in declaration order. */
export function getChangedPolicyFields(before: BrokerPolicyFields | null, after: BrokerPolicyFields): (keyof BrokerPolicyFields)[] {
  if (before === null) return [...POLICY_FIELDS];
  return POLICY_FIELDS.filter((field) => !sameValue(before[field], after[field]));
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
