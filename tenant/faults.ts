/**
 * Fault injection and request counting for the local Graph (never for the Entra endpoints:
 * msal-node turns a 429 from /token into a local refusal for Retry-After seconds, which would
 * make a test's later steps fail for reasons unrelated to what it tests).
 *
 * Order per Graph request: count it, wait `latencyMs`, then at most one of: drop the
 * connection (`dropNext`), answer 503 (`unavailableNext`), answer 429 (`throttleNext`, then
 * `throttleRate`). A `$batch` is one request here; the Graph half counts its inner requests
 * in `stats.batched`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { clientRequestId, graphDate, sendGraphError, sendJson } from './http-util';
import type { FaultState, RequestStats, TenantContext } from './types';

export function defaultFaults(): FaultState {
  return {
    latencyMs: 0,
    throttleRate: 0,
    throttleNext: 0,
    retryAfterSeconds: 2,
    unavailableNext: 0,
    dropNext: 0,
    batchItemThrottleNext: 0,
    batchItemThrottleRate: 0,
    tapCreateHangNext: 0,
    tapCreateFailAfterNext: 0,
    tapCreateFailNext: 0,
    sendMailFailNext: 0,
    deltaResyncNext: 0,
  };
}

export const faultPatchSchema = z
  .object({
    latencyMs: z.number().int().min(0).max(120_000),
    throttleRate: z.number().min(0).max(1),
    throttleNext: z.number().int().min(0),
    retryAfterSeconds: z.number().int().min(0).max(3600),
    unavailableNext: z.number().int().min(0),
    dropNext: z.number().int().min(0),
    batchItemThrottleNext: z.number().int().min(0),
    batchItemThrottleRate: z.number().min(0).max(1),
    tapCreateHangNext: z.number().int().min(0),
    tapCreateFailAfterNext: z.number().int().min(0),
    tapCreateFailNext: z.number().int().min(0),
    sendMailFailNext: z.number().int().min(0),
    deltaResyncNext: z.number().int().min(0),
  })
  .partial()
  .strict();

function envNumber(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got "${raw}"`);
  return n;
}

/**
 * Baseline faults from `TENANT_FAULT_LATENCY_MS`, `TENANT_FAULT_THROTTLE_RATE` (0..1) and
 * `TENANT_FAULT_RETRY_AFTER` (seconds). Throws on values out of range.
 */
export function faultsFromEnv(env: Record<string, string | undefined> = process.env): FaultState {
  const patch = {
    latencyMs: envNumber(env, 'TENANT_FAULT_LATENCY_MS'),
    throttleRate: envNumber(env, 'TENANT_FAULT_THROTTLE_RATE'),
    retryAfterSeconds: envNumber(env, 'TENANT_FAULT_RETRY_AFTER'),
  };
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const parsed = faultPatchSchema.safeParse(defined);
  if (!parsed.success) {
    throw new Error(`invalid TENANT_FAULT_* setting: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return { ...defaultFaults(), ...parsed.data };
}

export function emptyStats(): RequestStats {
  return { graph: {}, batched: {}, entra: {}, events: {} };
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function templateSegment(seg: string): string {
  let s = seg;
  try {
    s = decodeURIComponent(seg);
  } catch {
    // keep the raw segment
  }
  // OData key syntax: users('id') → users/{id}
  const key = /^([A-Za-z.]+)\('.*'\)$/.exec(s);
  if (key) return `${key[1]}/{id}`;
  // Alternate key: servicePrincipals(appId='id') → servicePrincipals(appId={id})
  const alternate = /^([A-Za-z.]+)\(([A-Za-z]+)='.*'\)$/.exec(s);
  if (alternate) return `${alternate[1]}(${alternate[2]}={id})`;
  if (GUID_RE.test(s) || s.includes('@') || /^\d+$/.test(s)) return '{id}';
  // One template for the delta function however it is spelt (`microsoft.graph.delta()` from SDKs).
  if (/^(?:microsoft\.graph\.)?delta(?:\(\))?$/i.test(s)) return 'delta';
  return s;
}

/**
 * The stats key of a Graph request: `METHOD /v1.0/users/{id}/directReports`, with object ids,
 * UPNs and numeric ids replaced by `{id}` and the query string dropped.
 * @param path the path after `/graph`, with or without a query string
 */
export function graphRequestTemplate(method: string, path: string): string {
  const bare = path.split('?')[0] ?? '';
  const segs = bare.split('/').map((seg) => (seg === '' ? seg : templateSegment(seg)));
  return `${method.toUpperCase()} ${segs.join('/') || '/'}`;
}

export function countRequest(bucket: Record<string, number>, key: string): void {
  bucket[key] = (bucket[key] ?? 0) + 1;
}

/** Graph's 429 body (docs/graph-behaviours.md#throttling). */
export function throttledBody(requestId: string, clientRequestIdValue: string): Record<string, unknown> {
  return {
    error: {
      code: 'TooManyRequests',
      message: 'Please retry again later.',
      innerError: {
        code: '429',
        date: graphDate(),
        message: 'Please retry after',
        'request-id': requestId,
        'client-request-id': clientRequestIdValue,
        status: '429',
      },
    },
  };
}

/** Whether the next `$batch` item is to be throttled (consumes `batchItemThrottleNext`). */
export function takeBatchItemThrottle(f: FaultState): boolean {
  if (f.batchItemThrottleNext > 0) {
    f.batchItemThrottleNext -= 1;
    return true;
  }
  return f.batchItemThrottleRate > 0 && Math.random() < f.batchItemThrottleRate;
}

function sendThrottled(req: IncomingMessage, res: ServerResponse, retryAfterSeconds: number): void {
  const requestId = randomUUID();
  const crid = clientRequestId(req);
  sendJson(res, 429, throttledBody(requestId, crid), {
    'Retry-After': String(retryAfterSeconds),
    'request-id': requestId,
    'client-request-id': crid,
    'x-ms-throttle-scope': 'Tenant_Application/ReadWrite/local',
    'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
  });
}

/**
 * Applies the configured faults to one Graph request. Returns true when the request has been
 * dealt with (answered or dropped) and must not reach the Graph handler.
 */
export async function applyGraphFaults(req: IncomingMessage, res: ServerResponse, ctx: TenantContext): Promise<boolean> {
  const f = ctx.faults;
  if (f.latencyMs > 0) await delay(f.latencyMs);
  if (f.dropNext > 0) {
    f.dropNext -= 1;
    // Destroying the socket mid-request is what a reset connection looks like to the client.
    req.socket.destroy();
    return true;
  }
  if (f.unavailableNext > 0) {
    f.unavailableNext -= 1;
    sendGraphError(res, 503, 'serviceNotAvailable', 'Service unavailable. Please try again later.', req, {
      'Retry-After': String(f.retryAfterSeconds),
    });
    return true;
  }
  if (f.throttleNext > 0) {
    f.throttleNext -= 1;
    sendThrottled(req, res, f.retryAfterSeconds);
    return true;
  }
  if (f.throttleRate > 0 && Math.random() < f.throttleRate) {
    sendThrottled(req, res, f.retryAfterSeconds);
    return true;
  }
  return false;
}
