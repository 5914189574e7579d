/**
 * The policy console's view of `GET /api/policy`, `GET /api/policy/versions` and
 * `POST /api/policy/preview`, read with the contract's schemas (the UI renders only what it has
 * checked), and the console's own validation of a draft, which mirrors the server's (the server
 * decides).
 */
import * as z from 'zod/mini';
import { ApiError } from '@/lib/client/api-fetch';
import { formatDirectoryRole } from '@/lib/client/directory-roles';
import { formatLifetime } from '@/lib/client/format';
import { parseAnswer } from '@/lib/client/parse-answer';
import {
  AUTH_CONTEXT_ID_PATTERN,
  MAX_PENDING_REQUESTS_PER_REQUESTER,
  MAX_POLICY_LIST_ITEMS,
  MAX_TAP_LIFETIME_MINUTES,
  MIN_PENDING_REQUESTS_PER_REQUESTER,
  MIN_TAP_LIFETIME_MINUTES,
  POLICY_FIELD_NAMES,
  policyPreviewSchema,
  policySchema,
  policySettingsSchema,
  policyVersionListSchema,
  REQUIRE_APPROVAL_VALUES,
  STEP_UP_OPTIONAL_ACTIONS,
  type PolicyFields,
  type StepUpOptionalAction,
  type tenantTapPolicySchema,
  type policyVersionSchema,
} from '@/lib/contract/policy';

export { AUTH_CONTEXT_ID_PATTERN, MAX_POLICY_LIST_ITEMS, POLICY_FIELD_NAMES, STEP_UP_OPTIONAL_ACTIONS };
export type { PolicyFields, StepUpOptionalAction };

export type RequireApproval = (typeof REQUIRE_APPROVAL_VALUES)[number];

export type PolicyListField = 'allowedDirectoryRoleTemplateIds' | 'protectedGroupIds';

export function isPolicyListField(field: keyof PolicyFields): field is PolicyListField {
  return field === 'allowedDirectoryRoleTemplateIds' || field === 'protectedGroupIds';
}

export const POLICY_FIELD_LABELS: Record<keyof PolicyFields, string> = {
  maxDepth: 'Reporting depth',
  requireApproval: 'Approval',
  defaultLifetimeInMinutes: 'Default lifetime',
  maxLifetimeInMinutes: 'Maximum lifetime',
  isUsableOnce: 'One-time use',
  approvalValidityMinutes: 'Approval valid for',
  maxIssuancesPerManagerPerDay: 'Passes per manager per day',
  maxPendingRequestsPerRequester: 'Requests waiting per requester',
  allowedDirectoryRoleTemplateIds: 'Allowed read-only roles',
  protectedGroupIds: 'Protected groups',
  stepUpAuthContextId: 'Step-up authentication context',
  stepUpActions: 'Step-up also for',
};

export type TenantTapPolicyView = z.infer<typeof tenantTapPolicySchema>;
export type PolicySettingsView = z.infer<typeof policySettingsSchema>;
export type PolicyVersionEntry = z.infer<typeof policyVersionSchema>;
export type PolicyPreviewView = z.infer<typeof policyPreviewSchema>;
export type PolicyReachView = PolicyPreviewView['current'];

/** The editable fields of a policy the console saved itself (a draft interrupted by step-up). */
export function parsePolicyFields(value: unknown): PolicyFields {
  return parseAnswer(z.omit(policySchema, { version: true }), value, 'policy');
}

/** The policy a `PUT /api/policy` answers with: the version now in force (not the settings view). */
export function parseSavedPolicy(value: unknown): z.infer<typeof policySchema> {
  return parseAnswer(policySchema, value, 'saved policy');
}

export function parsePolicySettings(value: unknown): PolicySettingsView {
  return parseAnswer(policySettingsSchema, value, 'policy');
}

export function parsePolicyVersions(value: unknown): PolicyVersionEntry[] {
  return parseAnswer(policyVersionListSchema, value, 'policy history').versions;
}

export function parsePolicyPreview(value: unknown): PolicyPreviewView {
  return parseAnswer(policyPreviewSchema, value, 'preview');
}

/** One entry of a policy list in words: a role by its name, a group by its object id. */
export function formatPolicyListItem(field: PolicyListField, id: string): string {
  return field === 'allowedDirectoryRoleTemplateIds' ? formatDirectoryRole(id) : id;
}

