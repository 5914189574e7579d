/**
 * The route wrapper every API handler goes through. A route cannot exist without saying who may
 * call it (`allow` is required, and there is no default), and the wrapper does the rest the same
 * way everywhere: request id → authenticate → authorize → handler → JSON response, with
 * `Cache-Control: no-store` and `x-request-id` on every answer and every error mapped to
 * problem+json in one place.
 *
 * `allow` only gates on the token. Authorization that depends on data (the org chart, who owns a
 * request) lives in the core, which re-checks it against Graph and the database.
 *
 * ```ts
 * export const GET = defineRoute({ allow: ['approver', 'auditor'] }, async ({ actor, log }) => listX(actor));
 * ```
 */
import { z } from 'zod';
import { hasAnyRole, type Actor, type RoleName } from '@/lib/auth/actor';
import { verifyAccessToken } from '@/lib/auth/verify-access-token';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { errorToResponse, toValidationIssues } from '@/lib/http/problem';
import { getRequestId, getRequestLogger, type Logger } from '@/lib/log';

/**
 * - `'anyone'`: no token is read (health, config).
 * - `'signed-in'`: any valid token for the portal API — the manager routes; member-ness and the
 *   org chart are checked by the core in Graph.
 * - a list of roles: the caller must hold at least one (admin implies approver and auditor).
 */
export type Access = 'anyone' | 'signed-in' | readonly [RoleName, ...RoleName[]];

type Params = Record<string, string | string[] | undefined>;

export interface RouteContext<A extends Access, P extends Params> {
  request: Request;
  /** `null` only on `allow: 'anyone'` routes, which never look at the token. */
  actor: A extends 'anyone' ? null : Actor;
  params: P;
  log: Logger;
  requestId: string;
  /** What the core's use cases record about the call (audit context); built by {@link getRequestContext}. */
  context: RequestContext;
}

/** What a handler returns: a Response as is (status, streaming), or a value sent as JSON 200. */
export type RouteResult = Response | Record<string, unknown> | readonly unknown[];

export type RouteHandler<A extends Access, P extends Params> = (ctx: RouteContext<A, P>) => Promise<RouteResult>;

/** Next's handler signature: `(request, { params: Promise<…> })`. */
export type NextRouteHandler<P extends Params> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

/** A JSON response with an explicit status (e.g. 201). */
export function json(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...init.headers },
  });
}

const MAX_USER_AGENT_LENGTH = 512;
// An IPv4 or IPv6 literal (optionally with a zone); anything else in the header is not recorded.
const IP_LITERAL = /^[0-9a-f:.]{2,39}(?:%[\w.-]{1,16})?$/i;

/**
 * The audit context of an API call. `ip` is the first `X-Forwarded-For` hop: Next fills the
 * header with the socket's address when the client sent none, and a reverse proxy in front of
 * the portal must overwrite it (a client can claim any address when nothing does). Only an IP
 * literal is kept and the user agent is capped, so the audit trail cannot be stuffed through
 * these headers.
 */
export function getRequestContext(request: Request, requestId: string, log: Logger): RequestContext {
  const first = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() ?? '';
  const userAgent = request.headers.get('user-agent');
  return {
    requestId,
    ip: IP_LITERAL.test(first) ? first : null,
    userAgent: userAgent === null || userAgent === '' ? null : userAgent.slice(0, MAX_USER_AGENT_LENGTH),
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

async function authenticate<A extends Access>(allow: A, request: Request): Promise<Actor | null> {
  if (allow === 'anyone') return null;
  const actor = await verifyAccessToken(request.headers.get('authorization'));
  if (allow !== 'signed-in' && !hasAnyRole(actor, allow)) {
    throw new BrokerError('forbidden', 'Your role does not allow this.');
  }
  return actor;
}

/** Declares an API route: who may call it, and the handler. See the module comment. */
export function defineRoute<const A extends Access, P extends Params = Params>(
  options: { allow: A },
  handler: RouteHandler<A, P>,
): NextRouteHandler<P> {
  const { allow } = options;
  if (allow !== 'anyone' && allow !== 'signed-in' && (!Array.isArray(allow) || allow.length === 0)) {
    throw new Error('defineRoute: `allow` must be "anyone", "signed-in" or a non-empty list of roles');
  }
  return async (request, context) => {
    const requestId = getRequestId(request.headers.get('x-request-id'));
    const url = new URL(request.url);
    const log = getRequestLogger(requestId, { method: request.method, path: url.pathname });
    const started = performance.now();
    let response: Response;
    try {
      const actor = await authenticate(allow, request);
      const params = await context.params;
      const handlerLog = actor === null ? log : log.child({ actorId: actor.id });
      const result = await handler({
        request,
        actor: actor as RouteContext<A, P>['actor'],
        params,
        log: handlerLog,
        requestId,
        context: getRequestContext(request, requestId, handlerLog),
      });
      response = result instanceof Response ? result : json(result);
    } catch (error) {
      response = errorToResponse(error, log);
    }
    log.info({ status: response.status, durationMs: Math.round(performance.now() - started) }, 'request completed');
    return withStandardHeaders(response, requestId);
  };
}

const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * Reads and validates a JSON body. A missing, oversized, unparsable or invalid body is
 * `validation-failed` with the zod issues (never the rejected values) in `errors`.
 */
export async function readJsonBody<T extends z.ZodType>(request: Request, schema: T): Promise<z.infer<T>> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new BrokerError('validation-failed', 'The body must be JSON (Content-Type: application/json).', {
      errors: [{ path: '', message: 'expected application/json' }],
    });
  }
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_JSON_BODY_BYTES) {
    throw new BrokerError('validation-failed', 'The body is too large.', { errors: [{ path: '', message: 'body too large' }] });
  }
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
export async function readOptionalJsonBody<T extends z.ZodType>(request: Request, schema: T): Promise<z.infer<T>> {
  if (request.headers.get('content-type') === null && request.body === null) return parseOrThrow(schema, {});
  if (request.headers.get('content-type') === null) {
    const text = await request.text();
    if (text.trim() === '') return parseOrThrow(schema, {});
    throw new BrokerError('validation-failed', 'The body must be JSON (Content-Type: application/json).', {
      errors: [{ path: '', message: 'expected application/json' }],
    });
  }
  return readJsonBody(request, schema);
}

/** Validates the query string (single-valued parameters) with `schema`. */
export function readQuery<T extends z.ZodType>(request: Request, schema: T): z.infer<T> {
  const query = Object.fromEntries(new URL(request.url).searchParams.entries());
  return parseOrThrow(schema, query);
}

function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new BrokerError('validation-failed', 'The request is malformed.', { errors: toValidationIssues(result.error) });
  }
  return result.data;
}
