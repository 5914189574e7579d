/**
 * JSON batching (`POST /$batch`, docs/graph-behaviours.md#batch): ≤ 20 requests with unique
 * (case-insensitive) ids and relative urls, `dependsOn` ordering (a failed dependency yields 424), a 200 envelope with
 * per-item `{id, status, headers, body}`. Each item runs through the same dispatcher with the
 * batch's caller, and is counted in `ctx.stats.batched` by route template.
 */
import { randomUUID } from 'node:crypto';
import type { GraphCaller, TenantContext } from '../types';
import { badRequest, errorResponse, isPlainObject, jsonResponse, parseJsonBody, type GraphEnv, type GraphRequest, type GraphResponse } from './http';
import { parseQueryString } from './odata';
import { graphRequestTemplate, takeBatchItemThrottle, throttledBody } from '../faults';

export const MAX_BATCH_REQUESTS = 20;

type Dispatch = (ctx: TenantContext, caller: GraphCaller, req: GraphRequest) => Promise<GraphResponse>;

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  hasBody: boolean;
  dependsOn: string[];
}

function invalidBatch(message = 'Invalid batch payload format.'): never {
  throw badRequest(message, 'BadRequest');
}

function parseItems(raw: unknown): BatchItem[] {
  if (!isPlainObject(raw) || !Array.isArray(raw['requests'])) invalidBatch();
  const requests = raw['requests'] as unknown[];
  if (requests.length === 0) invalidBatch();
  if (requests.length > MAX_BATCH_REQUESTS) invalidBatch('Number of requests inside batch exceeds the limit.');
  const items = requests.map((r): BatchItem => {
    if (!isPlainObject(r)) invalidBatch();
    const { id, method, url, headers, body, dependsOn } = r;
    if (typeof id !== 'string' || id === '' || typeof method !== 'string' || typeof url !== 'string') invalidBatch();
    const hdrs: Record<string, string> = {};
    if (headers !== undefined && headers !== null) {
      if (!isPlainObject(headers)) invalidBatch();
      for (const [k, v] of Object.entries(headers)) {
        if (typeof v !== 'string') invalidBatch();
        hdrs[k.toLowerCase()] = v;
      }
    }
    let deps: string[] = [];
    if (dependsOn !== undefined && dependsOn !== null) {
      if (!Array.isArray(dependsOn) || !dependsOn.every((d): d is string => typeof d === 'string')) invalidBatch();
      deps = dependsOn;
    }
    const hasBody = body !== undefined && body !== null;
    if (hasBody && hdrs['content-type'] === undefined) {
      invalidBatch(`Content-Type header must be specified for the request with id '${id}' because it has a body.`);
    }
    return { id, method: method.toUpperCase(), url, headers: hdrs, body, hasBody, dependsOn: deps };
  });
  const ids = new Map<string, BatchItem>();
  for (const item of items) {
    const key = item.id.toLowerCase();
    if (ids.has(key)) invalidBatch(`Batch request contains duplicate request id '${item.id}'.`);
    ids.set(key, item);
  }
  for (const item of items) {
    for (const d of item.dependsOn) {
      if (!ids.has(d.toLowerCase())) invalidBatch(`Request '${item.id}' depends on request '${d}', which is not part of the batch.`);
    }
  }
  // Refuse dependency cycles up front: they could never run.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (item: BatchItem): void => {
    const key = item.id.toLowerCase();
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') invalidBatch('The dependsOn graph of the batch contains a cycle.');
    state.set(key, 'visiting');
    for (const d of item.dependsOn) visit(ids.get(d.toLowerCase()) as BatchItem);
    state.set(key, 'done');
  };
  items.forEach(visit);
  return items;
}

function itemBody(item: BatchItem): string | null {
  if (!item.hasBody) return null;
  const ct = item.headers['content-type'] ?? '';
  if (/^application\/json\b/i.test(ct.trim())) return JSON.stringify(item.body);
  // Non-JSON request bodies travel base64-encoded in a batch.
  return typeof item.body === 'string' ? Buffer.from(item.body, 'base64').toString('utf8') : JSON.stringify(item.body);
}

