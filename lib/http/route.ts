/**
 * The route wrapper every API handler goes through. A route names its operation in the contract's
 * table (lib/contract/routes.ts), and the table says the rest: who may call it (`allow`), its path
 * parameters, query and body, each parsed before the handler runs (a malformed one is
 * `validation-failed`, 400). The wrapper does the rest the same way everywhere: request id →
 * authenticate → authorize → count the call against the caller's API budget (lib/limits; 429
 * `rate-limited` over it, before the input is read so malformed floods count too) → parse input
 * → handler → JSON response, with
 * `Cache-Control: no-store` and `x-request-id` (always the server's own id) on every answer and
 * every error mapped to problem+json in one place. What each operation answers is held to its
 * response schemas by the route tests, not at run time.
 *
 * `allow` only gates on the token. Authorization that depends on data (the org chart, who owns a
 * request) lives in the core, which re-checks it against Graph and the database.
 *
 * ```ts
 * export const POST = defineRoute('denyTapRequest', async ({ actor, params, body, context }) =>
 *   denyTapRequest(actor, { id: params.id, reason: body.reason }, context));
 * ```
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { z } from 'zod';
import en from 'zod/v4/locales/en.js';
import { hasAnyRole, type Actor } from '@/lib/auth/actor';
import { operations, type Allow, type Operation } from '@/lib/contract/routes';
import { verifyAccessToken } from '@/lib/auth/verify-access-token';
import type { RequestContext } from '@/lib/core/request-context';
import { trackRequest } from '@/lib/core/draining';
import { BrokerError } from '@/lib/core/errors';
import { getEnv } from '@/lib/env';
import { getClientAddress } from '@/lib/http/client-address';
import { errorToResponse, toValidationIssues } from '@/lib/http/problem';
import { createRequestId, getClientRequestId } from '@/lib/http/request-id';
import { checkApiBudget } from '@/lib/limits/check-api-budget';
import { getRequestLogger, type Logger } from '@/lib/log';
import { observeHttpRequest } from '@/lib/metrics/registry';

// The contract's schemas are zod/mini, which loads no locale, and classic zod sets English only
// once it builds a schema of its own: set it here, where validation messages reach callers.
z.config(en());

/** Who may call a route; see the contract's `Allow`. */
export type Access = Allow;

type Params = Record<string, string | string[] | undefined>;

export interface RouteContext<A extends Access, P, Q = undefined, B = undefined> {
  request: Request;
  /** `null` only on `allow: 'anyone'` routes, which never look at the token. */
  actor: A extends 'anyone' ? null : Actor;
  /** The path parameters, parsed with the operation's `params` schema. */
  params: P;
  /** The query, parsed with the operation's `query` schema (`undefined` when it declares none). */
  query: Q;
  /** The body, parsed with the operation's `body` schema (`undefined` when it declares none). */
  body: B;
  log: Logger;
  requestId: string;
  /** What the core's use cases record about the call (audit context); built by {@link getRequestContext}. */
  context: RequestContext;
}

/** What a handler returns: a Response as is (status, streaming), or a value sent as JSON 200. */
export type RouteResult = Response | Record<string, unknown> | readonly unknown[];

export type RouteHandler<A extends Access, P, Q = undefined, B = undefined> = (ctx: RouteContext<A, P, Q, B>) => Promise<RouteResult>;

/** Next's handler signature: `(request, { params: Promise<…> })`. */
export type NextRouteHandler = (request: Request, context: { params: Promise<Params> }) => Promise<Response>;

type OperationTable = typeof operations;
/** The id of an operation in the contract's table. */
export type OperationId = OperationTable[number]['id'];
type OperationById<I extends OperationId> = Extract<OperationTable[number], { id: I }>;
type Parsed<O, K extends string, Absent> = O extends { readonly [P in K]: infer S extends z.core.$ZodType } ? z.output<S> : Absent;

