/**
 * The broker policy (docs/api-contract.md#policy-object): the object `GET /api/policy` returns and
 * `PUT /api/policy` takes whole, its version history, the limits a request is held to, and the
 * preview of a draft. Every change is a new version; version 1 holds the defaults.
 */
import * as z from 'zod/mini';
import { isoDateTimeSchema, uuidSchema } from '@/lib/contract/common';
import { ineligibleReasonSchema } from '@/lib/contract/eligibility';
import { validationIssueSchema } from '@/lib/contract/problem';
import { textSchema } from '@/lib/contract/text';

/** What Graph accepts for a Temporary Access Pass's lifetime at all; the tenant's policy narrows it. */
export const MIN_TAP_LIFETIME_MINUTES = 10;
export const MAX_TAP_LIFETIME_MINUTES = 43_200;

/** How many ids each of the policy's lists may hold. */
export const MAX_POLICY_LIST_ITEMS = 100;

/** The bounds of `maxPendingRequestsPerRequester`: at least one request may always wait. */
export const MIN_PENDING_REQUESTS_PER_REQUESTER = 1;
export const MAX_PENDING_REQUESTS_PER_REQUESTER = 100;

/**
 * Directory roles (template ids) a target may hold and still get a pass: only roles that read and
 * change nothing about other accounts. Authentication, Password and Helpdesk Administrators are
 * left out on purpose: a pass for one of them lets its holder reset other people's credentials.
 */
export const READ_ONLY_DIRECTORY_ROLES: ReadonlyMap<string, string> = new Map([
  ['88d8e3e3-8f55-4a1e-953a-9b9898b8876b', 'Directory Readers'],
  ['4a5d8f65-41da-4de4-8968-e035b65339cf', 'Reports Reader'],
  ['790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b', 'Message Center Reader'],
  ['75934031-6c7e-415a-99d7-48dbd49e875e', 'Usage Summary Reports Reader'],
  ['27460883-1df1-4691-b032-3b79643e5e63', 'User Experience Success Manager'],
]);

/** The default allow-list: the four reader roles. */
export const DEFAULT_ALLOWED_ROLE_TEMPLATE_IDS: readonly string[] = [
  '88d8e3e3-8f55-4a1e-953a-9b9898b8876b',
  '4a5d8f65-41da-4de4-8968-e035b65339cf',
  '790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b',
  '75934031-6c7e-415a-99d7-48dbd49e875e',
];

/** Roles named in refusals because people expect them to be harmless. */
const CREDENTIAL_ROLES: ReadonlyMap<string, string> = new Map([
  ['c4e39bd9-1100-46d3-8c65-fb160da0071f', 'Authentication Administrator'],
  ['966707d0-3269-4727-9be2-8c3a10f19b9d', 'Password Administrator'],
  ['729827e3-9c14-49f7-bb1b-9608f156bbb8', 'Helpdesk Administrator'],
  ['7be44c8a-adaf-4e2a-84d6-ab2649e08a13', 'Privileged Authentication Administrator'],
  ['fe930be7-5e62-47db-91af-98c3a49a38b1', 'User Administrator'],
  ['62e90394-69f5-4237-9190-012177145e10', 'Global Administrator'],
]);

/** Why a role id may not be on the allow-list, in words an admin can act on. */
export function getDisallowedRoleMessage(templateId: string): string {
  const name = CREDENTIAL_ROLES.get(templateId);
  if (name !== undefined) {
    return `${name} can act on other people's sign-in methods or passwords; a pass for its holder would let a manager take over that power`;
  }
  return 'is not one of the read-only directory roles the broker allows (custom roles and roles that can change anything are never allowed)';
}

/** A Conditional Access authentication context id as Entra names them: `c1` … `c99`. */
export const AUTH_CONTEXT_ID_PATTERN = /^c([1-9]|[1-9][0-9])$/;

/**
 * What can need step-up besides issuing a pass, which always does when a context is set:
 * `approve` covers both decisions, `policy` covers `PUT /api/policy`.
 */
export const STEP_UP_OPTIONAL_ACTIONS = ['approve', 'policy'] as const;
export type StepUpOptionalAction = (typeof STEP_UP_OPTIONAL_ACTIONS)[number];

