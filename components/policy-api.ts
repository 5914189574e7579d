/**
 * The policy console's view of `GET /api/policy`, `GET /api/policy/versions` and
 * `POST /api/policy/preview`, with small parsers (the UI renders only what it has checked), and
 * the console's own validation of a draft, which mirrors the server's (the server decides).
 */
import { ApiError } from '@/lib/client/api-fetch';
import { formatDirectoryRole } from '@/lib/client/directory-roles';

export type RequireApproval = 'always' | 'never' | 'indirect-only';

/** What can ask for the second factor besides issuing a pass, which always does when a context is set. */
export const STEP_UP_OPTIONAL_ACTIONS = ['approve', 'policy'] as const;
export type StepUpOptionalAction = (typeof STEP_UP_OPTIONAL_ACTIONS)[number];

/** A Conditional Access authentication context id as Entra names them (lib/broker/policy.ts). */
export const AUTH_CONTEXT_ID_PATTERN = /^c([1-9]|[1-9][0-9])$/;

export interface PolicyFields {
  maxDepth: number | null;
  requireApproval: RequireApproval;
  defaultLifetimeInMinutes: number;
  maxLifetimeInMinutes: number;
  isUsableOnce: boolean;
  approvalValidityMinutes: number;
  maxIssuancesPerManagerPerDay: number;
  /** Template ids of the read-only directory roles a target may hold and stay eligible. */
  allowedDirectoryRoleTemplateIds: string[];
  /** Object ids of groups whose members never get a pass. */
  protectedGroupIds: string[];
  /** The authentication context (`c1` … `c99`) a token must prove to issue a pass; null = no step-up. */
  stepUpAuthContextId: string | null;
  /** What else needs it, in a fixed order. */
  stepUpActions: StepUpOptionalAction[];
}

export type PolicyListField = 'allowedDirectoryRoleTemplateIds' | 'protectedGroupIds';

export function isPolicyListField(field: keyof PolicyFields): field is PolicyListField {
  return field === 'allowedDirectoryRoleTemplateIds' || field === 'protectedGroupIds';
}

/** The server's limit on each list (lib/broker/policy.ts). */
export const MAX_POLICY_LIST_ITEMS = 100;

export const POLICY_FIELD_NAMES: readonly (keyof PolicyFields)[] = [
  'maxDepth',
  'requireApproval',
  'defaultLifetimeInMinutes',
  'maxLifetimeInMinutes',
  'isUsableOnce',
  'approvalValidityMinutes',
  'maxIssuancesPerManagerPerDay',
  'allowedDirectoryRoleTemplateIds',
  'protectedGroupIds',
  'stepUpAuthContextId',
  'stepUpActions',
];

export const POLICY_FIELD_LABELS: Record<keyof PolicyFields, string> = {
  maxDepth: 'Reporting depth',
  requireApproval: 'Approval',
  defaultLifetimeInMinutes: 'Default lifetime',
  maxLifetimeInMinutes: 'Maximum lifetime',
  isUsableOnce: 'One-time use',
  approvalValidityMinutes: 'Approval valid for',
  maxIssuancesPerManagerPerDay: 'Passes per manager per day',
  allowedDirectoryRoleTemplateIds: 'Allowed read-only roles',
  protectedGroupIds: 'Protected groups',
  stepUpAuthContextId: 'Step-up authentication context',
  stepUpActions: 'Step-up also for',
};

export interface TenantTapPolicyView {
  state: string;
  minimumLifetimeInMinutes: number;
  maximumLifetimeInMinutes: number;
  defaultLifetimeInMinutes: number | null;
  isUsableOnce: boolean;
}

export interface PolicySettingsView extends PolicyFields {
  version: number;
  tenantTapPolicy: TenantTapPolicyView | null;
}

export interface PolicyVersionEntry {
  version: number;
  policy: PolicyFields;
  createdAt: string;
  createdBy: string;
  createdByDisplayName: string | null;
  changedFields: (keyof PolicyFields)[];
  auditSeq: string | null;
}

export interface PolicyReachView {
  inReach: number;
  eligible: number;
  needApproval: number;
}

export interface PolicyPreviewView {
  currentVersion: number;
  totalReportees: number;
  current: PolicyReachView;
  draft: PolicyReachView;
  loseEligibility: number;
  gainEligibility: number;
  tenantViolations: { path: string; message: string }[];
}

type JsonRecord = Record<string, unknown>;

