import 'server-only';
import { z } from 'zod';
import type { ValidationIssue } from '@/lib/core/errors';
import type { PolicyVersion } from '@/lib/db/generated/client';
import type { TenantTapPolicy } from '@/lib/graph/get-target-facts';

/**
 * The broker policy (docs/api-contract.md#policy-object), stored and versioned in
 * `policy_version`: every change is a new row, the current policy is the highest version
 * (`getCurrentPolicy`), and migration 0002 stores the defaults below as version 1.
 *
 * Lifetimes are bounded by what Graph accepts for a Temporary Access Pass at all (10 minutes to 30
 * days); the tenant's own TAP policy narrows them further (`getPolicyTenantViolations`).
 */
export const MIN_TAP_LIFETIME_MINUTES = 10;
export const MAX_TAP_LIFETIME_MINUTES = 43_200;

/**
 * Directory roles a target may hold and still get a pass from a manager. Only roles that read
 * and change nothing about other accounts qualify; Authentication, Password and Helpdesk
 * Administrators are left out on purpose even though Entra treats them as "non-admin" for its
 * own helpdesk rule: a pass for one of them lets its holder reset other people's credentials.
 * `PUT /api/policy` refuses any other id with {@link getDisallowedRoleMessage}.
 */
export const READ_ONLY_DIRECTORY_ROLES: ReadonlyMap<string, string> = new Map([
  ['88d8e3e3-8f55-4a1e-953a-9b9898b8876b', 'Directory Readers'],
  ['4a5d8f65-41da-4de4-8968-e035b65339cf', 'Reports Reader'],
  ['790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b', 'Message Center Reader'],
  ['75934031-6c7e-415a-99d7-48dbd49e875e', 'Usage Summary Reports Reader'],
  ['27460883-1df1-4691-b032-3b79643e5e63', 'User Experience Success Manager'],
]);

/** Roles named in refusals because people expect them to be harmless. */
const CREDENTIAL_ROLES: ReadonlyMap<string, string> = new Map([
  ['c4e39bd9-1100-46d3-8c65-fb160da0071f', 'Authentication Administrator'],
  ['966707d0-3269-4727-9be2-8c3a10f19b9d', 'Password Administrator'],
  ['729827e3-9c14-49f7-bb1b-9608f156bbb8', 'Helpdesk Administrator'],
  ['7be44c8a-adaf-4e2a-84d6-ab2649e08a13', 'Privileged Authentication Administrator'],
  ['fe930be7-5e62-47db-91af-98c3a49a38b1', 'User Administrator'],
  ['62e90394-69f5-4237-9190-012177145e10', 'Global Administrator'],
]);

/** The defaults of `allowedDirectoryRoleTemplateIds`: the four reader roles. */
export const DEFAULT_ALLOWED_ROLE_TEMPLATE_IDS: readonly string[] = [
  '88d8e3e3-8f55-4a1e-953a-9b9898b8876b',
  '4a5d8f65-41da-4de4-8968-e035b65339cf',
  '790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b',
  '75934031-6c7e-415a-99d7-48dbd49e875e',
];

/** Why a role id may not be on the allow-list, in words an admin can act on. */
export function getDisallowedRoleMessage(templateId: string): string {
  const name = CREDENTIAL_ROLES.get(templateId);
  if (name !== undefined) {
    return `${name} can act on other people's sign-in methods or passwords; a pass for its holder would let a manager take over that power`;
  }
  return 'is not one of the read-only directory roles the broker allows (custom roles and roles that can change anything are never allowed)';
}

/**
 * A Conditional Access authentication context id as Entra names them: `c1` … `c99`. The tenant
 * admin creates the context and the Conditional Access policy that protects it (README).
 */
export const AUTH_CONTEXT_ID_PATTERN = /^c([1-9]|[1-9][0-9])$/;

/**
 * The actions that can need step-up besides issue, which always does when a context is set:
 * `approve` covers both decisions (approve and deny), `policy` covers `PUT /api/policy`.
 */
export const STEP_UP_OPTIONAL_ACTIONS = ['approve', 'policy'] as const;
export type StepUpOptionalAction = (typeof STEP_UP_OPTIONAL_ACTIONS)[number];