/** Every action step-up can cover, as `GET /api/policy/limits` lists them (`issue` first). */
export const STEP_UP_ACTIONS = ['issue', 'approve', 'deny', 'policy'] as const;

export const REQUIRE_APPROVAL_VALUES = ['always', 'never', 'indirect-only'] as const;

const objectId = z.pipe(z.guid('must be an object id (GUID)'), z.transform((id: string) => id.toLowerCase()));

const objectIdList = z.pipe(
  z.array(objectId).check(z.maxLength(MAX_POLICY_LIST_ITEMS)),
  z.transform((ids: string[]) => [...new Set(ids)]),
);

const policyFields = {
  maxDepth: z.nullable(z.int().check(z.minimum(1), z.maximum(100))),
  requireApproval: z.enum(REQUIRE_APPROVAL_VALUES),
  defaultLifetimeInMinutes: z.int().check(z.minimum(MIN_TAP_LIFETIME_MINUTES), z.maximum(MAX_TAP_LIFETIME_MINUTES)),
  maxLifetimeInMinutes: z.int().check(z.minimum(MIN_TAP_LIFETIME_MINUTES), z.maximum(MAX_TAP_LIFETIME_MINUTES)),
  isUsableOnce: z.boolean(),
  approvalValidityMinutes: z.int().check(z.minimum(1), z.maximum(43_200)),
  maxIssuancesPerManagerPerDay: z.int().check(z.minimum(0), z.maximum(10_000)),
  maxPendingRequestsPerRequester: z.int().check(z.minimum(MIN_PENDING_REQUESTS_PER_REQUESTER), z.maximum(MAX_PENDING_REQUESTS_PER_REQUESTER)),
  allowedDirectoryRoleTemplateIds: objectIdList.check(
    z.superRefine((ids, ctx) => {
      ids.forEach((id, index) => {
        if (!READ_ONLY_DIRECTORY_ROLES.has(id)) ctx.addIssue({ code: 'custom', path: [index], message: getDisallowedRoleMessage(id) });
      });
    }),
  ),
  protectedGroupIds: objectIdList,
  stepUpAuthContextId: z.nullable(z.string().check(z.regex(AUTH_CONTEXT_ID_PATTERN, 'must be an authentication context id, c1 to c99'))),
  stepUpActions: z.pipe(
    z.array(z.enum(STEP_UP_OPTIONAL_ACTIONS)).check(z.maxLength(10)),
    z.transform((actions: StepUpOptionalAction[]) => STEP_UP_OPTIONAL_ACTIONS.filter((action) => actions.includes(action))),
  ),
};

const descriptions = {
  maxDepth: 'How far below a manager requests reach (1 = direct reports); null for unlimited.',
  requireApproval: '`indirect-only`: an approver for depth > 1.',
  approvalValidityMinutes: 'How long an approval may be issued.',
  maxIssuancesPerManagerPerDay: 'Per rolling 24 hours; 0 stops issuance.',
  maxPendingRequestsPerRequester: 'Requests one requester may have waiting for an approver at once; one more is refused (429).',
  allowedDirectoryRoleTemplateIds: 'Read-only directory roles (template ids) that leave a target eligible.',
  protectedGroupIds: 'Groups (object ids) whose members never get a pass.',
  stepUpAuthContextId: 'The authentication context (`c1` … `c99`) a token must carry in `acrs` to issue a pass; null = no step-up.',
  stepUpActions: 'What needs the context besides issuing.',
} as const;

function withDescriptions<T extends Record<string, z.ZodMiniType>>(fields: T): T {
  return Object.fromEntries(
    Object.entries(fields).map(([key, schema]) => {
      const description = (descriptions as Record<string, string>)[key];
      return [key, description === undefined ? schema : schema.check(z.describe(description))];
    }),
  ) as T;
}

/** The policy object as the API returns it: the input's lists already normalized (lower case, no duplicates, fixed order). */
export const policySchema = z.object({
  ...withDescriptions({
    ...policyFields,
    allowedDirectoryRoleTemplateIds: z.array(z.guid()).check(z.maxLength(MAX_POLICY_LIST_ITEMS)),
    protectedGroupIds: z.array(z.guid()).check(z.maxLength(MAX_POLICY_LIST_ITEMS)),
    stepUpActions: z.array(z.enum(STEP_UP_OPTIONAL_ACTIONS)),
  }),
  version: z.int().check(z.minimum(0), z.describe('Read-only: every change is a new version.')),
});