/** Builds the inner request; null when the url is not a relative Graph url. */
function innerRequest(batch: GraphRequest, item: BatchItem): GraphRequest | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(item.url)) return null;
  const rel = item.url.replace(/^\/+/, '');
  const q = rel.indexOf('?');
  const pathPart = q === -1 ? rel : rel.slice(0, q);
  const segments = pathPart.split('/').filter((s) => s !== '').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const requestId = randomUUID();
  return {
    method: item.method,
    version: batch.version,
    segments,
    query: parseQueryString(q === -1 ? '' : rel.slice(q + 1)),
    headers: item.headers,
    body: itemBody(item),
    requestId,
    clientRequestId: item.headers['client-request-id'] ?? requestId,
    inBatch: true,
  };
}

const KEPT_HEADERS = ['content-type', 'location', 'cache-control', 'retry-after'];

function toBatchResponse(id: string, r: GraphResponse): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (KEPT_HEADERS.includes(k.toLowerCase())) headers[k] = v;
  const out: Record<string, unknown> = { id, status: r.status, headers };
  if (r.body !== undefined) {
    const ct = r.headers['Content-Type'] ?? '';
    // Graph base64-encodes inner bodies that are not JSON (e.g. a `/$count`'s text/plain).
    out['body'] = /application\/json/i.test(ct) ? r.body : Buffer.from(String(r.body), 'utf8').toString('base64');
  }
  return out;
}

/** `POST /$batch` */
export async function runBatch(env: GraphEnv, dispatch: Dispatch): Promise<GraphResponse> {
  const items = parseItems(parseJsonBody(env.req));
  const byId = new Map(items.map((i) => [i.id.toLowerCase(), i]));
  const running = new Map<string, Promise<GraphResponse>>();

  const run = (item: BatchItem): Promise<GraphResponse> => {
    const key = item.id.toLowerCase();
    const existing = running.get(key);
    if (existing !== undefined) return existing;
    const p = (async (): Promise<GraphResponse> => {
      const deps = await Promise.all(item.dependsOn.map((d) => run(byId.get(d.toLowerCase()) as BatchItem)));
      const inner = innerRequest(env.req, item);
      if (inner === null) {
        const fake: GraphRequest = { ...env.req, requestId: randomUUID(), inBatch: true };
        return errorResponse(fake, 400, 'BadRequest', `Invalid request URL '${item.url}': batch request urls must be relative.`);
      }
      if (deps.some((d) => d.status >= 400)) {
        return errorResponse(inner, 424, 'FailedDependency', 'Failed Dependency');
      }
      // Counted once the item actually runs (items refused with 424 never reach a route), under
      // the same template the server uses for top-level round trips.
      const template = graphRequestTemplate(inner.method, `/${inner.version}/${inner.segments.map(encodeURIComponent).join('/')}`);
      env.ctx.stats.batched[template] = (env.ctx.stats.batched[template] ?? 0) + 1;
      if (takeBatchItemThrottle(env.ctx.faults)) {
        // Graph throttles items individually: a 429 item inside a 200 envelope, not executed.
        return jsonResponse(inner, 429, throttledBody(inner.requestId, inner.clientRequestId), {
          'Retry-After': String(env.ctx.faults.retryAfterSeconds),
        });
      }
      return dispatch(env.ctx, env.caller, inner);
    })();
    running.set(key, p);
    return p;
  };

  // Items without dependencies run concurrently; dependants wait for theirs.
  const results = await Promise.all(items.map(run));
  // An item that never answers holds the whole batch (fault injection).
  if (results.some((r) => r.hang === true)) return { status: 0, headers: {}, body: undefined, hang: true };
  return jsonResponse(env.req, 200, { responses: items.map((item, i) => toBatchResponse(item.id, results[i] as GraphResponse)) });
}