/** The handler context of operation `I`, typed from the table. */
export type OperationContext<I extends OperationId, B = Parsed<OperationById<I>, 'body', undefined>> = RouteContext<
  OperationById<I>['allow'],
  Parsed<OperationById<I>, 'params', Record<string, never>>,
  Parsed<OperationById<I>, 'query', undefined>,
  B
>;

/**
 * How a route names its operation. `body: 'unparsed'` hands the handler the JSON body as it came
 * (`unknown`): for the use cases that validate it themselves after checks that must come first
 * (the admin's role and step-up before a policy body), so a refusal does not depend on the body.
 */
export type RouteDeclaration<I extends OperationId> = I | { operation: I; body?: 'parsed' | 'unparsed' };

/** A JSON response with an explicit status (e.g. 201). */
export function json(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...init.headers },
  });
}

const MAX_USER_AGENT_LENGTH = 512;

/**
 * The audit context of an API call. `ip` is what the trusted proxies vouch for (TRUSTED_PROXY_HOPS,
 * see lib/http/client-address.ts), `null` without one; `requestId` is always the server's own and
 * a plain `x-request-id` from the client is kept apart as `clientRequestId`. The user agent is
 * capped here; the audit writer also strips control characters and redacts token-shaped text in
 * it, so a hostile header is cut rather than failing the call.
 */
export function getRequestContext(
  request: Request,
  requestId: string,
  log: Logger,
  trustedProxyHops: number = getEnv().trustedProxyHops,
): RequestContext {
  const userAgent = request.headers.get('user-agent');
  return {
    requestId,
    ip: getClientAddress(request.headers.get('x-forwarded-for'), trustedProxyHops),
    userAgent: userAgent === null || userAgent === '' ? null : userAgent.slice(0, MAX_USER_AGENT_LENGTH),
    clientRequestId: getClientRequestId(request.headers.get('x-request-id')),
    log,
  };
}