export type Policy = z.infer<typeof policySchema>;
export type PolicyFields = Omit<Policy, 'version'>;

/**
 * The body of `PUT /api/policy` (and `POST /api/policy/preview`): the whole policy. `version` and
 * `tenantTapPolicy` are ignored, so a client can send back what it read; any other unknown key is
 * refused. Leaving out the lists, the step-up fields or the pending cap keeps what is in force, so
 * a client written before a field existed can still save.
 */
/** Why an admin changes the policy: free text, required by the console and by a restore, kept with the version and its audit event. */
export const MAX_POLICY_CHANGE_REASON_LENGTH = 1000;
export const policyChangeReasonSchema = textSchema({ max: MAX_POLICY_CHANGE_REASON_LENGTH, multiLine: true }).check(z.trim(), z.minLength(1, 'must say why'));

export const policyInputSchema = z.strictObject({
  ...withDescriptions(policyFields),
  changeReason: z.optional(policyChangeReasonSchema.check(z.describe('Extension: why the policy changes; stored with the version and audited. The console always sends it.'))),
  maxPendingRequestsPerRequester: z.optional(policyFields.maxPendingRequestsPerRequester),
  allowedDirectoryRoleTemplateIds: z.optional(policyFields.allowedDirectoryRoleTemplateIds),
  protectedGroupIds: z.optional(policyFields.protectedGroupIds),
  stepUpAuthContextId: z.optional(policyFields.stepUpAuthContextId),
  stepUpActions: z.optional(policyFields.stepUpActions),
  version: z.optional(z.unknown()),
  tenantTapPolicy: z.optional(z.unknown()),
});

export type PolicyInput = z.input<typeof policyInputSchema>;

/** `POST /api/policy/versions/{version}/restore`: the reason is required here. */
export const restorePolicyVersionBodySchema = z.strictObject({ changeReason: policyChangeReasonSchema });

/** A version number in a path; anything else is 404 `not-found`. */
export const policyVersionParamsSchema = z.object({
  version: z.pipe(z.string().check(z.regex(/^[1-9][0-9]{0,8}$/), z.describe('A version number (1, 2, …).')), z.transform(Number)),
});

/** The tenant's own TAP policy, which bounds the broker's. */
export const tenantTapPolicySchema = z.object({
  state: z.enum(['enabled', 'disabled']),
  minimumLifetimeInMinutes: z.int(),
  maximumLifetimeInMinutes: z.int(),
  defaultLifetimeInMinutes: z.int(),
  isUsableOnce: z.boolean(),
});

/** `GET /api/policy`: the policy object with (extension) the tenant's TAP policy beside it. */
export const policySettingsSchema = z.extend(policySchema, { tenantTapPolicy: tenantTapPolicySchema });

/** `GET /api/policy/limits`: what a request is held to, for any signed-in user. */
export const policyLimitsSchema = z.object({
  defaultLifetimeInMinutes: z.int(),
  maxLifetimeInMinutes: z.int().check(z.describe("The broker's maximum, never above the tenant's.")),
  minLifetimeInMinutes: z.int().check(z.describe("The tenant's minimum.")),
  isUsableOnce: z.boolean().check(z.describe('true = every pass is one-time (the broker or the tenant forces it).')),
  requireApproval: z.enum(REQUIRE_APPROVAL_VALUES),
  maxDepth: z.nullable(z.int().check(z.minimum(1))),
  stepUpAuthContextId: z.nullable(z.string()),
  stepUpRequiredFor: z.array(z.enum(STEP_UP_ACTIONS)).check(z.describe('The actions that need step-up, `issue` first; empty without step-up.')),
  version: z.int(),
});

const policyFieldNameSchema = z.enum(Object.keys(policyFields) as [keyof typeof policyFields, ...(keyof typeof policyFields)[]]);

export const POLICY_FIELD_NAMES = policyFieldNameSchema.options;

