import 'server-only';
import { ConfidentialClientApplication, LogLevel as MsalLogLevel, type Configuration } from '@azure/msal-node';
import {
  AuthenticationHandler,
  Client,
  GraphError,
  ResponseType,
  RetryHandler,
  RetryHandlerOptions,
  type AuthenticationProvider,
  type Context,
  type FetchOptions,
  type Middleware,
  type MiddlewareOptions,
  type ShouldRetry,
} from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { BrokerError } from '@/lib/core/errors';
import { getDb } from '@/lib/db/client';
import { getEnv, type Env } from '@/lib/env';
import { GRAPH_BUDGET_WINDOW_MS, GraphBudgetExhaustedError, GraphBudgetHandler } from '@/lib/graph/graph-budget';
import { GraphTelemetryHandler, recordGraphAttempt } from '@/lib/graph/graph-telemetry';
import { parseRetryAfter } from '@/lib/graph/retry-after';
import { logger } from '@/lib/log';

/**
 * The broker's own identity and its Graph client. This module (with the rest of lib/graph) is
 * the only code that talks to Graph, and it only ever sends the broker's app-only token
 * (client credentials): no user token reaches Graph.
 */

export { parseRetryAfter } from '@/lib/graph/retry-after';

/** Per attempt; a hung connection must not hold an API request open indefinitely. */
export const GRAPH_TIMEOUT_MS = 15_000;
/** Retries of one HTTP request on 429 (and 503/504 for reads). */
export const GRAPH_MAX_RETRIES = 3;
/** Total time one request may spend waiting between retries; beyond it we give up with 503. */
export const GRAPH_MAX_TOTAL_RETRY_DELAY_SECONDS = 10;
const TOKEN_TIMEOUT_MS = 15_000;

interface GraphRuntime {
  env: Env;
  msal: ConfidentialClientApplication;
  client: Client;
  /** Null when GRAPH_BUDGET_PER_SECOND is 0. */
  budget: GraphBudgetHandler | null;
}

let runtime: GraphRuntime | undefined;

function createConfidentialClient(env: Env): ConfidentialClientApplication {
  const { credential } = env.broker;
  const auth: Configuration['auth'] = {
    clientId: env.broker.clientId,
    authority: env.entra.authority,
    // A non-Microsoft host (the local tenant) must be listed, or msal-node asks the real
    // login.microsoftonline.com for instance discovery and fails with untrusted_authority.
    knownAuthorities: env.entra.knownAuthorities,
    ...(credential.kind === 'secret'
      ? { clientSecret: credential.clientSecret }
      : {
          clientCertificate: {
            thumbprintSha256: credential.thumbprintSha256,
            privateKey: credential.privateKeyPem,
            x5c: credential.certificatePem,
          },
        }),
  };
  return new ConfidentialClientApplication({
    auth,
    system: {
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: MsalLogLevel.Warning,
        loggerCallback: (level, message, containsPii) => {
          // Client-credentials responses never carry client_info; msal warns about it on every
          // token request, which is noise.
          if (containsPii || message.includes('No client info in response')) return;
          if (level <= MsalLogLevel.Error) logger.error({ component: 'msal' }, message);
          else logger.warn({ component: 'msal' }, message);
        },
      },
    },
  });
}

/**
 * Bounds the Graph SDK's RetryHandler: it honours `Retry-After` (capped only at 180 s by the
 * SDK), so we also stop once the waits of one request would exceed the total budget. 503/504 are
 * retried only for GETs: a write that timed out may have happened, and repeating it is the
 * caller's decision (with its idempotency record), not the transport's.
 */
function createShouldRetry(retryServerErrorsOnWrites: boolean): ShouldRetry {
  const waited = new WeakMap<object, number>();
  return (delay, attempt, _request, options: FetchOptions | undefined, response) => {
    const method = (options?.method ?? 'GET').toUpperCase();
    if (response.status !== 429 && method !== 'GET' && !retryServerErrorsOnWrites) return false;
    const next = parseRetryAfter(response.headers.get('Retry-After')) ?? delay * 2 ** attempt;
    const key = options ?? response;
    const total = (waited.get(key) ?? 0) + next;
    if (total > GRAPH_MAX_TOTAL_RETRY_DELAY_SECONDS) return false;
    waited.set(key, total);
    return true;
  };
}