function withStandardHeaders(response: Response, requestId: string): Response {
  // Rebuilt rather than mutated: a Response's headers can be immutable (e.g. from fetch).
  const headers = new Headers(response.headers);
  headers.set('Cache-Control', 'no-store');
  headers.set('x-request-id', requestId);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function authenticate(allow: Access, request: Request): Promise<Actor | null> {
  if (allow === 'anyone') return null;
  const actor = await verifyAccessToken(request.headers.get('authorization'));
  if (allow !== 'signed-in' && !hasAnyRole(actor, allow)) {
    throw new BrokerError('forbidden', 'Your role does not allow this.');
  }
  return actor;
}

interface InputSpec {
  params?: z.core.$ZodType;
  query?: z.core.$ZodType;
  body?: z.core.$ZodType;
  /** `false`: an empty body reads as `{}`. */
  bodyRequired?: boolean;
}

/** Parses what the spec declares, in URL order: path, query, then body. */
async function readInput(spec: InputSpec, request: Request, rawParams: Params): Promise<{ params: unknown; query: unknown; body: unknown }> {
  // A path that names nothing is not found (as an id that does not exist), not a malformed request.
  const params = spec.params === undefined ? rawParams : parsePathOrThrow(spec.params, rawParams);
  const query = spec.query === undefined ? undefined : readQuery(request, spec.query);
  let body: unknown;
  if (spec.body !== undefined) {
    body = spec.bodyRequired === false ? await readOptionalJsonBody(request, spec.body) : await readJsonBody(request, spec.body);
  }
  return { params, query, body };
}

function parsePathOrThrow(schema: z.core.$ZodType, params: Params): unknown {
  const result = z.safeParse(schema, params);
  if (!result.success) throw new BrokerError('not-found');
  return result.data;
}

/** The metrics label and span name of a route outside the contract (the catch-all 404). */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route's span (named by its operation id, never its path: the path holds ids) around the
 * whole call, so the Graph and database spans of the use case are its children, and the duration
 * metric under the same name. Attributes: the route, method, status and the server's request id
 * only — nothing about the caller or the target. A root span: Next's own span above it carries the
 * raw path, and is not exported (lib/metrics/tracing.ts).
 */
function withTelemetry(route: string, run: NextRouteHandler): NextRouteHandler {
  return (request, context) =>
    trace.getTracer('tap-broker.http').startActiveSpan(route, { kind: SpanKind.SERVER, root: true, attributes: { 'http.route': route, 'http.request.method': request.method } }, async (span) => {
      const started = performance.now();
      try {
        const response = await run(request, context);
        span.setAttribute('http.response.status_code', response.status);
        span.setAttribute('request.id', response.headers.get('x-request-id') ?? '');
        if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        observeHttpRequest(route, request.method, response.status, (performance.now() - started) / 1000);
        return response;
      } finally {
        span.end();
      }
    });
}

function createHandler(
  route: string,
  allow: Access,
  input: InputSpec,
  handler: (ctx: RouteContext<Access, unknown, unknown, unknown>) => Promise<RouteResult>,
): NextRouteHandler {
  if (allow !== 'anyone' && allow !== 'signed-in' && (!Array.isArray(allow) || allow.length === 0)) {
    throw new Error('defineRoute: `allow` must be "anyone", "signed-in" or a non-empty list of roles');
  }
  // Counted while in flight, so a graceful shutdown (lib/jobs/graceful-shutdown.ts) waits for it.
  const handle = withTelemetry(route, async (request, context) => {
    const requestId = createRequestId();
    const clientRequestId = getClientRequestId(request.headers.get('x-request-id'));
    const url = new URL(request.url);
    const log = getRequestLogger(requestId, { method: request.method, path: url.pathname, ...(clientRequestId === null ? {} : { clientRequestId }) });
    const started = performance.now();
    let response: Response;
    try {
      const actor = await authenticate(allow, request);
      const handlerLog = actor === null ? log : log.child({ actorId: actor.id });
      let requestContext: RequestContext | undefined;
      // Built on first use: it reads the configuration (TRUSTED_PROXY_HOPS), which a route that
      // records nothing about the call (the OpenAPI document) must not depend on.
      const getContext = () =>
        (requestContext ??= {
          ...getRequestContext(request, requestId, handlerLog),
          ...(actor === null ? {} : { actorName: { id: actor.id, displayName: actor.displayName, userPrincipalName: actor.userPrincipalName } }),
        });
      // Routes open to anyone are not counted: they have no user to count against.
      if (actor !== null) await checkApiBudget(actor, getContext());
      const { params, query, body } = await readInput(input, request, await context.params);
      const result = await handler({
        request,
        actor,
        params,
        query,
        body,
        log: handlerLog,
        requestId,
        get context() {
          return getContext();
        },
      });
      response = result instanceof Response ? result : json(result);
    } catch (error) {
      response = errorToResponse(error, log);
    }
    log.info({ status: response.status, durationMs: Math.round(performance.now() - started) }, 'request completed');
    return withStandardHeaders(response, requestId);
  });
  return (request, context) => trackRequest(() => handle(request, context));
}

/** The operation `id` of the contract's table; throws (at module load) for an id it does not have. */
export function getOperation(id: string): Operation {
  const operation = (operations as readonly Operation[]).find((candidate) => candidate.id === id);
  if (operation === undefined) throw new Error(`defineRoute: the contract has no operation ${id}`);
  return operation;
}

/** Declares an API route by its operation in the contract; the handler gets its input parsed. See the module comment. */
export function defineRoute<const I extends OperationId>(declaration: I | { operation: I; body?: 'parsed' }, handler: (ctx: OperationContext<I>) => Promise<RouteResult>): NextRouteHandler;
export function defineRoute<const I extends OperationId>(declaration: { operation: I; body: 'unparsed' }, handler: (ctx: OperationContext<I, unknown>) => Promise<RouteResult>): NextRouteHandler;
/**
 * A route outside the contract, which still says who may call it: only the catch-all that answers
 * 404 for paths no operation claims.
 */
export function defineRoute<const A extends Access>(declaration: { allow: A }, handler: RouteHandler<A, Params>): NextRouteHandler;
export function defineRoute(
  declaration: RouteDeclaration<OperationId> | { allow: Access },
  handler: (ctx: RouteContext<Access, never, never, never>) => Promise<RouteResult>,
): NextRouteHandler {
  const run = handler as (ctx: RouteContext<Access, unknown, unknown, unknown>) => Promise<RouteResult>;
  if (typeof declaration === 'object' && 'allow' in declaration) return createHandler(UNMATCHED_ROUTE, declaration.allow, {}, run);
  const { operation: id, body: bodyMode = 'parsed' } = typeof declaration === 'string' ? { operation: declaration } : declaration;
  const operation = getOperation(id);
  const input: InputSpec = {
    params: operation.params,
    query: operation.query,
    // Unparsed still reads the body as JSON: only its shape is left to the use case.
    body: operation.body === undefined ? undefined : bodyMode === 'unparsed' ? z.unknown() : operation.body,
    bodyRequired: operation.bodyRequired,
  };
  return createHandler(operation.id, operation.allow, input, run);
}

/** The largest JSON body any route accepts; a reverse proxy in front should refuse larger ones first. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

function bodyTooLarge(): BrokerError {
  return new BrokerError('validation-failed', `The body is too large (at most ${MAX_JSON_BODY_BYTES} bytes).`, { errors: [{ path: '', message: 'body too large' }] });
}

/**
 * The body as text, read with a byte cap: a declared `Content-Length` over the cap is refused
 * before a byte is read, and a body without one (chunked) is read only until it passes the cap,
 * so a huge body costs at most the cap in memory. Bytes that are not UTF-8 are refused, not
 * replaced.
 */
export async function readBodyText(request: Request, maxBytes = MAX_JSON_BODY_BYTES): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    // The server may already be pulling the upload into the body stream: stop it.
    await request.body?.cancel().catch(() => undefined);
    throw bodyTooLarge();
  }
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Stops the upload here; what the client still sends is discarded unread.
      await reader.cancel().catch(() => undefined);
      throw bodyTooLarge();
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new BrokerError('validation-failed', 'The body is not valid UTF-8.', { errors: [{ path: '', message: 'invalid UTF-8' }] });
  }
}

