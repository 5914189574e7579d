/**
 * The campaign's verdicts over what the load recorded and what the database and the local tenant
 * hold afterwards. Pure functions over plain rows (unit-tested in checks.test.ts); the queries
 * that fetch those rows live in campaign.ts, beside the running stack.
 */
import { percentile } from '../../bench/bench-rows';

/** One API call the load made, as the load generator saw it. */
export interface CallRecord {
  op: string;
  /** HTTP status; 0 when no answer came (connection refused or reset, or the client's timeout). */
  status: number;
  startedAt: number;
  endedAt: number;
  /** The problem `code` of a 4xx/5xx answer that had one (the portal's), absent for a balancer's page. */
  code?: string;
  /** The problem's `detail`, for a failure: which dependency the portal could not reach. */
  detail?: string;
  /** The TAP request the call was about, when there was one. */
  requestId?: string;
  /** Audit event types a 2xx of this call must have written for `requestId`, each exactly once. */
  expectedEvents?: readonly string[];
}

/** A fault's time window (epoch ms); `end` is when service was meant to be whole again. */
export interface FaultWindow {
  fault: string;
  start: number;
  end: number;
}

/**
 * A call that fails this long after a window closed still failed of it: a Graph call waits up to
 * GRAPH_BUDGET_MAX_WAIT_SECONDS (10 s) behind the budget and the holds a throttle storm leaves,
 * and retries a 503 with its Retry-After, before it gives up — so a fault's 503s surface for up
 * to 10 s after the fault itself was cleared (the full campaign saw them at +4 s).
 */
export const WINDOW_GRACE_MS = 10_000;

const isFailure = (c: CallRecord) => c.status === 0 || c.status >= 500;

/**
 * Splits failed answers (5xx, or none) by the fault window in which they failed — the moment the
 * answer (or its absence) came, within a window or its grace after: `byFault` per window, `outside`
 * those that failed in none. A call that started under one fault and was cut by the next belongs
 * to the next (the SIGKILL that cut an issuance begun while another instance drained).
 */
export function classifyFailures(calls: readonly CallRecord[], windows: readonly FaultWindow[], graceMs = WINDOW_GRACE_MS): { outside: CallRecord[]; byFault: Map<string, CallRecord[]> } {
  const byFault = new Map<string, CallRecord[]>(windows.map((w) => [w.fault, []]));
  const outside: CallRecord[] = [];
  for (const call of calls.filter(isFailure)) {
    const hits = windows.filter((w) => call.endedAt >= w.start && call.endedAt <= w.end + graceMs);
    if (hits.length === 0) outside.push(call);
    for (const w of hits) byFault.get(w.fault)!.push(call);
  }
  return { outside, byFault };
}

/** p50 and p95 (ms) of the answered calls per operation, with their count, operations sorted. */
export function latencyByOperation(calls: readonly CallRecord[]): { op: string; count: number; p50: number; p95: number }[] {
  const byOp = new Map<string, number[]>();
  for (const c of calls) {
    if (c.status === 0) continue;
    const list = byOp.get(c.op) ?? [];
    list.push(c.endedAt - c.startedAt);
    byOp.set(c.op, list);
  }
  return [...byOp].sort(([a], [b]) => a.localeCompare(b)).map(([op, ms]) => ({ op, count: ms.length, p50: percentile(ms, 50), p95: percentile(ms, 95) }));
}

/** An audit row reduced to what the exactly-once check reads. */
export interface AuditKey {
  requestId: string;
  type: string;
}

/**
 * Every event a 2xx promised is in the trail exactly once: `missing` and `duplicated` list
 * `requestId type` pairs (with the count found for duplicates).
 */
export function checkExactlyOnce(calls: readonly CallRecord[], audit: readonly AuditKey[]): { expected: number; missing: string[]; duplicated: string[] } {
  const counts = new Map<string, number>();
  for (const row of audit) {
    const key = `${row.requestId} ${row.type}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const expected = new Set<string>();
  for (const c of calls) {
    if (c.status < 200 || c.status > 299 || c.requestId === undefined) continue;
    for (const type of c.expectedEvents ?? []) expected.add(`${c.requestId} ${type}`);
  }
  const missing: string[] = [];
  const duplicated: string[] = [];
  for (const key of expected) {
    const n = counts.get(key) ?? 0;
    if (n === 0) missing.push(key);
    else if (n > 1) duplicated.push(`${key} ×${n}`);
  }
  return { expected: expected.size, missing, duplicated };
}

/** A TAP method from the local tenant's creation log. */
export interface CreatedMethod {
  id: string;
  /** null while it exists in the tenant. */
  endedHow: string | null;
}

/** A tap_request row's pass record. */
export interface RequestPass {
  requestId: string;
  methodId: string | null;
}

export interface PassAccount {
  created: number;
  /** On exactly one request. */
  recorded: number;
  /** On no request and gone from the tenant, by how it went (deleted by the broker, replaced by a later pass). */
  removedUnrecorded: Record<string, number>;
  /** On no request and still live in the tenant: a pass nobody received and nobody removed. */
  orphaned: string[];
  /** On more than one request. */
  duplicated: string[];
  /** Recorded on a request, but the tenant never created it. */
  unknown: string[];
  /** Requests whose issue answered 201 that hold no pass record. */
  issuedWithoutRecord: string[];
}

/**
 * Accounts for every pass the tenant created against the requests that record one: each is on
 * exactly one request, or was removed without being recorded; none orphaned or duplicated.
 */
export function accountForPasses(created: readonly CreatedMethod[], requests: readonly RequestPass[], issuedRequestIds: readonly string[]): PassAccount {
  const byMethod = new Map<string, string[]>();
  for (const r of requests) {
    if (r.methodId === null) continue;
    const key = r.methodId.toLowerCase();
    byMethod.set(key, [...(byMethod.get(key) ?? []), r.requestId]);
  }
  const account: PassAccount = { created: created.length, recorded: 0, removedUnrecorded: {}, orphaned: [], duplicated: [], unknown: [], issuedWithoutRecord: [] };
  const known = new Set<string>();
  for (const m of created) {
    const key = m.id.toLowerCase();
    known.add(key);
    const holders = byMethod.get(key) ?? [];
    if (holders.length === 1) account.recorded += 1;
    else if (holders.length > 1) account.duplicated.push(`${m.id} on ${holders.join(', ')}`);
    else if (m.endedHow === null) account.orphaned.push(m.id);
    else account.removedUnrecorded[m.endedHow] = (account.removedUnrecorded[m.endedHow] ?? 0) + 1;
  }
  for (const [methodId, holders] of byMethod) if (!known.has(methodId)) account.unknown.push(`${methodId} on ${holders.join(', ')}`);
  const withRecord = new Set(requests.filter((r) => r.methodId !== null).map((r) => r.requestId));
  account.issuedWithoutRecord = issuedRequestIds.filter((id) => !withRecord.has(id));
  return account;
}
