/** The campaign's verdicts over given rows: fault windows, latency percentiles, exactly-once audit, pass accounting. */
import { describe, expect, it } from 'vitest';
import { countPassesIn } from '../leak-check';
import { accountForPasses, checkExactlyOnce, classifyFailures, latencyByOperation, type CallRecord } from './checks';

const call = (over: Partial<CallRecord>): CallRecord => ({ op: 'issue', status: 200, startedAt: 0, endedAt: 10, ...over });

describe('classifyFailures', () => {
  const windows = [
    { fault: 'kill', start: 1_000, end: 2_000 },
    { fault: 'pg', start: 10_000, end: 11_000 },
  ];

  it('puts 5xx and unanswered calls in the window they failed in, with the grace after each, and the rest outside', () => {
    const calls = [
      call({ status: 502, startedAt: 900, endedAt: 1_001 }), // started before kill, failed in it
      call({ status: 0, startedAt: 2_500, endedAt: 2_000 + 2_999 }), // failed within the grace after kill
      call({ status: 503, startedAt: 1_500, endedAt: 2_000 + 3_001 }), // started in kill, failed just past the grace: outside
      call({ status: 500, startedAt: 10_500, endedAt: 10_600 }), // inside pg
      call({ status: 200, startedAt: 1_500, endedAt: 1_600 }), // a success is no failure
      call({ status: 429, startedAt: 20_000, endedAt: 20_001 }), // a refusal is no failure
    ];
    const { outside, byFault } = classifyFailures(calls, windows, 3_000);
    expect(outside.map((c) => c.status)).toEqual([503]);
    expect(byFault.get('kill')!.map((c) => c.status)).toEqual([502, 0]);
    expect(byFault.get('pg')!.map((c) => c.status)).toEqual([500]);
  });

  it('counts a call that started under one fault and failed under the next in the next only', () => {
    const { outside, byFault } = classifyFailures([call({ status: 504, startedAt: 1_500, endedAt: 10_200 })], windows, 0);
    expect(outside).toEqual([]);
    expect(byFault.get('kill')).toHaveLength(0);
    expect(byFault.get('pg')).toHaveLength(1);
  });
});

describe('latencyByOperation', () => {
  it('gives nearest-rank p50 and p95 per operation over answered calls only', () => {
    const calls = [
      ...Array.from({ length: 100 }, (_, i) => call({ op: 'create', startedAt: 0, endedAt: i + 1 })),
      call({ op: 'create', status: 0, startedAt: 0, endedAt: 30_000 }),
      call({ op: 'approve', startedAt: 5, endedAt: 12 }),
    ];
    expect(latencyByOperation(calls)).toEqual([
      { op: 'approve', count: 1, p50: 7, p95: 7 },
      { op: 'create', count: 100, p50: 50, p95: 95 },
    ]);
  });
});

describe('checkExactlyOnce', () => {
  it('finds events a 2xx promised that are missing or written twice, and ignores non-2xx calls', () => {
    const calls = [
      call({ status: 201, requestId: 'a', expectedEvents: ['tap_request.created', 'tap_request.approved'] }),
      call({ status: 201, requestId: 'b', expectedEvents: ['tap.issue_started', 'tap.issued'] }),
      call({ status: 503, requestId: 'c', expectedEvents: ['tap.issued'] }),
    ];
    const audit = [
      { requestId: 'a', type: 'tap_request.created' },
      { requestId: 'a', type: 'tap_request.approved' },
      { requestId: 'b', type: 'tap.issue_started' },
      { requestId: 'b', type: 'tap.issue_started' },
    ];
    expect(checkExactlyOnce(calls, audit)).toEqual({ expected: 4, missing: ['b tap.issued'], duplicated: ['b tap.issue_started ×2'] });
  });

  it('passes when each promised event is there once', () => {
    const calls = [call({ status: 200, requestId: 'a', expectedEvents: ['tap.revoked'] })];
    expect(checkExactlyOnce(calls, [{ requestId: 'a', type: 'tap.revoked' }, { requestId: 'a', type: 'tap.issued' }])).toEqual({ expected: 1, missing: [], duplicated: [] });
  });
});

describe('accountForPasses', () => {
  it('accepts passes recorded once or removed unrecorded, and names orphans, duplicates, unknown methods and unrecorded issues', () => {
    const created = [
      { id: 'M1', endedHow: null },
      { id: 'm2', endedHow: 'replaced' },
      { id: 'm3', endedHow: 'deleted' },
      { id: 'm4', endedHow: 'replaced' },
      { id: 'm5', endedHow: null },
      { id: 'm6', endedHow: null },
    ];
    const requests = [
      { requestId: 'r1', methodId: 'm1' },
      { requestId: 'r2', methodId: 'm2' },
      { requestId: 'r6a', methodId: 'm6' },
      { requestId: 'r6b', methodId: 'm6' },
      { requestId: 'r7', methodId: 'm7' },
      { requestId: 'r8', methodId: null },
    ];
    expect(accountForPasses(created, requests, ['r1', 'r8'])).toEqual({
      created: 6,
      recorded: 2,
      removedUnrecorded: { deleted: 1, replaced: 1 },
      orphaned: ['m5'],
      duplicated: ['m6 on r6a, r6b'],
      unknown: ['m7 on r7'],
      issuedWithoutRecord: ['r8'],
    });
  });

  it('is clean when every pass is accounted for', () => {
    const account = accountForPasses([{ id: 'm1', endedHow: 'deleted' }], [{ requestId: 'r1', methodId: 'm1' }], ['r1']);
    expect([account.orphaned, account.duplicated, account.unknown, account.issuedWithoutRecord]).toEqual([[], [], [], []]);
    expect(account.recorded).toBe(1);
  });
});

describe('countPassesIn', () => {
  it('counts each pass found anywhere in the texts once, whatever its length', () => {
    const passes = new Set(['Ab3$kP9q', 'zz11', 'NEVERSEEN']);
    expect(countPassesIn(passes, ['log line pass=Ab3$kP9q and again Ab3$kP9q', 'xzz11y'])).toBe(2);
    expect(countPassesIn(passes, ['nothing here'])).toBe(0);
  });
});
