/**
 * Traces, only when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
 * OTEL_EXPORTER_OTLP_ENDPOINT, read by lib/env.ts): a tracer provider with a batch span processor
 * and the OTLP/HTTP exporter, registered globally with an AsyncLocalStorage context manager so a
 * request's Graph and database spans (lib/graph/graph-telemetry.ts, lib/db/transaction.ts) become
 * children of its route span (lib/http/route.ts). Without an endpoint nothing is registered and
 * every `@opentelemetry/api` call in the portal is a no-op.
 *
 * Only the portal's own spans (tracers named `tap-broker.*`) are exported. Next.js traces through
 * the same global API once a provider exists, and its spans carry raw URLs — a request path, the
 * Graph URLs its patched fetch sees, with user ids and UPNs in them — which must not leave the
 * process; the route span starts a trace of its own for the same reason.
 */
import 'server-only';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Env } from '@/lib/env';

// On globalThis: the API's globals are per process, and so is the provider that owns them.
const PROVIDER_KEY = Symbol.for('tap-broker.tracer-provider');
type Store = typeof globalThis & { [PROVIDER_KEY]?: TracerProvider };

/** The prefix of the portal's tracer names; spans of any other tracer are dropped. */
export const OWN_TRACER_PREFIX = 'tap-broker.';

function isOwn(span: ReadableSpan): boolean {
  return span.instrumentationScope.name.startsWith(OWN_TRACER_PREFIX);
}

/** Hands `inner` only the portal's own spans. */
class OwnSpansOnly implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}

  onStart(span: Span, parentContext: Parameters<SpanProcessor['onStart']>[1]): void {
    if (isOwn(span)) this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if (isOwn(span)) this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/**
 * Registers a tracer provider with `processors` as the process's global one, once; a second call
 * returns the first provider. Exported for tests, which register an in-memory exporter.
 */
export function registerTracerProvider(serviceName: string, processors: SpanProcessor[]): TracerProvider {
  const store = globalThis as Store;
  const existing = store[PROVIDER_KEY];
  if (existing !== undefined) return existing;
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': serviceName }), spanProcessors: processors.map((processor) => new OwnSpansOnly(processor)) });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  store[PROVIDER_KEY] = provider;
  return provider;
}

/** Starts tracing as `tracing` says (lib/env.ts `tracing`); null, the default, registers nothing. */
export function startTracing(tracing: Env['tracing']): TracerProvider | null {
  if (tracing === null) return null;
  const exporter = new OTLPTraceExporter({ url: tracing.tracesEndpoint });
  return registerTracerProvider(tracing.serviceName, [new BatchSpanProcessor({ exporter })]);
}

/**
 * Sends the spans still queued and unregisters the provider (for graceful shutdown); afterwards
 * the API is a no-op again.
 */
export async function stopTracing(): Promise<void> {
  const store = globalThis as Store;
  const provider = store[PROVIDER_KEY];
  if (provider === undefined) return;
  delete store[PROVIDER_KEY];
  try {
    await provider.shutdown();
  } finally {
    trace.disable();
    context.disable();
  }
}
