/**
 * The Prometheus metrics, read the way Prometheus reads them: the `/metrics` server on a free
 * loopback port, scraped over HTTP and parsed, after real route handlers ran against the local
 * tenant (a Graph 429 injected by its fault switch) and a fresh database. The database gauges are
 * checked against rows written into a test database of their own, and against a closed one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/lib/db/client';
import { createDatabaseGaugeReaders } from '@/lib/observability-boot';
import { renderMetrics, startMetricsServer, stopMetricsServer } from '@/lib/metrics/metrics-server';
import { appendCommitted, TEST_CONTEXT } from '@/lib/testing/audit';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';
import { loadRouteHandler, useFreshRouteDatabase } from '@/lib/testing/route-harness';
import { lifecycleSeed, setFaults } from '@/lib/testing/tap-requests';

const GUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const JUSTIFICATION = 'Lost the phone with the authenticator app on it.';

let local: LocalTenant;
let dropDatabase: (() => Promise<void>) | undefined;
let metricsUrl: string;
const tokens: Record<string, string> = {};
/** Every pass the tests were handed, for the leak check. */
const passes: string[] = [];

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeed());
  dropDatabase = await useFreshRouteDatabase();
  tokens.manager = await local.getUserToken('mgr');
  const { port } = await startMetricsServer({ host: '127.0.0.1', port: 0, readers: createDatabaseGaugeReaders() });
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
});

afterAll(async () => {
  await stopMetricsServer();
  await dropDatabase?.();
  await local?.close();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text-format scrape (comments skipped). */
function parseScrape(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] ?? ''] = pair[2] ?? '';
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, samples: parseScrape(text) };
}

