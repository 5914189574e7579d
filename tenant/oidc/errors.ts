/**
 * Entra-shaped OAuth errors (docs/graph-behaviours.md#sign-in-endpoints):
 * `{ error, error_description: "AADSTSnnnn: …\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …",
 *    error_codes: [n], timestamp: "YYYY-MM-DD hh:mm:ssZ", trace_id, correlation_id, error_uri }`.
 * MSAL reads the AADSTS number from `error_codes[0]`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http-util';

export interface EntraError {
  /** OAuth error code: invalid_request, invalid_grant, invalid_client, unauthorized_client, invalid_scope… */
  error: string;
  /** AADSTS number. */
  code: number;
  /** Message after `AADSTSnnnn: `. */
  message: string;
  /** HTTP status for the token endpoint (400 unless said otherwise; invalid_client is 401). */
  status?: number;
  /** Entra's `suberror` (e.g. `basic_action`): tells MSAL that interaction can resolve the error. */
  suberror?: string;
}

export function entraError(error: string, code: number, message: string, status?: number): EntraError {
  return status === undefined ? { error, code, message } : { error, code, message, status };
}

function entraTimestamp(d: Date): string {
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}Z`;
}

/** The correlation id Entra echoes: the caller's `client-request-id` (header or query), else a fresh one. */
export function correlationIdOf(req: IncomingMessage, query?: URLSearchParams): string {
  const h = req.headers['client-request-id'];
  const fromHeader = Array.isArray(h) ? h[0] : h;
  const v = fromHeader ?? query?.get('client-request-id') ?? undefined;
  return v && /^[\w-]{1,100}$/.test(v) ? v : randomUUID();
}

export interface EntraErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
}

export function entraErrorBody(e: EntraError, baseUrl: string, correlationId: string): EntraErrorBody {
  const now = new Date();
  const traceId = randomUUID();
  const timestamp = entraTimestamp(now);
  return {
    error: e.error,
    error_description: `AADSTS${e.code}: ${e.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [e.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${baseUrl}/error?code=${e.code}`,
    ...(e.suberror === undefined ? {} : { suberror: e.suberror }),
  };
}

export function sendEntraError(
  req: IncomingMessage,
  res: ServerResponse,
  e: EntraError,
  baseUrl: string,
  query?: URLSearchParams,
): void {
  const correlationId = correlationIdOf(req, query);
  sendJson(res, e.status ?? 400, entraErrorBody(e, baseUrl, correlationId), {
    'Cache-Control': 'no-store, no-cache',
    Pragma: 'no-cache',
    'client-request-id': correlationId,
    'x-ms-request-id': randomUUID(),
  });
}
