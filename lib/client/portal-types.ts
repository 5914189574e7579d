/**
 * Shapes of the portal API's answers (docs/api-contract.md#routes) as the browser uses them,
 * with small parsers: the UI renders only what it has checked, so a changed server fails loudly
 * here instead of rendering `undefined`.
 */

export interface Me {
  id: string;
  displayName: string;
  userPrincipalName: string;
  roles: string[];
}

export interface Reportee {
  id: string;
  displayName: string;
  userPrincipalName: string;
  jobTitle: string | null;
  /** Not in the contract's minimum; shown when the API sends it. */
  department: string | null;
  /** 1 = direct report. */
  depth: number;
  eligible: boolean;
  ineligibleReasons: string[];
  /** Not in the contract's minimum; lets new hires stand out when the API sends it. */
  employeeHireDate: string | null;
}

type JsonRecord = Record<string, unknown>;

function asRecord(value: unknown, what: string): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`Unexpected ${what} from the portal API.`);
  return value as JsonRecord;
}

function requiredString(record: JsonRecord, key: string, what: string): string {
  const value = record[key];
  if (typeof value !== 'string') throw new Error(`Unexpected ${what} from the portal API: "${key}" is missing.`);
  return value;
}

function optionalString(record: JsonRecord, key: string): string | null {
  const value = record[key];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function stringList(record: JsonRecord, key: string): string[] {
  const value = record[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function parseMe(value: unknown): Me {
  const record = asRecord(value, 'profile');
  return {
    id: requiredString(record, 'id', 'profile'),
    displayName: requiredString(record, 'displayName', 'profile'),
    userPrincipalName: requiredString(record, 'userPrincipalName', 'profile'),
    roles: stringList(record, 'roles'),
  };
}

export function parseReportees(value: unknown): Reportee[] {
  const list = asRecord(value, 'team list').reportees;
  if (!Array.isArray(list)) throw new Error('Unexpected team list from the portal API.');
  return list.map((item) => {
    const record = asRecord(item, 'team member');
    const depth = record.depth;
    if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1) {
      throw new Error('Unexpected team member from the portal API: "depth" is missing.');
    }
    return {
      id: requiredString(record, 'id', 'team member'),
      displayName: requiredString(record, 'displayName', 'team member'),
      userPrincipalName: requiredString(record, 'userPrincipalName', 'team member'),
      jobTitle: optionalString(record, 'jobTitle'),
      department: optionalString(record, 'department'),
      depth,
      eligible: record.eligible === true,
      ineligibleReasons: stringList(record, 'ineligibleReasons'),
      employeeHireDate: optionalString(record, 'employeeHireDate'),
    };
  });
}

export type TapRequestStatus =
  | 'pending_approval'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'issuing'
  | 'issued'
  | 'revoked'
  | 'failed';

const TAP_REQUEST_STATUSES: readonly TapRequestStatus[] = [
  'pending_approval',
  'approved',
  'denied',
  'expired',
  'issuing',
  'issued',
  'revoked',
  'failed',
];

/** A request object (docs/api-contract.md#request-object) plus the extensions the UI shows when the API sends them. */
export interface TapRequest {
  id: string;
  status: TapRequestStatus;
  requesterId: string;
  /** Extension: the requester's name, for the approver. */
  requesterDisplayName: string | null;
  requesterUserPrincipalName: string | null;
  targetUserId: string;
  targetDisplayName: string | null;
  /** Extension. */
  targetUserPrincipalName: string | null;
  justification: string;
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
  /** Null means "as soon as it is issued". */
  startDateTime: string | null;
  createdAt: string;
  /** A user id, or `system` when the policy approved it automatically. */
  decidedBy: string | null;
  /** Extension. */
  decidedByDisplayName: string | null;
  decidedAt: string | null;
  /** Extension: the approver's comment or the denial reason. */
  decisionComment: string | null;
  /** Extension: until when an approved request may be issued. */
  approvalExpiresAt: string | null;
  issuedAt: string | null;
  expiresDateTime: string | null;
  revokedAt: string | null;
  /** Extension: why a request failed, in words and as a code. */
  failureReason: string | null;
  failureCode: string | null;
  /** Extension: 1 = the target reports directly to the requester. */
  depth: number | null;
  /** Ids from the target's manager up to the requester. */
  chain: string[];
  /** Extension: the same chain as names, as they were when the request was made. */
  chainDisplayNames: string[];
}

function optionalNumber(record: JsonRecord, key: string): number | null {
  const value = record[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function parseTapRequest(value: unknown): TapRequest {
  const what = 'request';
  const record = asRecord(value, what);
  const status = requiredString(record, 'status', what);
  if (!(TAP_REQUEST_STATUSES as readonly string[]).includes(status)) {
    throw new Error(`Unexpected request from the portal API: unknown status "${status}".`);
  }
  const lifetimeInMinutes = optionalNumber(record, 'lifetimeInMinutes');
  if (lifetimeInMinutes === null) throw new Error('Unexpected request from the portal API: "lifetimeInMinutes" is missing.');
  return {
    id: requiredString(record, 'id', what),
    status: status as TapRequestStatus,
    requesterId: requiredString(record, 'requesterId', what),
    requesterDisplayName: optionalString(record, 'requesterDisplayName'),
    requesterUserPrincipalName: optionalString(record, 'requesterUserPrincipalName'),
    targetUserId: requiredString(record, 'targetUserId', what),
    targetDisplayName: optionalString(record, 'targetDisplayName'),
    targetUserPrincipalName: optionalString(record, 'targetUserPrincipalName'),
    justification: typeof record.justification === 'string' ? record.justification : '',
    lifetimeInMinutes,
    isUsableOnce: record.isUsableOnce === true,
    startDateTime: optionalString(record, 'startDateTime'),
    createdAt: requiredString(record, 'createdAt', what),
    decidedBy: optionalString(record, 'decidedBy'),
    decidedByDisplayName: optionalString(record, 'decidedByDisplayName'),
    decidedAt: optionalString(record, 'decidedAt'),
    decisionComment: optionalString(record, 'decisionComment'),
    approvalExpiresAt: optionalString(record, 'approvalExpiresAt'),
    issuedAt: optionalString(record, 'issuedAt'),
    expiresDateTime: optionalString(record, 'expiresDateTime'),
    revokedAt: optionalString(record, 'revokedAt'),
    failureReason: optionalString(record, 'failureReason'),
    failureCode: optionalString(record, 'failureCode'),
    depth: optionalNumber(record, 'depth'),
    chain: stringList(record, 'chain'),
    chainDisplayNames: stringList(record, 'chainDisplayNames'),
  };
}

export function parseTapRequestList(value: unknown): TapRequest[] {
  const list = asRecord(value, 'request list').requests;
  if (!Array.isArray(list)) throw new Error('Unexpected request list from the portal API.');
  return list.map(parseTapRequest);
}

/**
 * The answer of `POST /api/tap-requests/{id}/issue`. The pass lives in this object only while
 * the reveal dialog shows it; error messages here name fields, never values.
 */
export interface IssuedPass {
  temporaryAccessPass: string;
  startDateTime: string | null;
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
  expiresDateTime: string | null;
  methodId: string | null;
}

export function parseIssuedPass(value: unknown): IssuedPass {
  const what = 'pass';
  const record = asRecord(value, what);
  const lifetimeInMinutes = optionalNumber(record, 'lifetimeInMinutes');
  if (lifetimeInMinutes === null) throw new Error('Unexpected pass from the portal API: "lifetimeInMinutes" is missing.');
  return {
    temporaryAccessPass: requiredString(record, 'temporaryAccessPass', what),
    startDateTime: optionalString(record, 'startDateTime'),
    lifetimeInMinutes,
    isUsableOnce: record.isUsableOnce === true,
    expiresDateTime: optionalString(record, 'expiresDateTime'),
    methodId: optionalString(record, 'methodId'),
  };
}

/** What the request form needs to know about the policy in force. */
export interface RequestLimits {
  defaultLifetimeInMinutes: number;
  maxLifetimeInMinutes: number;
  /** The tenant's minimum, when known. */
  minLifetimeInMinutes: number | null;
  /** True when policy or tenant force one-time passes. */
  isUsableOnceForced: boolean;
  requireApproval: 'always' | 'never' | 'indirect-only' | null;
  /** The actions that ask for a second factor first (`issue`, `approve`, `deny`, `policy`); empty without step-up. */
  stepUpRequiredFor: string[];
}

const AUTH_CONTEXT_ID = /^c([1-9]|[1-9][0-9])$/;

/** `stepUpRequiredFor` of the limits, else what the policy's own step-up fields imply (issue always). */
function readStepUpRequiredFor(record: JsonRecord): string[] {
  if (Array.isArray(record.stepUpRequiredFor)) return stringList(record, 'stepUpRequiredFor');
  const context = record.stepUpAuthContextId;
  if (typeof context !== 'string' || !AUTH_CONTEXT_ID.test(context)) return [];
  const actions = stringList(record, 'stepUpActions');
  return [
    'issue',
    ...(actions.includes('approve') ? ['approve', 'deny'] : []),
    ...(actions.includes('policy') ? ['policy'] : []),
  ];
}

function parseRequireApproval(value: unknown): RequestLimits['requireApproval'] {
  return value === 'always' || value === 'never' || value === 'indirect-only' ? value : null;
}

/** `GET /api/policy/limits` (an extension of the contract, for any signed-in user). */
export function parseRequestLimits(value: unknown): RequestLimits {
  const record = asRecord(value, 'limits');
  const defaultLifetimeInMinutes = optionalNumber(record, 'defaultLifetimeInMinutes');
  const maxLifetimeInMinutes = optionalNumber(record, 'maxLifetimeInMinutes');
  if (defaultLifetimeInMinutes === null || maxLifetimeInMinutes === null) throw new Error('Unexpected limits from the portal API.');
  return {
    defaultLifetimeInMinutes,
    maxLifetimeInMinutes,
    minLifetimeInMinutes: optionalNumber(record, 'minLifetimeInMinutes'),
    isUsableOnceForced: record.isUsableOnce === true,
    requireApproval: parseRequireApproval(record.requireApproval),
    stepUpRequiredFor: readStepUpRequiredFor(record),
  };
}

/** `GET /api/policy` (approvers, auditors, admins): the policy object, with the tenant's bounds when sent. */
export function parsePolicyAsLimits(value: unknown): RequestLimits {
  const record = asRecord(value, 'policy');
  const defaultLifetimeInMinutes = optionalNumber(record, 'defaultLifetimeInMinutes');
  const maxLifetimeInMinutes = optionalNumber(record, 'maxLifetimeInMinutes');
  if (defaultLifetimeInMinutes === null || maxLifetimeInMinutes === null) throw new Error('Unexpected policy from the portal API.');
  const tenant = record.tenantTapPolicy;
  const tenantRecord = typeof tenant === 'object' && tenant !== null && !Array.isArray(tenant) ? (tenant as JsonRecord) : null;
  return {
    defaultLifetimeInMinutes,
    maxLifetimeInMinutes,
    minLifetimeInMinutes: tenantRecord === null ? null : optionalNumber(tenantRecord, 'minimumLifetimeInMinutes'),
    isUsableOnceForced: record.isUsableOnce === true || tenantRecord?.isUsableOnce === true,
    requireApproval: parseRequireApproval(record.requireApproval),
    stepUpRequiredFor: readStepUpRequiredFor(record),
  };
}

/** One pending request re-judged against the directory now (`GET /api/tap-requests/evaluation`). */
export interface PendingEvaluation {
  requestId: string;
  approvable: boolean;
  code: 'not-in-reporting-chain' | 'target-ineligible' | 'forbidden' | null;
  reasons: string[];
  depth: number | null;
}

const EVALUATION_CODES = new Set(['not-in-reporting-chain', 'target-ineligible', 'forbidden']);

export function parsePendingEvaluations(value: unknown): Map<string, PendingEvaluation> {
  const list = asRecord(value, 'evaluation').evaluations;
  if (!Array.isArray(list)) throw new Error('Unexpected evaluation from the portal API.');
  const result = new Map<string, PendingEvaluation>();
  for (const item of list) {
    const e = asRecord(item, 'evaluation');
    const code = e.code === null ? null : String(e.code);
    if (typeof e.requestId !== 'string' || typeof e.approvable !== 'boolean' || (code !== null && !EVALUATION_CODES.has(code))) {
      throw new Error('Unexpected evaluation from the portal API.');
    }
    result.set(e.requestId, {
      requestId: e.requestId,
      approvable: e.approvable,
      code: code as PendingEvaluation['code'],
      reasons: Array.isArray(e.reasons) ? e.reasons.map(String) : [],
      depth: typeof e.depth === 'number' ? e.depth : null,
    });
  }
  return result;
}