/**
 * Options for a request whose retry on 503/504 is safe although it is a POST — e.g. a `$batch`
 * that carries only reads.
 */
export function createRetryOptions(options: { retryServerErrorsOnWrites: boolean }): RetryHandlerOptions {
  return new RetryHandlerOptions(1, GRAPH_MAX_RETRIES, createShouldRetry(options.retryServerErrorsOnWrites));
}

/** Per-request override of {@link GRAPH_TIMEOUT_MS} (a middleware option the fetch handler reads). */
export class GraphTimeoutOption implements MiddlewareOptions {
  constructor(readonly timeoutMs: number) {}
}

/** The last middleware: fetch with a per-attempt timeout (the SDK's own has none). */
class TimeoutFetchHandler implements Middleware {
  async execute(context: Context): Promise<void> {
    const option = context.middlewareControl?.getMiddlewareOptions(GraphTimeoutOption);
    const timeoutMs = option instanceof GraphTimeoutOption ? option.timeoutMs : GRAPH_TIMEOUT_MS;
    const response = await fetch(context.request, { ...context.options, signal: AbortSignal.timeout(timeoutMs) });
    recordGraphAttempt(context, response);
    context.response = response;
  }
}

/** The broker's app-only token for Graph (client credentials), from msal-node's cache when it has one. */
async function acquireBrokerToken(env: Env, msal: ConfidentialClientApplication, skipCache: boolean): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('token request timed out')), TOKEN_TIMEOUT_MS);
  });
  try {
    const result = await Promise.race([msal.acquireTokenByClientCredential({ scopes: [env.graph.scope], skipCache }), timeout]);
    if (result === null) throw new Error('msal-node returned no token');
    return result.accessToken;
  } finally {
    clearTimeout(timer);
  }
}

function createBudget(env: Env): GraphBudgetHandler | null {
  const { perSecond, maxWaitSeconds } = env.graphBudget;
  if (perSecond === 0) return null;
  return new GraphBudgetHandler({
    limit: perSecond,
    windowMs: GRAPH_BUDGET_WINDOW_MS,
    maxWaitMs: maxWaitSeconds * 1000,
    getDb,
    log: logger.child({ component: 'graph-budget' }),
  });
}

function createGraphClient(env: Env, msal: ConfidentialClientApplication, budget: GraphBudgetHandler | null): Client {
  const authProvider: AuthenticationProvider = {
    getAccessToken: () => acquireBrokerToken(env, msal, false),
  };
  return Client.initWithMiddleware({
    // The budget sits after the RetryHandler so that each retry is budgeted too, and right
    // before the fetch so that it sees every answer, a 429 the RetryHandler will retry included.
    // Telemetry comes first so that its time and span cover the token, the retries and the waits.
    middleware: [
      new GraphTelemetryHandler(),
      new AuthenticationHandler(authProvider),
      new RetryHandler(createRetryOptions({ retryServerErrorsOnWrites: false })),
      ...(budget === null ? [] : [budget]),
      new TimeoutFetchHandler(),
    ],
    baseUrl: `${env.graph.baseUrl}/`,
    defaultVersion: 'v1.0',
    // The SDK attaches the bearer token only to Graph's own hosts or to these (hostname only:
    // it strips the port, and only https URLs match).
    customHosts: new Set([env.graph.host]),
  });
}

function getRuntime(): GraphRuntime {
  const env = getEnv();
  // Keyed on the configuration object so tests that reset the env get a fresh client.
  if (runtime?.env !== env) {
    const msal = createConfidentialClient(env);
    const budget = createBudget(env);
    runtime = { env, msal, client: createGraphClient(env, msal, budget), budget };
  }
  return runtime;
}

/** The Graph client (v1.0, base URL from GRAPH_BASE_URL), authenticated as the broker app. */
export function getGraphClient(): Client {
  return getRuntime().client;
}