/** What changed between two versions of a list, each in the order it is shown (ids compared case-blind). */
export function getListChange(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  const had = new Set(before.map((id) => id.toLowerCase()));
  const has = new Set(after.map((id) => id.toLowerCase()));
  return {
    added: [...has].filter((id) => !had.has(id)),
    removed: [...had].filter((id) => !has.has(id)),
  };
}

/** A field's value in words, for the history and the preview. */
export function formatPolicyValue(field: keyof PolicyFields, policy: PolicyFields): string {
  switch (field) {
    case 'allowedDirectoryRoleTemplateIds':
    case 'protectedGroupIds': {
      const ids = policy[field];
      return ids.length === 0 ? 'none' : ids.map((id) => formatPolicyListItem(field, id)).join(', ');
    }
    case 'maxDepth':
      return policy.maxDepth === null ? 'unlimited' : policy.maxDepth === 1 ? 'direct reports only' : `${policy.maxDepth} levels`;
    case 'requireApproval':
      return policy.requireApproval === 'indirect-only' ? 'indirect reports only' : policy.requireApproval;
    case 'isUsableOnce':
      return policy.isUsableOnce ? 'yes' : 'no';
    case 'maxIssuancesPerManagerPerDay':
    case 'maxPendingRequestsPerRequester':
      return String(policy[field]);
    case 'stepUpAuthContextId':
      return policy.stepUpAuthContextId ?? 'off';
    case 'stepUpActions':
      return policy.stepUpActions.length === 0 ? 'nothing else' : policy.stepUpActions.map((action) => STEP_UP_ACTION_LABELS[action].toLowerCase()).join(', ');
    default:
      return formatLifetime(policy[field]);
  }
}

/** The console's names for the optional step-up actions. */
export const STEP_UP_ACTION_LABELS: Record<StepUpOptionalAction, string> = {
  approve: 'Approve and deny',
  policy: 'Policy changes',
};

/** The fields the API holds in minutes; the console shows and edits them in hours (or minutes), like the request dialog. */
export const DURATION_FIELDS = ['defaultLifetimeInMinutes', 'maxLifetimeInMinutes', 'approvalValidityMinutes'] as const;
export type DurationField = (typeof DURATION_FIELDS)[number];

/** A duration as typed: a whole amount and its unit. */
export interface DurationDraft {
  amount: string;
  unit: 'hours' | 'minutes';
}

/** Whole hours are shown as hours, anything else as minutes. */
export function toDurationDraft(minutes: number): DurationDraft {
  return minutes % 60 === 0 ? { amount: String(minutes / 60), unit: 'hours' } : { amount: String(minutes), unit: 'minutes' };
}

/** The form's text state: inputs hold strings so a half-typed number is not lost. */
export interface PolicyDraft {
  unlimitedDepth: boolean;
  maxDepth: string;
  requireApproval: RequireApproval;
  defaultLifetimeInMinutes: DurationDraft;
  maxLifetimeInMinutes: DurationDraft;
  isUsableOnce: boolean;
  approvalValidityMinutes: DurationDraft;
  maxIssuancesPerManagerPerDay: string;
  maxPendingRequestsPerRequester: string;
  /** Ticked roles, in the order the server sent them, then ticked ones appended. */
  allowedDirectoryRoleTemplateIds: string[];
  /** The text area: one object id per line (commas, semicolons and spaces also separate). */
  protectedGroupIds: string;
  /** Empty = no step-up. */
  stepUpAuthContextId: string;
  stepUpActions: StepUpOptionalAction[];
}

export function toDraft(policy: PolicyFields): PolicyDraft {
  return {
    unlimitedDepth: policy.maxDepth === null,
    maxDepth: policy.maxDepth === null ? '2' : String(policy.maxDepth),
    requireApproval: policy.requireApproval,
    defaultLifetimeInMinutes: toDurationDraft(policy.defaultLifetimeInMinutes),
    maxLifetimeInMinutes: toDurationDraft(policy.maxLifetimeInMinutes),
    isUsableOnce: policy.isUsableOnce,
    approvalValidityMinutes: toDurationDraft(policy.approvalValidityMinutes),
    maxIssuancesPerManagerPerDay: String(policy.maxIssuancesPerManagerPerDay),
    maxPendingRequestsPerRequester: String(policy.maxPendingRequestsPerRequester),
    allowedDirectoryRoleTemplateIds: [...policy.allowedDirectoryRoleTemplateIds],
    protectedGroupIds: policy.protectedGroupIds.join('\n'),
    stepUpAuthContextId: policy.stepUpAuthContextId ?? '',
    stepUpActions: [...policy.stepUpActions],
  };
}

