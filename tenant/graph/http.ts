/**
 * The Graph half's internal request/response model. A top-level HTTP request and an item of a
 * `$batch` are both turned into a `GraphRequest` and answered with a `GraphResponse`, so the same
 * router (and the same permission checks) serve both.
 */
import { randomUUID } from 'node:crypto';
import type { GraphCaller, TenantContext } from '../types';

export type GraphVersion = 'v1.0' | 'beta';

export interface GraphRequest {
  method: string; // upper case
  version: GraphVersion;
  /** Path after the version, decoded per segment, e.g. ['users', 'abc', 'directReports']. */
  segments: string[];
  /** Query options; keys lower-cased (`$select`), values decoded. */
  query: Map<string, string>;
  /** Request headers, keys lower-cased. */
  headers: Record<string, string>;
  /** Raw request body (UTF-8) or null when there was none. */
  body: string | null;
  requestId: string;
  clientRequestId: string;
  /** True for an item carried inside `$batch` (a nested `$batch` is refused). */
  inBatch: boolean;
}

export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  /** A JSON value, a string for `text/plain`, or undefined for an empty body (204). */
  body: unknown;
  /**
   * Fault injection only: send nothing and keep the connection open until the client gives up
   * (or the tenant closes). A `$batch` holding such an item hangs as a whole.
   */
  hang?: boolean;
}

/** Everything a route handler needs besides the request. */
export interface GraphEnv {
  ctx: TenantContext;
  caller: GraphCaller;
  req: GraphRequest;
}

/** Graph's own content type for JSON payloads (the Graph client only checks for `application/json`). */
export const JSON_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** `innerError.date` is UTC without a zone designator and without fractions (Graph's format). */
export function graphErrorDate(now: Date = new Date()): string {
  return now.toISOString().slice(0, 19);
}

export function newRequestIds(headers: Record<string, string>): { requestId: string; clientRequestId: string } {
  const requestId = randomUUID();
  const supplied = headers['client-request-id'];
  // Graph echoes a caller-supplied client-request-id; without one it reports its own request id.
  return { requestId, clientRequestId: supplied && supplied.length <= 200 ? supplied : requestId };
}

function baseHeaders(req: GraphRequest): Record<string, string> {
  return { 'request-id': req.requestId, 'client-request-id': req.clientRequestId };
}

export function jsonResponse(req: GraphRequest, status: number, body: unknown, extra: Record<string, string> = {}): GraphResponse {
  return { status, headers: { ...baseHeaders(req), 'Content-Type': JSON_CONTENT_TYPE, ...extra }, body };
}

export function textResponse(req: GraphRequest, status: number, text: string): GraphResponse {
  return { status, headers: { ...baseHeaders(req), 'Content-Type': 'text/plain' }, body: text };
}

export function noContent(req: GraphRequest): GraphResponse {
  return { status: 204, headers: baseHeaders(req), body: undefined };
}

/** Graph's error envelope: note the camelCase `innerError` key, which the Graph JS client reads. */
export function errorResponse(req: GraphRequest, status: number, code: string, message: string, extra: Record<string, string> = {}): GraphResponse {
  return jsonResponse(
    req,
    status,
    {
      error: {
        code,
        message,
        innerError: { date: graphErrorDate(), 'request-id': req.requestId, 'client-request-id': req.clientRequestId },
      },
    },
    extra,
  );
}

/**
 * Thrown by handlers deep inside parsing helpers; the router turns it into `errorResponse`.
 * Keeps the helpers free of response plumbing.
 */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GraphHttpError';
  }
}

export function notFoundResource(idOrName: string): GraphHttpError {
  return new GraphHttpError(
    404,
    'Request_ResourceNotFound',
    `Resource '${idOrName}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

export function badRequest(message: string, code = 'Request_BadRequest'): GraphHttpError {
  return new GraphHttpError(400, code, message);
}

/** Parses a JSON body; an absent body is `undefined`. */
export function parseJsonBody(req: GraphRequest): unknown {
  if (req.body === null || req.body.trim() === '') return undefined;
  try {
    return JSON.parse(req.body) as unknown;
  } catch {
    throw badRequest('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.', 'BadRequest');
  }
}

/** A body that must be a JSON object (every create, update and action): the object, or Graph's 400. */
export function requireJsonObjectBody(req: GraphRequest): Record<string, unknown> {
  const body = parseJsonBody(req);
  if (!isPlainObject(body)) throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
  return body;
}

export function isJsonContentType(req: GraphRequest): boolean {
  const ct = req.headers['content-type'];
  return ct !== undefined && /^application\/json\b/i.test(ct.trim());
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Base URL of this tenant's Graph for a version, e.g. `https://localhost:8443/graph/v1.0`. */
export function graphRoot(ctx: TenantContext, version: GraphVersion): string {
  return `${ctx.baseUrl}/graph/${version}`;
}

export function hasConsistencyEventual(req: GraphRequest): boolean {
  return (req.headers['consistencylevel'] ?? '').trim().toLowerCase() === 'eventual';
}