/**
 * Puts every instance's Graph calls on hold for `seconds`: for throttling the client's own
 * middleware cannot see, a 429 inside a `$batch` answer. Never throws (see GraphBudgetHandler).
 */
export async function holdGraphBudget(seconds: number): Promise<void> {
  await getRuntime().budget?.hold(seconds);
}

/**
 * The broker's own app-only Graph token, from the msal-node client the Graph client uses — for
 * diagnostics that read its `roles` (lib/graph/get-broker-access.ts). `fresh` skips msal's cache,
 * so permissions granted or removed since the cached token was issued show at once (the new token
 * then replaces the cached one for Graph calls too). Never log or return the token itself.
 */
export function getBrokerGraphToken(options: { fresh?: boolean } = {}): Promise<string> {
  const { env, msal } = getRuntime();
  return acquireBrokerToken(env, msal, options.fresh ?? false);
}

/** The configured Graph base URL with the version, e.g. `https://graph.microsoft.com/v1.0`. */
export function getGraphVersionBase(version: 'v1.0' | 'beta' = 'v1.0'): string {
  return `${getRuntime().env.graph.baseUrl}/${version}`;
}

/** An unexpected, non-transient Graph answer (a 4xx we did not plan for, or a malformed body). */
export class GraphRequestError extends Error {
  override readonly name = 'GraphRequestError';
  readonly status: number;
  readonly graphCode: string | null;
  readonly graphRequestId: string | null;
  constructor(message: string, status: number, graphCode: string | null = null, graphRequestId: string | null = null) {
    super(message);
    this.status = status;
    this.graphCode = graphCode;
    this.graphRequestId = graphRequestId;
  }
}

/** The request stayed queued behind the Graph budget past its wait; nothing was sent. */
function budgetRefusal(error: GraphBudgetExhaustedError): BrokerError {
  return new BrokerError('upstream-unavailable', 'Microsoft Graph is busy; nothing was changed. Try again later.', {
    cause: error,
    retryAfterSeconds: error.retryAfterSeconds,
  });
}

/**
 * Translates what the Graph SDK throws: no answer (network, timeout, token endpoint down:
 * the SDK reports status -1), 5xx, a 429 that outlived the retry budget, or a request the Graph
 * budget never let out (lib/graph/graph-budget.ts) become `upstream-unavailable`; any other status is a GraphRequestError (a defect to log, not the
 * caller's fault).
 */
export function toGraphFailure(error: unknown): Error {
  if (error instanceof BrokerError) return error;
  if (error instanceof GraphBudgetExhaustedError) return budgetRefusal(error);
  if (error instanceof GraphError) {
    const status = error.statusCode;
    if (status === -1 || status === 429 || status >= 500) {
      const retryAfterSeconds = parseRetryAfter(error.headers?.get('Retry-After'));
      return new BrokerError('upstream-unavailable', 'Microsoft Graph could not be reached; nothing was changed. Try again later.', {
        cause: new GraphRequestError(`${error.code ?? 'error'}: ${error.message}`, status, error.code, error.requestId),
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      });
    }
    return new GraphRequestError(`Graph answered ${status} ${error.code ?? ''}: ${error.message}`, status, error.code, error.requestId);
  }
  return error instanceof Error ? error : new Error(String(error));
}

export interface GraphCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the version root, e.g. `/users/{id}?$select=id`; or an absolute nextLink on the Graph host. */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * One Graph request outside `$batch` (for example a write whose outcome must be recorded on its
 * own), its answer parsed with `schema` — Graph is input. Failures as in `toGraphFailure`; a body
 * that does not match the schema is a GraphRequestError. DELETE answers 204 and returns undefined.
 */