function asRecord(value: unknown, what: string): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`Unexpected ${what} from the portal API.`);
  return value as JsonRecord;
}

function int(record: JsonRecord, key: string, what: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`Unexpected ${what} from the portal API: "${key}" is missing.`);
  return value;
}

function str(record: JsonRecord, key: string, what: string): string {
  const value = record[key];
  if (typeof value !== 'string') throw new Error(`Unexpected ${what} from the portal API: "${key}" is missing.`);
  return value;
}

function idList(record: JsonRecord, key: string, what: string): string[] {
  const value = record[key];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw new Error(`Unexpected ${what} from the portal API: "${key}" is missing.`);
  }
  return value.map((id) => id.toLowerCase());
}

/** Known actions only, in their fixed order. */
function stepUpActionList(value: unknown): StepUpOptionalAction[] {
  const list = Array.isArray(value) ? value : [];
  return STEP_UP_OPTIONAL_ACTIONS.filter((action) => list.includes(action));
}

function parseFields(record: JsonRecord, what: string): PolicyFields {
  const maxDepth = record.maxDepth;
  const requireApproval = record.requireApproval;
  if (requireApproval !== 'always' && requireApproval !== 'never' && requireApproval !== 'indirect-only') {
    throw new Error(`Unexpected ${what} from the portal API: "requireApproval" is unknown.`);
  }
  return {
    maxDepth: maxDepth === null ? null : int(record, 'maxDepth', what),
    requireApproval,
    defaultLifetimeInMinutes: int(record, 'defaultLifetimeInMinutes', what),
    maxLifetimeInMinutes: int(record, 'maxLifetimeInMinutes', what),
    isUsableOnce: record.isUsableOnce === true,
    approvalValidityMinutes: int(record, 'approvalValidityMinutes', what),
    maxIssuancesPerManagerPerDay: int(record, 'maxIssuancesPerManagerPerDay', what),
    allowedDirectoryRoleTemplateIds: idList(record, 'allowedDirectoryRoleTemplateIds', what),
    protectedGroupIds: idList(record, 'protectedGroupIds', what),
    // Absent from a server (or a stored version) older than step-up: off.
    stepUpAuthContextId:
      typeof record.stepUpAuthContextId === 'string' && AUTH_CONTEXT_ID_PATTERN.test(record.stepUpAuthContextId) ? record.stepUpAuthContextId : null,
    stepUpActions: stepUpActionList(record.stepUpActions),
  };
}

/** The editable fields of a policy (a saved draft, a version), checked like the policy itself. */
export function parsePolicyFields(value: unknown): PolicyFields {
  return parseFields(asRecord(value, 'policy'), 'policy');
}

export function parsePolicySettings(value: unknown): PolicySettingsView {
  const record = asRecord(value, 'policy');
  const tenant = record.tenantTapPolicy;
  let tenantTapPolicy: TenantTapPolicyView | null = null;
  if (typeof tenant === 'object' && tenant !== null && !Array.isArray(tenant)) {
    const t = tenant as JsonRecord;
    tenantTapPolicy = {
      state: typeof t.state === 'string' ? t.state : 'unknown',
      minimumLifetimeInMinutes: int(t, 'minimumLifetimeInMinutes', 'tenant policy'),
      maximumLifetimeInMinutes: int(t, 'maximumLifetimeInMinutes', 'tenant policy'),
      defaultLifetimeInMinutes: typeof t.defaultLifetimeInMinutes === 'number' ? t.defaultLifetimeInMinutes : null,
      isUsableOnce: t.isUsableOnce === true,
    };
  }
  return { ...parseFields(record, 'policy'), version: int(record, 'version', 'policy'), tenantTapPolicy };
}

export function parsePolicyVersions(value: unknown): PolicyVersionEntry[] {
  const list = asRecord(value, 'policy history').versions;
  if (!Array.isArray(list)) throw new Error('Unexpected policy history from the portal API.');
  return list.map((item) => {
    const record = asRecord(item, 'policy version');
    const changed = Array.isArray(record.changedFields) ? record.changedFields : [];
    return {
      version: int(record, 'version', 'policy version'),
      policy: parseFields(asRecord(record.policy, 'policy version'), 'policy version'),
      createdAt: str(record, 'createdAt', 'policy version'),
      createdBy: str(record, 'createdBy', 'policy version'),
      createdByDisplayName: typeof record.createdByDisplayName === 'string' ? record.createdByDisplayName : null,
      changedFields: changed.filter((f): f is keyof PolicyFields => (POLICY_FIELD_NAMES as readonly unknown[]).includes(f)),
      auditSeq: typeof record.auditSeq === 'string' ? record.auditSeq : null,
    };
  });
}

