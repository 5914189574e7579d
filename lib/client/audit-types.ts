/**
 * The audit and dashboard answers of the portal API (docs/api-contract.md#routes: `GET /api/audit`,
 * `GET /api/audit/verify`, `GET /api/dashboard`) as the browser uses them, checked before they
 * are rendered, like portal-types.ts.
 */

type JsonRecord = Record<string, unknown>;

function asRecord(value: unknown, what: string): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`Unexpected ${what} from the portal API.`);
  return value as JsonRecord;
}

function str(record: JsonRecord, key: string, what: string): string {
  const value = record[key];
  if (typeof value !== 'string') throw new Error(`Unexpected ${what} from the portal API: "${key}" is missing.`);
  return value;
}

function optionalStr(record: JsonRecord, key: string): string | null {
  const value = record[key];
  return typeof value === 'string' ? value : null;
}

function num(record: JsonRecord, key: string, what: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`Unexpected ${what} from the portal API: "${key}" is missing.`);
  return value;
}

function optionalNum(record: JsonRecord, key: string): number | null {
  const value = record[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function list<T>(record: JsonRecord, key: string, parse: (item: unknown) => T): T[] {
  const value = record[key];
  if (!Array.isArray(value)) throw new Error(`Unexpected answer from the portal API: "${key}" is not a list.`);
  return value.map(parse);
}

export interface AuditEvent {
  seq: number;
  id: string;
  at: string;
  type: string;
  actorId: string;
  targetId: string | null;
  requestId: string | null;
  data: unknown;
  prevHash: string;
  hash: string;
}

export interface AuditPage {
  events: AuditEvent[];
  nextCursor: string | null;
}

export function parseAuditEvent(value: unknown): AuditEvent {
  const record = asRecord(value, 'audit event');
  return {
    seq: num(record, 'seq', 'audit event'),
    id: str(record, 'id', 'audit event'),
    at: str(record, 'at', 'audit event'),
    type: str(record, 'type', 'audit event'),
    actorId: str(record, 'actorId', 'audit event'),
    targetId: optionalStr(record, 'targetId'),
    requestId: optionalStr(record, 'requestId'),
    data: record.data ?? null,
    prevHash: str(record, 'prevHash', 'audit event'),
    hash: str(record, 'hash', 'audit event'),
  };
}

export function parseAuditPage(value: unknown): AuditPage {
  const record = asRecord(value, 'audit page');
  return { events: list(record, 'events', parseAuditEvent), nextCursor: optionalStr(record, 'nextCursor') };
}

export interface AuditVerification {
  ok: boolean;
  count: number;
  headHash: string | null;
  firstBrokenSeq: number | null;
}

export function parseAuditVerification(value: unknown): AuditVerification {
  const record = asRecord(value, 'verification');
  if (typeof record.ok !== 'boolean') throw new Error('Unexpected verification from the portal API: "ok" is missing.');
  return {
    ok: record.ok,
    count: num(record, 'count', 'verification'),
    headHash: optionalStr(record, 'headHash'),
    firstBrokenSeq: optionalNum(record, 'firstBrokenSeq'),
  };
}

/** The event types the broker writes (lib/audit/catalogue.ts), for the type filter. */
export const AUDIT_EVENT_TYPE_OPTIONS: readonly { value: string; label: string }[] = [
  { value: 'tap_request.created', label: 'Request created' },
  { value: 'tap_request.approved', label: 'Request approved' },
  { value: 'tap_request.denied', label: 'Request denied' },
  { value: 'tap_request.expired', label: 'Request expired' },
  { value: 'tap_request.refused', label: 'Request refused' },
  { value: 'tap.issue_started', label: 'Issuance started' },
  { value: 'tap.issued', label: 'Pass issued' },
  { value: 'tap.issue_failed', label: 'Issuance failed' },
  { value: 'tap.revoked', label: 'Pass revoked' },
  { value: 'tap.outcome_observed', label: 'Pass state observed' },
  { value: 'tap.reconciled', label: 'Issuance reconciled' },
  { value: 'policy.updated', label: 'Policy updated' },
  { value: 'policy.update_refused', label: 'Policy change refused' },
  { value: 'audit.exported', label: 'Audit exported' },
  { value: 'audit.verified', label: 'Audit verified' },
  { value: 'notification.failed', label: 'Notification failed' },
];

/** "Pass issued" for a known type, the raw type otherwise. */
export function formatAuditType(type: string): string {
  return AUDIT_EVENT_TYPE_OPTIONS.find((option) => option.value === type)?.label ?? type;
}

export interface DashboardStats {
  generatedAt: string;
  windowDays: number;
  from: string;
  issuedPerDay: { date: string; count: number }[];
  requestsByOutcome: { status: string; count: number }[];
  timeToIssue: { count: number; medianSeconds: number | null; p95Seconds: number | null };
  approvalsWaiting: { count: number; oldestCreatedAt: string | null };
  topRequesters: { requesterId: string; displayName: string | null; count: number }[];
  refusalsByReason: { reason: string; count: number }[];
}

export function parseDashboardStats(value: unknown): DashboardStats {
  const record = asRecord(value, 'dashboard');
  const what = 'dashboard';
  const latency = asRecord(record.timeToIssue, what);
  const waiting = asRecord(record.approvalsWaiting, what);
  return {
    generatedAt: str(record, 'generatedAt', what),
    windowDays: num(record, 'windowDays', what),
    from: str(record, 'from', what),
    issuedPerDay: list(record, 'issuedPerDay', (item) => {
      const r = asRecord(item, what);
      return { date: str(r, 'date', what), count: num(r, 'count', what) };
    }),
    requestsByOutcome: list(record, 'requestsByOutcome', (item) => {
      const r = asRecord(item, what);
      return { status: str(r, 'status', what), count: num(r, 'count', what) };
    }),
    timeToIssue: {
      count: num(latency, 'count', what),
      medianSeconds: optionalNum(latency, 'medianSeconds'),
      p95Seconds: optionalNum(latency, 'p95Seconds'),
    },
    approvalsWaiting: { count: num(waiting, 'count', what), oldestCreatedAt: optionalStr(waiting, 'oldestCreatedAt') },
    topRequesters: list(record, 'topRequesters', (item) => {
      const r = asRecord(item, what);
      return { requesterId: str(r, 'requesterId', what), displayName: optionalStr(r, 'displayName'), count: num(r, 'count', what) };
    }),
    refusalsByReason: list(record, 'refusalsByReason', (item) => {
      const r = asRecord(item, what);
      return { reason: str(r, 'reason', what), count: num(r, 'count', what) };
    }),
  };
}

/** "42 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}
