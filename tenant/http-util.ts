/**
 * Small HTTP helpers shared by the Entra half and the Graph half of the local tenant.
 * Framework-free on purpose: the tenant is a plain `node:https` server.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Thrown by {@link readBody} when a body exceeds its limit; the server answers 413. */
export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Default cap on request bodies; `PUT /_tenant/seed` raises it for large generated orgs. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** Reads the whole request body as UTF-8, refusing bodies over `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads an `application/x-www-form-urlencoded` body. */
export async function readForm(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<URLSearchParams> {
  return new URLSearchParams(await readBody(req, limit));
}

/** Parses a JSON body; `undefined` for an empty body, throws `SyntaxError` on bad JSON. */
export async function readJson(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const text = await readBody(req, limit);
  if (text.trim() === '') return undefined;
  return JSON.parse(text) as unknown;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  sendText(res, status, html, 'text/html; charset=utf-8', {
    // The sign-in page holds a password field: never cache it, never let it be framed by others.
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'self'; base-uri 'none'",
    ...headers,
  });
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(302, { Location: location, 'Cache-Control': 'no-store', ...headers });
  res.end();
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export interface CorsOptions {
  /** Methods allowed on the resource (OPTIONS is added). */
  methods: string[];
  /**
   * `*` for public metadata (discovery, keys: Entra answers `*`); `reflect` echoes the request's
   * Origin, which the token endpoint needs because SPAs redeem codes cross-origin.
   */
  origin: '*' | 'reflect';
}

/** Headers the browser's MSAL sends to Entra cross-origin; allowed on preflight. */
const CORS_ALLOWED_HEADERS = [
  'content-type',
  'x-anchormailbox',
  'client-request-id',
  'return-client-request-id',
  'x-client-sku',
  'x-client-ver',
  'x-client-os',
  'x-client-cpu',
  'x-client-current-telemetry',
  'x-client-last-telemetry',
  'x-ms-lib-capability',
  'x-app-name',
  'x-app-ver',
  'authorization',
  'consistencylevel',
];

/**
 * Sets CORS headers. Returns true when the request was a preflight and has been answered.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, opts: CorsOptions): boolean {
  const origin = req.headers.origin;
  if (opts.origin === '*') {
    res.setHeader('Access-Control-Allow-Origin', '*');
  } else if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
  }
  res.setHeader('Access-Control-Expose-Headers', 'client-request-id, x-ms-request-id, request-id, Retry-After');
  if (req.method !== 'OPTIONS') return false;
  const requested = req.headers['access-control-request-headers'];
  res.writeHead(204, {
    'Access-Control-Allow-Methods': [...opts.methods, 'OPTIONS'].join(', '),
    'Access-Control-Allow-Headers': typeof requested === 'string' && requested.length > 0 ? requested : CORS_ALLOWED_HEADERS.join(', '),
    'Access-Control-Max-Age': '86400',
  });
  res.end();
  return true;
}

/** Graph's `innerError.date`: UTC, seconds precision, no `Z` (e.g. `2025-02-13T10:17:06`). */
export function graphDate(now = new Date()): string {
  return now.toISOString().slice(0, 19);
}

/** The `client-request-id` the caller sent, or a fresh one (Graph echoes or invents it). */
export function clientRequestId(req: IncomingMessage): string {
  const h = req.headers['client-request-id'];
  const v = Array.isArray(h) ? h[0] : h;
  return v && /^[\w-]{1,100}$/.test(v) ? v : randomUUID();
}

/** Builds Graph's error envelope (also used for `$batch` item bodies). */
export function graphErrorBody(
  code: string,
  message: string,
  ids: { requestId: string; clientRequestId: string },
  now = new Date(),
): { error: { code: string; message: string; innerError: Record<string, string> } } {
  return {
    error: {
      code,
      message,
      innerError: { date: graphDate(now), 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId },
    },
  };
}

/**
 * Answers with Graph's error envelope (`innerError` camelCase, `date` without `Z`) and the
 * `request-id` / `client-request-id` headers that the Graph SDK reads.
 */
export function sendGraphError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  req: IncomingMessage,
  headers: Record<string, string> = {},
): void {
  const ids = { requestId: randomUUID(), clientRequestId: clientRequestId(req) };
  sendJson(res, status, graphErrorBody(code, message, ids), {
    'request-id': ids.requestId,
    'client-request-id': ids.clientRequestId,
    'Cache-Control': 'no-store',
    ...headers,
  });
}

/** Parses the `Cookie` header (the sign-in session cookie lives there). */
export function parseCookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  const header = req.headers.cookie;
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    try {
      out.set(name, decodeURIComponent(value));
    } catch {
      out.set(name, value);
    }
  }
  return out;
}