const objectIdList = z
  .array(z.guid('must be an object id (GUID)').transform((id) => id.toLowerCase()))
  .max(100)
  .transform((ids) => [...new Set(ids)]);

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
  /** Directory roles (template ids) that leave a target eligible; read-only roles only. */
  allowedDirectoryRoleTemplateIds: objectIdList.superRefine((ids, ctx) => {
    ids.forEach((id, index) => {
      if (!READ_ONLY_DIRECTORY_ROLES.has(id)) ctx.addIssue({ code: 'custom', path: [index], message: getDisallowedRoleMessage(id) });
    });
  }),
  /** Groups (object ids) whose members the broker never issues a pass for. */
  protectedGroupIds: objectIdList,
  /**
   * The authentication context an access token must carry in `acrs` to issue a pass (and for the
   * actions in `stepUpActions`); null = no step-up. Strongly recommended in production.
   */
  stepUpAuthContextId: z.string().regex(AUTH_CONTEXT_ID_PATTERN, 'must be an authentication context id, c1 to c99').nullable(),
  /** What needs the context besides issue (which always does when one is set). */
  stepUpActions: z
    .array(z.enum(STEP_UP_OPTIONAL_ACTIONS))
    .max(10)
    .transform((actions) => STEP_UP_OPTIONAL_ACTIONS.filter((action) => actions.includes(action))),
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
  // A client written before these fields existed must not silently drop a protection by
  // omitting them: absent means "keep the list in force" (see `completePolicyInput`).
  allowedDirectoryRoleTemplateIds: policyFields.allowedDirectoryRoleTemplateIds.optional(),
  protectedGroupIds: policyFields.protectedGroupIds.optional(),
  // Likewise a client that does not know step-up must not switch it off by leaving it out.
  stepUpAuthContextId: policyFields.stepUpAuthContextId.optional(),
  stepUpActions: policyFields.stepUpActions.optional(),
  version: z.unknown().optional(),
  tenantTapPolicy: z.unknown().optional(),
});

export type BrokerPolicyInput = z.infer<typeof brokerPolicyInputSchema>;

/**
 * The whole policy a `PUT /api/policy` body asks for: the lists and step-up fields it leaves out
 * stay as in `current` (an explicit `stepUpAuthContextId: null` turns step-up off).
 */
export function completePolicyInput(input: BrokerPolicyInput, current: BrokerPolicyFields): BrokerPolicyFields {
  const {
    version: _version,
    tenantTapPolicy: _tenantTapPolicy,
    allowedDirectoryRoleTemplateIds,
    protectedGroupIds,
    stepUpAuthContextId,
    stepUpActions,
    ...rest
  } = input;
  return {
    ...rest,
    allowedDirectoryRoleTemplateIds: allowedDirectoryRoleTemplateIds ?? [...current.allowedDirectoryRoleTemplateIds],
    protectedGroupIds: protectedGroupIds ?? [...current.protectedGroupIds],
    stepUpAuthContextId: stepUpAuthContextId === undefined ? current.stepUpAuthContextId : stepUpAuthContextId,
    stepUpActions: stepUpActions ?? [...current.stepUpActions],
  };
}

export const POLICY_FIELDS = Object.keys(policyFields) as (keyof BrokerPolicyFields)[];

const DEFAULT_POLICY: BrokerPolicy = Object.freeze({
  maxDepth: null,
  requireApproval: 'indirect-only',
  defaultLifetimeInMinutes: 60,
  maxLifetimeInMinutes: 480,
  isUsableOnce: true,
  approvalValidityMinutes: 24 * 60,
  maxIssuancesPerManagerPerDay: 20,
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
export function fromStoredPolicy(row: PolicyVersion): BrokerPolicy {
  return {
    maxDepth: row.maxDepth,
    requireApproval: row.requireApproval === 'indirect_only' ? 'indirect-only' : row.requireApproval,
    defaultLifetimeInMinutes: row.defaultLifetimeInMinutes,
    maxLifetimeInMinutes: row.maxLifetimeInMinutes,
    isUsableOnce: row.isUsableOnce,
    approvalValidityMinutes: row.approvalValidityMinutes,
    maxIssuancesPerManagerPerDay: row.maxIssuancesPerManagerPerDay,
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
export function toStoredPolicyFields(policy: BrokerPolicyFields): Omit<PolicyVersion, 'version' | 'createdAt' | 'createdBy'> {
  return {
    maxDepth: policy.maxDepth,
    requireApproval: policy.requireApproval === 'indirect-only' ? 'indirect_only' : policy.requireApproval,
    defaultLifetimeInMinutes: policy.defaultLifetimeInMinutes,
    maxLifetimeInMinutes: policy.maxLifetimeInMinutes,
    isUsableOnce: policy.isUsableOnce,
    approvalValidityMinutes: policy.approvalValidityMinutes,
    maxIssuancesPerManagerPerDay: policy.maxIssuancesPerManagerPerDay,
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