/** A draft's step-up actions with one ticked or unticked, in their fixed order. */
export function toggleStepUpAction(actions: readonly StepUpOptionalAction[], action: StepUpOptionalAction, on: boolean): StepUpOptionalAction[] {
  return STEP_UP_OPTIONAL_ACTIONS.filter((item) => (item === action ? on : actions.includes(item)));
}

/** A draft with one role ticked or unticked (an id is never listed twice). */
export function toggleRole(ids: readonly string[], templateId: string, allowed: boolean): string[] {
  const id = templateId.toLowerCase();
  const without = ids.filter((item) => item.toLowerCase() !== id);
  return allowed ? [...without, id] : without;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The group ids typed into the text area, lower-cased and without repeats, or why they are not a
 * list of object ids. Separators are forgiving (a list pasted from a spreadsheet or the Entra
 * portal works); the ids themselves are not.
 */
export function parseGroupIds(text: string): { ids: string[]; error: string | null } {
  const tokens = text.split(/[\s,;]+/).filter((token) => token !== '');
  const bad = tokens.filter((token) => !GUID.test(token));
  if (bad.length > 0) {
    const first = bad[0] ?? '';
    const shown = first.length > 40 ? `${first.slice(0, 40)}…` : first;
    const more = bad.length > 1 ? ` (and ${bad.length - 1} more)` : '';
    return { ids: [], error: `“${shown}”${more} is not a group object id. Enter ids like 00000000-0000-0000-0000-000000000000, one per line.` };
  }
  const ids = [...new Set(tokens.map((token) => token.toLowerCase()))];
  if (ids.length > MAX_POLICY_LIST_ITEMS) return { ids: [], error: `Enter at most ${MAX_POLICY_LIST_ITEMS} groups.` };
  return { ids, error: null };
}

export type DraftErrors = Partial<Record<keyof PolicyFields, string>>;

function readInt(text: string, min: number, max: number, errors: DraftErrors, field: keyof PolicyFields): number {
  const trimmed = text.trim();
  const value = /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(value)) errors[field] = 'Enter a whole number.';
  else if (value < min || value > max) errors[field] = `Enter a number from ${min} to ${max}.`;
  return value;
}

/** A typed duration in minutes, with the bounds said in the same units the console shows. */
function readDuration(duration: DurationDraft, min: number, max: number, errors: DraftErrors, field: DurationField): number {
  const trimmed = duration.amount.trim();
  const amount = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  const minutes = duration.unit === 'hours' ? amount * 60 : amount;
  if (!Number.isSafeInteger(minutes)) errors[field] = 'Enter a whole number.';
  else if (minutes < min || minutes > max) errors[field] = `Enter ${formatLifetime(min)} to ${formatLifetime(max)}.`;
  return minutes;
}

/**
 * The draft as a policy, or the reasons it is not one: the contract's bounds
 * and the tenant's TAP policy, so the admin sees the problem beside the field before saving.
 */
