import 'server-only';
import type { Logger } from '@/lib/log';

/**
 * Where a use case was invoked from: what the audit trail records about the call (request id,
 * client IP, user agent) and the request's logger. Route handlers build it from the HTTP request;
 * background jobs (the reconciler) use {@link systemContext}.
 */
export interface RequestContext {
  requestId: string;
  /** The client's address as the portal saw it (first X-Forwarded-For hop when behind a proxy). */
  ip: string | null;
  userAgent: string | null;
  log: Logger;
}

/** The actor id the audit trail uses for what the broker does on its own (reconciler, expiry). */
export const SYSTEM_ACTOR_ID = 'system';

export function systemContext(log: Logger, requestId: string): RequestContext {
  return { requestId, ip: null, userAgent: null, log };
}