function parseReach(value: unknown): PolicyReachView {
  const record = asRecord(value, 'preview');
  return { inReach: int(record, 'inReach', 'preview'), eligible: int(record, 'eligible', 'preview'), needApproval: int(record, 'needApproval', 'preview') };
}

export function parsePolicyPreview(value: unknown): PolicyPreviewView {
  const record = asRecord(value, 'preview');
  const violations = Array.isArray(record.tenantViolations) ? record.tenantViolations : [];
  return {
    currentVersion: int(record, 'currentVersion', 'preview'),
    totalReportees: int(record, 'totalReportees', 'preview'),
    current: parseReach(record.current),
    draft: parseReach(record.draft),
    loseEligibility: int(record, 'loseEligibility', 'preview'),
    gainEligibility: int(record, 'gainEligibility', 'preview'),
    tenantViolations: violations.map((v) => {
      const r = asRecord(v, 'preview');
      return { path: typeof r.path === 'string' ? r.path : '', message: typeof r.message === 'string' ? r.message : '' };
    }),
  };
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
      return String(policy.maxIssuancesPerManagerPerDay);
    case 'stepUpAuthContextId':
      return policy.stepUpAuthContextId ?? 'off';
    case 'stepUpActions':
      return policy.stepUpActions.length === 0 ? 'nothing else' : policy.stepUpActions.map((action) => STEP_UP_ACTION_LABELS[action].toLowerCase()).join(', ');
    default:
      return formatMinutes(policy[field]);
  }
}

/** The console's names for the optional step-up actions. */
export const STEP_UP_ACTION_LABELS: Record<StepUpOptionalAction, string> = {
  approve: 'Approve and deny',
  policy: 'Policy changes',
};

export function formatMinutes(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes} min`;
}

/** The form's text state: inputs hold strings so a half-typed number is not lost. */
export interface PolicyDraft {
  unlimitedDepth: boolean;
  maxDepth: string;
  requireApproval: RequireApproval;
  defaultLifetimeInMinutes: string;
  maxLifetimeInMinutes: string;
  isUsableOnce: boolean;
  approvalValidityMinutes: string;
  maxIssuancesPerManagerPerDay: string;
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
    defaultLifetimeInMinutes: String(policy.defaultLifetimeInMinutes),
    maxLifetimeInMinutes: String(policy.maxLifetimeInMinutes),
    isUsableOnce: policy.isUsableOnce,
    approvalValidityMinutes: String(policy.approvalValidityMinutes),
    maxIssuancesPerManagerPerDay: String(policy.maxIssuancesPerManagerPerDay),
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

/**
 * The draft as a policy, or the reasons it is not one: the server's bounds (lib/broker/policy.ts)
 * and the tenant's TAP policy, so the admin sees the problem beside the field before saving.
 */
export function validateDraft(draft: PolicyDraft, tenant: TenantTapPolicyView | null): { policy: PolicyFields | null; errors: DraftErrors } {
  const errors: DraftErrors = {};
  const policy: PolicyFields = {
    maxDepth: draft.unlimitedDepth ? null : readInt(draft.maxDepth, 1, 100, errors, 'maxDepth'),
    requireApproval: draft.requireApproval,
    defaultLifetimeInMinutes: readInt(draft.defaultLifetimeInMinutes, 10, 43_200, errors, 'defaultLifetimeInMinutes'),
    maxLifetimeInMinutes: readInt(draft.maxLifetimeInMinutes, 10, 43_200, errors, 'maxLifetimeInMinutes'),
    isUsableOnce: draft.isUsableOnce,
    approvalValidityMinutes: readInt(draft.approvalValidityMinutes, 1, 43_200, errors, 'approvalValidityMinutes'),
    maxIssuancesPerManagerPerDay: readInt(draft.maxIssuancesPerManagerPerDay, 0, 10_000, errors, 'maxIssuancesPerManagerPerDay'),
    allowedDirectoryRoleTemplateIds: [...new Set(draft.allowedDirectoryRoleTemplateIds.map((id) => id.toLowerCase()))],
    protectedGroupIds: [],
    stepUpAuthContextId: null,
    stepUpActions: stepUpActionList(draft.stepUpActions),
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
        errors[field] = `The tenant's TAP policy allows ${min} to ${max} minutes.`;
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
