import 'server-only';
import { z } from 'zod';
import { BrokerError } from '@/lib/core/errors';
import {
  createRetryOptions,
  GraphNotSentError,
  GraphRequestError,
  GraphTransportError,
  holdGraphBudget,
  parseRetryAfter,
  sendGraphRaw,
} from '@/lib/graph/client';
import { graphEndpointTemplate } from '@/lib/graph/endpoint-template';
import { DEFAULT_THROTTLE_HOLD_SECONDS } from '@/lib/graph/graph-budget';
import { logger as rootLogger, type Logger } from '@/lib/log';
import { countGraphBatchItem, countGraphThrottle } from '@/lib/metrics/registry';

/**
 * Graph JSON batching, the way every bulk read of the broker reaches Graph: chunks of 20, a few in
 * flight, throttled items re-sent (docs/graph-behaviours.md#batch).
 */

/** Graph accepts at most 20 requests per `$batch`. */
export const GRAPH_BATCH_LIMIT = 20;
/** `$batch` POSTs in flight at once: enough to overlap latency, few enough not to trip throttling. */
export const GRAPH_BATCH_CONCURRENCY = 4;
/** Rounds of re-sending throttled items, and the total wait across them. */
const MAX_ITEM_RETRY_ROUNDS = 3;
const MAX_ITEM_RETRY_WAIT_SECONDS = 10;
/** Used when a throttled item carries no Retry-After (some Graph services send none). */
const DEFAULT_ITEM_RETRY_SECONDS = 1;

export interface GraphBatchRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Relative to the version root, e.g. `/users/{id}?$select=id`. */
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface GraphBatchResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface GraphBatchStats {
  /** `$batch` HTTP requests sent (not counting the SDK's transparent retries). */
  httpRequests: number;
  /** When present, the `request-id` of every `$batch` response is appended (audit evidence). */
  requestIds?: string[];
}

const batchEnvelopeSchema = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number().int(),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    }),
  ),
});

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

function isRetryable(request: GraphBatchRequest, status: number): boolean {
  // A throttled item was not executed, so any method may be re-sent; a 503/504 write might have
  // been, so only reads are repeated.
  return status === 429 || (request.method === 'GET' && (status === 503 || status === 504));
}