/** The value of the one series `name` with exactly `labels` (0 when absent). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
  expect(found.length, `${name} ${JSON.stringify(labels)}`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

function sumOf(samples: Sample[], name: string): number {
  return samples.filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0);
}

async function post(modulePath: string, url: string, body: unknown, params: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const handler = await loadRouteHandler(modulePath, 'POST');
  const response = await handler(
    new Request(`http://localhost:3000${url}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.manager}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
    { params: Promise.resolve(params) },
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function expectNothingPersonal(text: string): void {
  expect(text).not.toMatch(GUID_RE);
  expect(text).not.toContain('@');
  for (const pass of passes) expect(text).not.toContain(pass);
  expect(text).not.toContain(tokens.manager);
}

describe('the /metrics server', () => {
  it('counts a route by its operation id, and a Graph 429 by its endpoint template', async () => {
    const before = (await scrape()).samples;
    setFaults(local, { throttleNext: 1, retryAfterSeconds: 0 });
    const created = await post('tap-requests', '/api/tap-requests', { targetUserId: local.userId('report'), justification: JUSTIFICATION });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(local.tenant.ctx.faults.throttleNext).toBe(0);

    const { text, samples } = await scrape();
    const route = { route: 'requestTap', method: 'POST', status: '201' };
    expect(valueOf(samples, 'tap_broker_http_request_duration_seconds_count', route) - valueOf(before, 'tap_broker_http_request_duration_seconds_count', route)).toBe(1);
    expect(samples.some((s) => s.name === 'tap_broker_http_request_duration_seconds_bucket' && s.labels.route === 'requestTap' && s.labels.le === '+Inf')).toBe(true);

    expect(sumOf(samples, 'tap_broker_graph_throttled_total') - sumOf(before, 'tap_broker_graph_throttled_total')).toBe(1);
    const throttled = samples.filter((s) => s.name === 'tap_broker_graph_throttled_total' && s.value > valueOf(before, s.name, s.labels));
    expect(throttled).toHaveLength(1);
    const { method, endpoint } = throttled[0]?.labels ?? {};
    expect(endpoint).toMatch(/^\/[\w$/{}.()=-]*$/);
    // The retry got through: the request is counted once, with its final status.
    expect(valueOf(samples, 'tap_broker_graph_requests_total', { method: method ?? '', endpoint: endpoint ?? '', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'tap_broker_graph_request_duration_seconds_count', { method: method ?? '', endpoint: endpoint ?? '', status: '200' })).toBeGreaterThanOrEqual(1);
    // The reads inside $batch are counted by their own endpoint, ids replaced: the target's id
    // reached Graph, not the labels.
    expect(samples.some((s) => s.name === 'tap_broker_graph_batch_items_total' && s.labels.endpoint?.includes('{id}') && s.labels.status === '200')).toBe(true);
    expectNothingPersonal(text);
  });

  it('counts an issuance as issued and a refusal by its reason', async () => {
    const before = (await scrape()).samples;
    const created = await post('tap-requests', '/api/tap-requests', { targetUserId: local.userId('report'), justification: JUSTIFICATION });
    expect(created.body.status).toBe('approved');
    const id = String(created.body.id);
    const issued = await post('tap-requests/[id]/issue', `/api/tap-requests/${id}/issue`, {}, { id });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    passes.push(String(issued.body.temporaryAccessPass));
    const refused = await post('tap-requests', '/api/tap-requests', { targetUserId: local.userId('outsider'), justification: JUSTIFICATION });
    expect(refused.status).toBe(403);

    const { text, samples } = await scrape();
    const delta = (name: string, labels: Record<string, string>) => valueOf(samples, name, labels) - valueOf(before, name, labels);
    expect(delta('tap_broker_issuances_total', { outcome: 'issued' })).toBe(1);
    expect(delta('tap_broker_issuances_total', { outcome: 'failed' })).toBe(0);
    expect(delta('tap_broker_refusals_total', { stage: 'create', code: 'not-in-reporting-chain', reason: 'not-in-reporting-chain' })).toBe(1);
    expect(delta('tap_broker_http_request_duration_seconds_count', { route: 'issueTap', method: 'POST', status: '201' })).toBe(1);
    expect(delta('tap_broker_http_request_duration_seconds_count', { route: 'requestTap', method: 'POST', status: '403' })).toBe(1);
    expectNothingPersonal(text);
  });

  it('serves the process metrics with the prefix, the database gauges, and nothing but GET /metrics', async () => {
    const { samples } = await scrape();
    expect(valueOf(samples, 'tap_broker_process_cpu_user_seconds_total', {})).toBeGreaterThan(0);
    expect(valueOf(samples, 'tap_broker_scrape_error', {})).toBe(0);
    const head = await (await getDb()).auditHead.findFirstOrThrow();
    expect(valueOf(samples, 'tap_broker_audit_chain_head_seq', {})).toBe(Number(head.seq));
    expect(Number(head.seq)).toBeGreaterThan(0);
    expect((await fetch(metricsUrl.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(405);
  });
});

describe('the database gauges', () => {
  let db: TestDb;

  beforeAll(async () => {
    db = await createTestDb();
  });

  afterAll(async () => {
    await db?.close();
  });

  async function insertRequest(status: 'issuing' | 'approved', intentAt: Date | null): Promise<void> {
    await db.prisma.tapRequest.create({
      data: {
        status,
        requesterId: 'requester-1',
        targetUserId: 'target-1',
        targetDisplayName: 'Target One',
        justification: 'laptop reset after travel',
        lifetimeInMinutes: 60,
        isUsableOnce: true,
        chain: ['requester-1'],
        depth: 1,
        policyVersion: 1,
        intentAt,
      },
    });
  }

  async function insertNotification(status: string): Promise<void> {
    await db.prisma.notification.create({ data: { kind: 'pass_issued', subject: 's', bodyText: 't', bodyHtml: 'h', status, recipientAddress: 'someone@example.test' } });
  }

  it('report the issuing backlog and its oldest age, the outbox backlog and the audit head', async () => {
    const readers = createDatabaseGaugeReaders(async () => db.prisma);
    const empty = parseScrape(await renderMetrics(readers));
    expect(valueOf(empty, 'tap_broker_reconciler_backlog_requests', {})).toBe(0);
    expect(valueOf(empty, 'tap_broker_reconciler_backlog_oldest_age_seconds', {})).toBe(0);
    expect(valueOf(empty, 'tap_broker_audit_chain_head_seq', {})).toBe(0);

    await insertRequest('issuing', new Date(Date.now() - 600_000));
    await insertRequest('issuing', new Date(Date.now() - 60_000));
    await insertRequest('approved', null);
    for (const status of ['pending', 'pending', 'pending', 'sending', 'sent', 'failed']) await insertNotification(status);
    await appendCommitted(db.prisma, {
      type: 'tap_request.denied',
      actorId: 'a0000000-0000-4000-8000-000000000001',
      targetId: 'target-1',
      requestId: 'b0000000-0000-4000-8000-0000000000ab',
      data: { decidedBy: 'a0000000-0000-4000-8000-000000000001', reason: 'r', policyVersion: 1 },
      context: TEST_CONTEXT,
    });

    const text = await renderMetrics(readers);
    const samples = parseScrape(text);
    expect(valueOf(samples, 'tap_broker_reconciler_backlog_requests', {})).toBe(2);
    // At least the age written into the older row; the database's clock only moves on.
    expect(valueOf(samples, 'tap_broker_reconciler_backlog_oldest_age_seconds', {})).toBeGreaterThanOrEqual(600);
    expect(valueOf(samples, 'tap_broker_notification_outbox_backlog', { status: 'pending' })).toBe(3);
    expect(valueOf(samples, 'tap_broker_notification_outbox_backlog', { status: 'sending' })).toBe(1);
    expect(valueOf(samples, 'tap_broker_audit_chain_head_seq', {})).toBe(1);
    expect(valueOf(samples, 'tap_broker_scrape_error', {})).toBe(0);
    expect(text).not.toContain('someone@example.test');
  });

  it('leave out what they cannot read and raise tap_broker_scrape_error', async () => {
    const closed = await createTestDb();
    await closed.close();
    const samples = parseScrape(await renderMetrics(createDatabaseGaugeReaders(async () => closed.prisma)));
    for (const name of ['tap_broker_reconciler_backlog_requests', 'tap_broker_reconciler_backlog_oldest_age_seconds', 'tap_broker_notification_outbox_backlog', 'tap_broker_audit_chain_head_seq']) {
      expect(samples.filter((s) => s.name === name), name).toEqual([]);
    }
    expect(valueOf(samples, 'tap_broker_scrape_error', {})).toBe(1);
    // The process's own metrics are still there.
    expect(samples.some((s) => s.name === 'tap_broker_process_cpu_user_seconds_total')).toBe(true);
  });
});