export function validateDraft(draft: PolicyDraft, tenant: TenantTapPolicyView | null): { policy: PolicyFields | null; errors: DraftErrors } {
  const errors: DraftErrors = {};
  const policy: PolicyFields = {
    maxDepth: draft.unlimitedDepth ? null : readInt(draft.maxDepth, 1, 100, errors, 'maxDepth'),
    requireApproval: draft.requireApproval,
    defaultLifetimeInMinutes: readDuration(draft.defaultLifetimeInMinutes, MIN_TAP_LIFETIME_MINUTES, MAX_TAP_LIFETIME_MINUTES, errors, 'defaultLifetimeInMinutes'),
    maxLifetimeInMinutes: readDuration(draft.maxLifetimeInMinutes, MIN_TAP_LIFETIME_MINUTES, MAX_TAP_LIFETIME_MINUTES, errors, 'maxLifetimeInMinutes'),
    isUsableOnce: draft.isUsableOnce,
    approvalValidityMinutes: readDuration(draft.approvalValidityMinutes, 1, 43_200, errors, 'approvalValidityMinutes'),
    maxIssuancesPerManagerPerDay: readInt(draft.maxIssuancesPerManagerPerDay, 0, 10_000, errors, 'maxIssuancesPerManagerPerDay'),
    maxPendingRequestsPerRequester: readInt(draft.maxPendingRequestsPerRequester, MIN_PENDING_REQUESTS_PER_REQUESTER, MAX_PENDING_REQUESTS_PER_REQUESTER, errors, 'maxPendingRequestsPerRequester'),
    allowedDirectoryRoleTemplateIds: [...new Set(draft.allowedDirectoryRoleTemplateIds.map((id) => id.toLowerCase()))],
    protectedGroupIds: [],
    stepUpAuthContextId: null,
    stepUpActions: STEP_UP_OPTIONAL_ACTIONS.filter((action) => draft.stepUpActions.includes(action)),
  };
  const context = draft.stepUpAuthContextId.trim().toLowerCase();
  if (context !== '' && !AUTH_CONTEXT_ID_PATTERN.test(context)) {
    errors.stepUpAuthContextId = 'Enter an authentication context id from c1 to c99, or leave it empty to turn step-up off.';
  } else {
    policy.stepUpAuthContextId = context === '' ? null : context;
  }
  const groups = parseGroupIds(draft.protectedGroupIds);
  if (groups.error !== null) errors.protectedGroupIds = groups.error;
  else policy.protectedGroupIds = groups.ids;
  if (tenant !== null) {
    const { minimumLifetimeInMinutes: min, maximumLifetimeInMinutes: max } = tenant;
    for (const field of ['defaultLifetimeInMinutes', 'maxLifetimeInMinutes'] as const) {
      const value = policy[field];
      if (errors[field] === undefined && (value < min || value > max)) {
        errors[field] = `The tenant's TAP policy allows ${formatLifetime(min)} to ${formatLifetime(max)}.`;
      }
    }
    if (tenant.isUsableOnce && !policy.isUsableOnce) errors.isUsableOnce = "The tenant's TAP policy only allows one-time passes.";
  }
  if (errors.defaultLifetimeInMinutes === undefined && errors.maxLifetimeInMinutes === undefined && policy.defaultLifetimeInMinutes > policy.maxLifetimeInMinutes) {
    errors.defaultLifetimeInMinutes = 'The default must not exceed the maximum lifetime.';
  }
  return { policy: Object.keys(errors).length === 0 ? policy : null, errors };
}

function sameValue(field: keyof PolicyFields, a: PolicyFields, b: PolicyFields): boolean {
  if (isPolicyListField(field)) {
    const change = getListChange(a[field], b[field]);
    return change.added.length === 0 && change.removed.length === 0;
  }
  if (field === 'stepUpActions') {
    return a.stepUpActions.length === b.stepUpActions.length && a.stepUpActions.every((action) => b.stepUpActions.includes(action));
  }
  return a[field] === b[field];
}

/** The fields whose values differ, in the order the console shows them (lists compared as sets). */
export function getChangedFields(before: PolicyFields, after: PolicyFields): (keyof PolicyFields)[] {
  return POLICY_FIELD_NAMES.filter((field) => !sameValue(field, before, after));
}

export function samePolicy(a: PolicyFields, b: PolicyFields): boolean {
  return getChangedFields(a, b).length === 0;
}

/**
 * A refused save's field errors, to show beside the fields: `validation-failed` issues by the
 * field their path starts with. A list entry's path carries its index in the policy that was
 * sent, which names the role or group in the message.
 */
export function getServerFieldErrors(error: unknown, sent: PolicyFields | null): DraftErrors {
  const errors: DraftErrors = {};
  if (!(error instanceof ApiError) || error.code !== 'validation-failed') return errors;
  for (const issue of error.issues) {
    const [head, index] = issue.path.split('.');
    const field = POLICY_FIELD_NAMES.find((name) => name === head);
    if (field === undefined) continue;
    let message = issue.message;
    if (isPolicyListField(field) && sent !== null && index !== undefined && /^\d+$/.test(index)) {
      const id = sent[field][Number(index)];
      if (id !== undefined) {
        // The server names a well-known role itself ("Password Administrator can act on…");
        // otherwise its message is a predicate ("is not one of…") that needs its subject.
        if (/^(is|must) /.test(message)) message = `${formatPolicyListItem(field, id)} ${message}`;
      }
    }
    const sentence = /[.!?]$/.test(message) ? message : `${message}.`;
    const upper = sentence.charAt(0).toUpperCase() + sentence.slice(1);
    errors[field] = errors[field] === undefined ? upper : `${errors[field]} ${upper}`;
  }
  return errors;
}
