import 'server-only';
import type { Logger } from '@/lib/log';

/**
 * Where a use case was invoked from: what the audit trail records about the call (request id,
 * client IP, user agent, the caller's own request id) and the request's logger. Route handlers
 * build it from the HTTP request; background jobs (the reconciler) use {@link systemContext}.
 */
export interface RequestContext {
  /** The server's own id for the call (a UUID for API calls); never the client's. */
  requestId: string;
  /** The client's address as far as trusted proxies vouch for it (lib/http/client-address.ts); `null` when nothing does. */
  ip: string | null;
  userAgent: string | null;
  /** The `x-request-id` the client sent, when plain: its claim, kept apart from `requestId`. Absent for the broker's own work. */
  clientRequestId?: string | null;
  /** The signed-in caller's names from the token, which the audit writer records beside their id (readability, not evidence). */
  actorName?: RecordedNameInput;
  log: Logger;
}

/** A person's names as the broker knows them at the time, recorded beside the ids audit events hold. */
export interface RecordedNameInput {
  id: string;
  displayName: string;
  userPrincipalName: string;
}

/** The actor id the audit trail uses for what the broker does on its own (reconciler, expiry). */
export const SYSTEM_ACTOR_ID = 'system';

export function systemContext(log: Logger, requestId: string): RequestContext {
  return { requestId, ip: null, userAgent: null, log };
}
