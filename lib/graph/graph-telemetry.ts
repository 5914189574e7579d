/**
 * Metrics and spans of the broker's Graph requests, recorded once, in the Graph client's
 * middleware (lib/graph/client.ts), so no caller can forget them: the outer handler times the
 * whole request (token, retries and budget waits included) under a span, and the fetch counts
 * each attempt — which is how a 429 the retry middleware absorbed still shows. Labels and span
 * attributes carry the endpoint template only (lib/graph/endpoint-template.ts), never ids, UPNs or
 * bodies.
 */
import 'server-only';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { graphEndpointTemplate } from '@/lib/graph/endpoint-template';
import { GraphBudgetExhaustedError } from '@/lib/graph/graph-budget';
import { countGraphThrottle, observeGraphRequest } from '@/lib/metrics/registry';

/** HTTP attempts per request, counted by the fetch handler; the same Context object goes through every retry. */
const attempts = new WeakMap<Context, number>();

function describe(context: Context): { method: string; endpoint: string } {
  const url = typeof context.request === 'string' ? context.request : context.request.url;
  const method = (context.options?.method ?? (typeof context.request === 'string' ? 'GET' : context.request.method)).toUpperCase();
  return { method, endpoint: graphEndpointTemplate(url) };
}

/** The first middleware: one span and one observation per Graph request. */
export class GraphTelemetryHandler implements Middleware {
  private next: Middleware | undefined;

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    if (next === undefined) throw new Error('GraphTelemetryHandler must not be the last middleware');
    const { method, endpoint } = describe(context);
    attempts.set(context, 0);
    const started = performance.now();
    await trace.getTracer('tap-broker.graph').startActiveSpan(
      `graph ${method} ${endpoint}`,
      { kind: SpanKind.CLIENT, attributes: { 'http.request.method': method, 'graph.endpoint': endpoint } },
      async (span) => {
        let status = 'error';
        try {
          await next.execute(context);
          status = String(context.response?.status ?? 'error');
        } catch (error) {
          status = error instanceof GraphBudgetExhaustedError ? 'not-sent' : 'error';
          span.setStatus({ code: SpanStatusCode.ERROR, message: status });
          throw error;
        } finally {
          const tries = attempts.get(context) ?? 0;
          observeGraphRequest(method, endpoint, status, (performance.now() - started) / 1000);
          span.setAttribute('graph.status', status);
          span.setAttribute('graph.retry_count', Math.max(0, tries - 1));
          if (/^\d+$/.test(status)) span.setAttribute('http.response.status_code', Number(status));
          if (status !== 'error' && status !== 'not-sent' && Number(status) >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
      },
    );
  }
}

/** Called by the fetch handler for every HTTP attempt and its answer. */
export function recordGraphAttempt(context: Context, response: Response): void {
  attempts.set(context, (attempts.get(context) ?? 0) + 1);
  if (response.status === 429) {
    const { method, endpoint } = describe(context);
    countGraphThrottle(method, endpoint);
  }
}
