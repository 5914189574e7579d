/**
 * The policy console's view of `GET /api/policy`, `GET /api/policy/versions` and
 * `POST /api/policy/preview`, with small parsers (the UI renders only what it has checked), and
 * the console's own validation of a draft, which mirrors the server's (the server decides).
 */

export type RequireApproval = 'always' | 'never' | 'indirect-only';

export interface PolicyFields {
  maxDepth: number | null;
  requireApproval: RequireApproval;
  defaultLifetimeInMinutes: number;
  maxLifetimeInMinutes: number;
  isUsableOnce: boolean;
  approvalValidityMinutes: number;
  maxIssuancesPerManagerPerDay: number;
}

export const POLICY_FIELD_NAMES: readonly (keyof PolicyFields)[] = [
  'maxDepth',
  'requireApproval',
  'defaultLifetimeInMinutes',
  'maxLifetimeInMinutes',
  'isUsableOnce',
  'approvalValidityMinutes',
  'maxIssuancesPerManagerPerDay',
];

export const POLICY_FIELD_LABELS: Record<keyof PolicyFields, string> = {
  maxDepth: 'Reporting depth',
  requireApproval: 'Approval',
  defaultLifetimeInMinutes: 'Default lifetime',
  maxLifetimeInMinutes: 'Maximum lifetime',
  isUsableOnce: 'One-time use',
  approvalValidityMinutes: 'Approval valid for',
  maxIssuancesPerManagerPerDay: 'Passes per manager per day',
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
  };
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

/** A field's value in words, for the history and the preview. */
export function formatPolicyValue(field: keyof PolicyFields, policy: PolicyFields): string {
  switch (field) {
    case 'maxDepth':
      return policy.maxDepth === null ? 'unlimited' : policy.maxDepth === 1 ? 'direct reports only' : `${policy.maxDepth} levels`;
    case 'requireApproval':
      return policy.requireApproval === 'indirect-only' ? 'indirect reports only' : policy.requireApproval;
    case 'isUsableOnce':
      return policy.isUsableOnce ? 'yes' : 'no';
    case 'maxIssuancesPerManagerPerDay':
      return String(policy.maxIssuancesPerManagerPerDay);
    default:
      return formatMinutes(policy[field]);
  }
}

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
  };
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
  };
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

export function samePolicy(a: PolicyFields, b: PolicyFields): boolean {
  return POLICY_FIELD_NAMES.every((field) => a[field] === b[field]);
}