/**
 * Reads and validates a JSON body. A missing, oversized, unparsable or invalid body is
 * `validation-failed` with the zod issues (never the rejected values) in `errors`.
 */
export async function readJsonBody<T extends z.core.$ZodType>(request: Request, schema: T): Promise<z.infer<T>> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new BrokerError('validation-failed', 'The body must be JSON (Content-Type: application/json).', {
      errors: [{ path: '', message: 'expected application/json' }],
    });
  }
  const text = await readBodyText(request);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BrokerError('validation-failed', 'The body is not valid JSON.', { errors: [{ path: '', message: 'invalid JSON' }] });
  }
  return parseOrThrow(schema, body);
}

/**
 * Like {@link readJsonBody} for routes whose body is optional (e.g. approve with no comment): an
 * empty body without a Content-Type reads as `{}`; anything else must be valid JSON for `schema`.
 */
export async function readOptionalJsonBody<T extends z.core.$ZodType>(request: Request, schema: T): Promise<z.infer<T>> {
  if (request.headers.get('content-type') === null && request.body === null) return parseOrThrow(schema, {});
  if (request.headers.get('content-type') === null) {
    const text = await readBodyText(request);
    if (text.trim() === '') return parseOrThrow(schema, {});
    throw new BrokerError('validation-failed', 'The body must be JSON (Content-Type: application/json).', {
      errors: [{ path: '', message: 'expected application/json' }],
    });
  }
  return readJsonBody(request, schema);
}

/** Validates the query string (single-valued parameters) with `schema`. */
export function readQuery<T extends z.core.$ZodType>(request: Request, schema: T): z.infer<T> {
  const query = Object.fromEntries(new URL(request.url).searchParams.entries());
  return parseOrThrow(schema, query);
}

function parseOrThrow<T extends z.core.$ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = z.safeParse(schema, input);
  if (!result.success) {
    throw new BrokerError('validation-failed', 'The request is malformed.', { errors: toValidationIssues(result.error) });
  }
  return result.data;
}