function getHeader(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

async function postBatch(requests: readonly GraphBatchRequest[], stats: GraphBatchStats): Promise<GraphBatchResponse[]> {
  const body = {
    requests: requests.map((request, index) => ({
      id: String(index + 1),
      method: request.method,
      url: request.url,
      ...(request.body === undefined
        ? request.headers === undefined
          ? {}
          : { headers: request.headers }
        : { body: request.body, headers: { 'Content-Type': 'application/json', ...request.headers } }),
    })),
  };
  const readOnly = requests.every((request) => request.method === 'GET');
  stats.httpRequests += 1;
  let response;
  try {
    response = await sendGraphRaw(
      { method: 'POST', url: '/$batch', body },
      { middlewareOptions: [createRetryOptions({ retryServerErrorsOnWrites: readOnly })] },
    );
  } catch (error) {
    if (error instanceof GraphTransportError) {
      throw new BrokerError('upstream-unavailable', 'Microsoft Graph could not be reached; nothing was changed. Try again later.', {
        cause: error,
        ...(error instanceof GraphNotSentError ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
      });
    }
    throw error;
  }
  if (response.requestId !== null) stats.requestIds?.push(response.requestId);
  if (response.status === 429 || response.status >= 500) {
    // The envelope itself was throttled or failed after the retry middleware gave up.
    const retryAfterSeconds = parseRetryAfter(response.headers.get('Retry-After'));
    throw new BrokerError('upstream-unavailable', 'Microsoft Graph could not be reached; nothing was changed. Try again later.', {
      cause: new GraphRequestError(`Graph answered ${response.status} to $batch`, response.status, null, response.requestId),
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  if (response.status !== 200) throw new GraphRequestError(`Graph answered ${response.status} to $batch`, response.status, null, response.requestId);
  const raw = response.body;
  const parsed = batchEnvelopeSchema.safeParse(raw);
  if (!parsed.success) throw new GraphRequestError('Graph $batch answered with an unexpected shape', 200);
  const out = new Array<GraphBatchResponse | undefined>(requests.length);
  for (const response of parsed.data.responses) {
    const index = Number(response.id) - 1;
    if (!Number.isInteger(index) || index < 0 || index >= requests.length || out[index] !== undefined) {
      throw new GraphRequestError(`Graph $batch answered with an unknown or repeated id ${response.id}`, 200);
    }
    out[index] = { status: response.status, headers: response.headers ?? {}, body: response.body };
  }
  const answers = out.map((response, index) => {
    if (response === undefined) throw new GraphRequestError(`Graph $batch left request ${index + 1} unanswered`, 200);
    return response;
  });
  countBatchItems(requests, answers);
  await holdForThrottledItems(answers);
  return answers;
}

/** Each item under its own endpoint template; a throttled item counts as a throttle of that endpoint. */
function countBatchItems(requests: readonly GraphBatchRequest[], answers: readonly GraphBatchResponse[]): void {
  answers.forEach((answer, index) => {
    const request = requests[index] as GraphBatchRequest;
    const endpoint = graphEndpointTemplate(request.url);
    countGraphBatchItem(request.method, endpoint, answer.status);
    if (answer.status === 429) countGraphThrottle(request.method, endpoint);
  });
}

/**
 * Graph throttles `$batch` items one by one inside a 200 envelope, which the client's budget
 * middleware does not read: a throttled item puts every instance on hold here, for the longest
 * Retry-After among them.
 */
async function holdForThrottledItems(answers: readonly GraphBatchResponse[]): Promise<void> {
  const throttled = answers.filter((answer) => answer.status === 429);
  if (throttled.length === 0) return;
  await holdGraphBudget(Math.max(...throttled.map((answer) => parseRetryAfter(getHeader(answer.headers, 'Retry-After')) ?? DEFAULT_THROTTLE_HOLD_SECONDS)));
}

/**
 * Sends `requests` through Graph JSON batching: chunks of at most 20, up to 4 `$batch` POSTs in
 * flight, answers returned in the order of `requests` (Graph may answer in any order).
 *
 * Items Graph throttled (429, and 503/504 for reads) are re-sent together after the longest
 * `Retry-After` among them, for at most 3 rounds and 10 s of waiting in total; past that the
 * call fails with `upstream-unavailable` (carrying the Retry-After) rather than return a
 * partial answer. Other per-item statuses (404, 403…) are returned for the caller to judge.
 */
export async function graphBatch(
  requests: readonly GraphBatchRequest[],
  options: { log?: Logger; stats?: GraphBatchStats } = {},
): Promise<GraphBatchResponse[]> {
  const log = options.log ?? rootLogger;
  const stats = options.stats ?? { httpRequests: 0 };
  const results = new Array<GraphBatchResponse | undefined>(requests.length);
  let pending = requests.map((_, index) => index);
  let waitedSeconds = 0;

  for (let round = 0; pending.length > 0; round += 1) {
    const chunks: number[][] = [];
    for (let i = 0; i < pending.length; i += GRAPH_BATCH_LIMIT) chunks.push(pending.slice(i, i + GRAPH_BATCH_LIMIT));
    await mapWithConcurrency(chunks, GRAPH_BATCH_CONCURRENCY, async (chunk) => {
      const answers = await postBatch(
        chunk.map((index) => requests[index] as GraphBatchRequest),
        stats,
      );
      chunk.forEach((index, position) => {
        results[index] = answers[position];
      });
    });

    const throttled = pending.filter((index) => {
      const result = results[index] as GraphBatchResponse;
      return isRetryable(requests[index] as GraphBatchRequest, result.status);
    });
    if (throttled.length === 0) break;

    const retryAfter = Math.max(
      ...throttled.map((index) => parseRetryAfter(getHeader((results[index] as GraphBatchResponse).headers, 'Retry-After')) ?? DEFAULT_ITEM_RETRY_SECONDS),
    );
    if (round + 1 > MAX_ITEM_RETRY_ROUNDS || waitedSeconds + retryAfter > MAX_ITEM_RETRY_WAIT_SECONDS) {
      log.warn({ throttled: throttled.length, retryAfter, waitedSeconds }, 'Graph kept throttling batched requests; giving up');
      throw new BrokerError('upstream-unavailable', 'Microsoft Graph is throttling the broker; nothing was changed. Try again later.', {
        retryAfterSeconds: Math.max(1, Math.ceil(retryAfter)),
      });
    }
    log.info({ throttled: throttled.length, retryAfter }, 'Graph throttled batched requests; retrying them');
    // Waiting here is the point: Graph asked us to come back after Retry-After.
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    waitedSeconds += retryAfter;
    pending = throttled;
  }
  return results.map((result) => result as GraphBatchResponse);
}