export const policyVersionSchema = z.object({
  version: z.int(),
  policy: policySchema,
  createdAt: isoDateTimeSchema,
  createdBy: z.string().check(z.describe("The admin's object id, or `system` for the built-in defaults (version 1).")),
  createdByDisplayName: z.nullable(z.string()),
  changedFields: z.array(policyFieldNameSchema).check(z.describe('Fields that differ from the previous version (every field for the first).')),
  auditSeq: z.nullable(z.int().check(z.minimum(1))).check(z.describe('The `seq` of the `policy.updated` event that recorded it; null for version 1.')),
  auditEventId: z.nullable(uuidSchema),
  changeReason: z.nullable(z.string()).check(z.describe('Why the admin saved it; null when none was given (versions saved before reasons, or by a client that sent none).')),
  restoredFromVersion: z.nullable(z.int()).check(z.describe('The earlier version this one restores; null for an ordinary save.')),
});

export const policyVersionListSchema = z.object({
  versions: z.array(policyVersionSchema).check(z.describe('Newest first, at most 100.')),
});

/** How many people or pairs each list of a preview names at most; `total` counts them all. */
export const POLICY_PREVIEW_LIST_LIMIT = 200;

/** What a policy lets the organisation do: eligible people, and reporting pairs by outcome. */
const policyReachSchema = z.object({
  eligible: z.int().check(z.minimum(0), z.describe('People who may get a pass (from any manager above them).')),
  allowedPairs: z.int().check(z.minimum(0), z.describe('Reporting pairs (a manager, someone below them at any depth) in which the manager may request a pass.')),
  approvalPairs: z.int().check(z.minimum(0), z.describe('Of the allowed pairs, those whose requests wait for an approver.')),
});

const previewPersonSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  userPrincipalName: z.string(),
});

/** How a manager's request for one person ends under a policy: refused, held for an approver, or approved at once. */
export const PAIR_OUTCOMES = ['refused', 'approval', 'auto'] as const;

const previewPersonChangeSchema = z.extend(previewPersonSchema, {
  reasons: z.array(ineligibleReasonSchema).check(z.describe('Losing: the reasons the draft adds. Gaining: the reasons the draft lifts.')),
});

const previewPairChangeSchema = z.object({
  manager: previewPersonSchema,
  person: previewPersonSchema,
  depth: z.int().check(z.minimum(1), z.describe('1 = direct report.')),
  before: z.enum(PAIR_OUTCOMES),
  after: z.enum(PAIR_OUTCOMES),
  cause: z.enum(['eligibility', 'depth', 'approval-rule']).check(
    z.describe("What changes the outcome: the person's eligibility, the policy's maxDepth, or its requireApproval."),
  ),
});

const previewList = <T extends z.ZodMiniType>(item: T) =>
  z.object({ total: z.int().check(z.minimum(0)), items: z.array(item).check(z.describe(`The first ${POLICY_PREVIEW_LIST_LIMIT}, by display name.`)) });

/**
 * `POST /api/policy/preview`: a draft's effect on the whole organisation (every user of the
 * directory and every manager above them), against the policy in force; nothing is written.
 */
export const policyPreviewSchema = z.object({
  currentVersion: z.int(),
  people: z.int().check(z.minimum(0), z.describe('Users in the directory, all judged.')),
  pairs: z.int().check(z.minimum(0), z.describe('Reporting pairs: (manager, person) for every manager above each person, at any depth.')),
  current: policyReachSchema,
  draft: policyReachSchema,
  gainEligibility: previewList(previewPersonChangeSchema),
  loseEligibility: previewList(previewPersonChangeSchema),
  pairsAllowed: previewList(previewPairChangeSchema).check(z.describe('Pairs refused now that the draft allows.')),
  pairsRefused: previewList(previewPairChangeSchema).check(z.describe('Pairs allowed now that the draft refuses.')),
  pairsNowNeedApproval: previewList(previewPairChangeSchema).check(z.describe('Pairs approved at once now that would wait for an approver.')),
  pairsNoLongerNeedApproval: previewList(previewPairChangeSchema).check(z.describe('Pairs waiting for an approver now that would be approved at once.')),
  tenantViolations: z.array(validationIssueSchema).check(z.describe("Where the draft asks for what the tenant's TAP policy refuses; a save would be refused.")),
});
