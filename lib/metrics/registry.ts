/**
 * The portal's Prometheus metrics: one registry per process, the metrics it holds, and the
 * functions the layers above record through (lib/http, lib/graph, lib/broker). Every label value
 * comes from a closed set — an operation id, a Graph endpoint template, a status, an outcome or a
 * refusal reason — never from a path, a user or a pass, so the series stay few and say nothing
 * about anyone. docs: README.md#metrics-and-traces.
 */
import 'server-only';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric's name starts with this. */
export const METRIC_PREFIX = 'tap_broker_';

/** From a fast cached read to Graph's slowest answers and retries within the 10 s retry budget. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface PortalMetrics {
  registry: Registry;
  httpDuration: Histogram<'route' | 'method' | 'status'>;
  graphRequests: Counter<'method' | 'endpoint' | 'status'>;
  graphDuration: Histogram<'method' | 'endpoint' | 'status'>;
  graphThrottled: Counter<'method' | 'endpoint'>;
  graphBatchItems: Counter<'method' | 'endpoint' | 'status'>;
  issuances: Counter<'outcome'>;
  refusals: Counter<'stage' | 'code' | 'reason'>;
}

function createPortalMetrics(): PortalMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return {
    registry,
    httpDuration: new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'API requests by operation id (lib/contract/routes.ts), method and status, from authentication to the answer.',
      labelNames: ['route', 'method', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    graphRequests: new Counter({
      name: `${METRIC_PREFIX}graph_requests_total`,
      help: 'Microsoft Graph requests by endpoint template and final status (after retries); status "error" = no answer, "not-sent" = the Graph budget never let it out.',
      labelNames: ['method', 'endpoint', 'status'],
      registers,
    }),
    graphDuration: new Histogram({
      name: `${METRIC_PREFIX}graph_request_duration_seconds`,
      help: 'Microsoft Graph requests by endpoint template and final status, retries and budget waits included.',
      labelNames: ['method', 'endpoint', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    graphThrottled: new Counter({
      name: `${METRIC_PREFIX}graph_throttled_total`,
      help: 'Microsoft Graph 429 answers by endpoint template, each attempt counted (a retried request may count more than once).',
      labelNames: ['method', 'endpoint'],
      registers,
    }),
    graphBatchItems: new Counter({
      name: `${METRIC_PREFIX}graph_batch_items_total`,
      help: 'Requests inside Microsoft Graph $batch calls, by their own endpoint template and status.',
      labelNames: ['method', 'endpoint', 'status'],
      registers,
    }),
    issuances: new Counter({
      name: `${METRIC_PREFIX}issuances_total`,
      help: 'Pass issuances by outcome: issued, failed (Graph refused, never sent, or not recorded and withdrawn), unknown (left to the reconciler).',
      labelNames: ['outcome'],
      registers,
    }),
    refusals: new Counter({
      name: `${METRIC_PREFIX}refusals_total`,
      help: 'TAP request refusals by stage, code and reason (one count per reason of an ineligible target).',
      labelNames: ['stage', 'code', 'reason'],
      registers,
    }),
  };
}

// On globalThis: Next may evaluate this module once per bundle (route handlers, instrumentation),
// and prom-client is loaded unbundled (next.config.js) so that all of them count into one registry.
const METRICS_KEY = Symbol.for('tap-broker.metrics');
type Store = typeof globalThis & { [METRICS_KEY]?: PortalMetrics };

function getMetrics(): PortalMetrics {
  const store = globalThis as Store;
  store[METRICS_KEY] ??= createPortalMetrics();
  return store[METRICS_KEY];
}

/** The process's registry, for the `/metrics` server. */
export function getMetricsRegistry(): Registry {
  return getMetrics().registry;
}

/** Records one API request; `route` is its operation id, never its path. */
export function observeHttpRequest(route: string, method: string, status: number, seconds: number): void {
  getMetrics().httpDuration.observe({ route, method, status: String(status) }, seconds);
}

/** Records one Graph request after its retries; `endpoint` is a template (lib/graph/endpoint-template.ts). */
export function observeGraphRequest(method: string, endpoint: string, status: string, seconds: number): void {
  const metrics = getMetrics();
  metrics.graphRequests.inc({ method, endpoint, status });
  metrics.graphDuration.observe({ method, endpoint, status }, seconds);
}

/** Records one 429 answer from Graph. */
export function countGraphThrottle(method: string, endpoint: string): void {
  getMetrics().graphThrottled.inc({ method, endpoint });
}

/** Records one request answered inside a `$batch`. */
export function countGraphBatchItem(method: string, endpoint: string, status: number): void {
  getMetrics().graphBatchItems.inc({ method, endpoint, status: String(status) });
}

export type IssuanceOutcome = 'issued' | 'failed' | 'unknown';

/** Records how one attempt to create a pass ended. */
export function countIssuance(outcome: IssuanceOutcome): void {
  getMetrics().issuances.inc({ outcome });
}

/** Records one refusal; a refusal with several reasons is counted once per reason. */
export function countRefusal(stage: string, code: string, reasons: readonly string[]): void {
  const { refusals } = getMetrics();
  for (const reason of reasons.length === 0 ? [code] : reasons) refusals.inc({ stage, code, reason });
}