export async function callGraph<T extends z.ZodType>(call: GraphCall, schema: T): Promise<z.infer<T>> {
  let raw: unknown;
  try {
    const request = getGraphClient().api(call.url).headers(call.headers ?? {});
    if (call.method === 'GET') raw = await request.get();
    else if (call.method === 'POST') raw = await request.post(call.body ?? {});
    else if (call.method === 'PATCH') raw = await request.patch(call.body ?? {});
    else raw = await request.delete();
  } catch (error) {
    throw toGraphFailure(error);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new GraphRequestError(`Graph answered ${call.method} ${call.url.split('?')[0] ?? ''} with an unexpected shape`, 200);
  return parsed.data;
}

/** A Graph answer of any status, as received (after the retry middleware had its say). */
export interface GraphRawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, the text of a non-JSON body, or undefined when there is none (204). */
  body: unknown;
  /** Graph's `request-id` response header (audit evidence); null when absent. */
  requestId: string | null;
}

/**
 * No HTTP answer at all: the connection failed or dropped, the per-attempt timeout fired, or the
 * token could not be obtained. For a write this means the outcome is unknown — unless it is a
 * {@link GraphNotSentError}.
 */
export class GraphTransportError extends Error {
  override readonly name: string = 'GraphTransportError';
}

/**
 * No answer because nothing was sent: the request stayed queued behind the broker's Graph budget
 * (lib/graph/graph-budget.ts) past its maximum wait. For a write this is a definite "not done".
 * A GraphTransportError, so callers that only know "no answer" stay on the safe side.
 */
export class GraphNotSentError extends GraphTransportError {
  override readonly name = 'GraphNotSentError';
  /** When it is worth asking again, in whole seconds. */
  readonly retryAfterSeconds: number;
  constructor(message: string, options: { cause: GraphBudgetExhaustedError }) {
    super(message, { cause: options.cause });
    this.retryAfterSeconds = options.cause.retryAfterSeconds;
  }
}

/**
 * One Graph request whose answer is returned whatever its status, with its headers — for callers
 * that must classify every outcome themselves (a write whose result decides what the broker
 * records) or need the `request-id`. Throws only {@link GraphTransportError} (a
 * {@link GraphNotSentError} when the budget never let the request out). The body is never
 * put into an error or a log here: it may carry a pass.
 */
export async function sendGraphRaw(call: GraphCall, options: { middlewareOptions?: MiddlewareOptions[] } = {}): Promise<GraphRawResponse> {
  let response: Response;
  try {
    let request = getGraphClient().api(call.url).headers(call.headers ?? {}).responseType(ResponseType.RAW);
    if (options.middlewareOptions !== undefined) request = request.middlewareOptions(options.middlewareOptions);
    const raw: unknown =
      call.method === 'GET'
        ? await request.get()
        : call.method === 'POST'
          ? await request.post(call.body ?? {})
          : call.method === 'PATCH'
            ? await request.patch(call.body ?? {})
            : await request.delete();
    if (!(raw instanceof Response)) throw new GraphTransportError('Graph client returned no response object');
    response = raw;
  } catch (error) {
    if (error instanceof GraphTransportError) throw error;
    if (error instanceof GraphBudgetExhaustedError) throw new GraphNotSentError('not sent: the Graph budget stayed exhausted', { cause: error });
    const detail = error instanceof GraphError ? `${error.code ?? 'error'}: ${error.message}` : error instanceof Error ? error.message : String(error);
    throw new GraphTransportError(`no answer from Graph (${detail})`, { cause: error });
  }
  let body: unknown;
  try {
    const text = await response.text();
    if (text === '') body = undefined;
    else if (/json/i.test(response.headers.get('Content-Type') ?? '')) body = JSON.parse(text) as unknown;
    else body = text;
  } catch (error) {
    throw new GraphTransportError('Graph answer could not be read', { cause: error });
  }
  return { status: response.status, headers: response.headers, body, requestId: response.headers.get('request-id') };
}

const graphErrorBodySchema = z.object({
  error: z.object({
    code: z.string().optional(),
    innerError: z.looseObject({ 'request-id': z.string().optional() }).optional(),
  }),
});

/** Graph's error `code` and `innerError.request-id` from an error body, when it has that shape. */
export function readGraphErrorBody(body: unknown): { code: string | null; requestId: string | null } {
  const parsed = graphErrorBodySchema.safeParse(body);
  if (!parsed.success) return { code: null, requestId: null };
  return { code: parsed.data.error.code ?? null, requestId: parsed.data.error.innerError?.['request-id'] ?? null };
}
