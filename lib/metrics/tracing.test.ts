/**
 * Tracing: nothing is recorded until a provider is registered; with one (an in-memory exporter
 * here) a request's trace holds its route span with the Graph and database spans beneath it and
 * no pass, token or person in any attribute; and with an OTLP endpoint the exporter really POSTs
 * the spans to it (a node:http receiver on loopback standing in for a collector).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTracerProvider, startTracing, stopTracing } from '@/lib/metrics/tracing';
import { startLocalTenant, TEST_DOMAIN, type LocalTenant } from '@/lib/testing/local-tenant';
import { loadRouteHandler, useFreshRouteDatabase } from '@/lib/testing/route-harness';
import { lifecycleSeed } from '@/lib/testing/tap-requests';

const JUSTIFICATION = 'Lost the phone with the authenticator app on it.';

describe('without a configured endpoint', () => {
  it('registers nothing, and spans do not record', () => {
    expect(startTracing(null)).toBeNull();
    const span = trace.getTracer('test').startSpan('nothing');
    expect(span.isRecording()).toBe(false);
    span.end();
  });
});

describe('a request traced through the in-memory exporter', () => {
  let local: LocalTenant;
  let dropDatabase: (() => Promise<void>) | undefined;
  const exporter = new InMemorySpanExporter();

  beforeAll(async () => {
    local = await startLocalTenant(lifecycleSeed());
    dropDatabase = await useFreshRouteDatabase();
    registerTracerProvider('tap-broker-test', [new SimpleSpanProcessor({ exporter })]);
  });

  afterAll(async () => {
    await stopTracing();
    await dropDatabase?.();
    await local?.close();
  });

  async function post(token: string, modulePath: string, url: string, body: unknown, params: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const handler = await loadRouteHandler(modulePath, 'POST');
    const response = await handler(
      new Request(`http://localhost:3000${url}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      { params: Promise.resolve(params) },
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Whether `span` descends from `ancestor` through the spans of `all`. */
  function descendsFrom(span: ReadableSpan, ancestor: ReadableSpan, all: ReadableSpan[]): boolean {
    const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
    for (let parent = span.parentSpanContext?.spanId; parent !== undefined; parent = byId.get(parent)?.parentSpanContext?.spanId) {
      if (parent === ancestor.spanContext().spanId) return true;
    }
    return false;
  }

  it('shows the route span with Graph and database spans beneath it, and nothing secret or personal', async () => {
    const token = await local.getUserToken('mgr');
    const created = await post(token, 'tap-requests', '/api/tap-requests', { targetUserId: local.userId('report'), justification: JUSTIFICATION });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = String(created.body.id);
    exporter.reset();
    const issued = await post(token, 'tap-requests/[id]/issue', `/api/tap-requests/${id}/issue`, {}, { id });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    const pass = String(issued.body.temporaryAccessPass);

    const spans = exporter.getFinishedSpans();
    const routes = spans.filter((s) => s.name === 'issueTap');
    expect(routes).toHaveLength(1);
    const route = routes[0] as ReadableSpan;
    expect(route.parentSpanContext).toBeUndefined();
    expect(route.attributes).toMatchObject({ 'http.route': 'issueTap', 'http.request.method': 'POST', 'http.response.status_code': 201, 'request.id': expect.any(String) });
    const graph = spans.filter((s) => s.name.startsWith('graph '));
    const db = spans.filter((s) => s.name === 'db.transaction');
    expect(graph.length).toBeGreaterThanOrEqual(1);
    expect(db.length).toBeGreaterThanOrEqual(1);
    // The create of the pass itself is among the Graph spans, under its template.
    expect(graph.map((s) => s.name)).toContain('graph POST /users/{id}/authentication/temporaryAccessPassMethods');
    for (const span of [...graph, ...db]) {
      expect(span.spanContext().traceId, span.name).toBe(route.spanContext().traceId);
      expect(descendsFrom(span, route, spans), span.name).toBe(true);
    }
    for (const span of graph) expect(span.attributes).toMatchObject({ 'graph.status': expect.stringMatching(/^\d+$/), 'graph.retry_count': 0 });

    const attributeText = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.status]));
    expect(attributeText).not.toContain(pass);
    expect(attributeText).not.toContain(token);
    expect(attributeText).not.toContain(local.userId('report'));
    expect(attributeText).not.toContain(local.userId('mgr'));
    expect(attributeText).not.toContain(TEST_DOMAIN);
  });
});

describe('with an OTLP endpoint', () => {
  let receiver: Server;
  const received: { method: string; url: string; contentType: string; body: Buffer }[] = [];

  beforeAll(async () => {
    receiver = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
        response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await stopTracing();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it("POSTs the portal's spans, and only those, to the traces endpoint", async () => {
    const { port } = receiver.address() as AddressInfo;
    const provider = startTracing({ tracesEndpoint: `http://127.0.0.1:${port}/v1/traces`, serviceName: 'tap-broker-otlp-test' });
    expect(provider).not.toBeNull();
    const span = trace.getTracer('tap-broker.test').startSpan('exported-span');
    expect(span.isRecording()).toBe(true);
    span.end();
    // Another library's span through the same API (Next.js traces this way, raw URLs included).
    trace.getTracer('next.js').startSpan('GET /api/tap-requests/someone@contoso.com').end();
    await provider?.forceFlush();

    expect(received).toHaveLength(1);
    // OTLP/HTTP with JSON encoding, as this exporter speaks it.
    expect(received[0]).toMatchObject({ method: 'POST', url: '/v1/traces', contentType: 'application/json' });
    const body = JSON.parse(received[0]?.body.toString('utf8') ?? '') as {
      resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { name: string }[] }[] }[];
    };
    expect(body.resourceSpans).toHaveLength(1);
    expect(body.resourceSpans[0]?.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'tap-broker-otlp-test' } });
    expect(body.resourceSpans[0]?.scopeSpans.flatMap((scope) => scope.spans.map((s) => s.name))).toEqual(['exported-span']);
  });
});
