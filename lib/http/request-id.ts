/**
 * Request ids. The server names every call itself (a UUID, returned as `x-request-id`, in the
 * logs and the audit trail): an id a client chose is not a fact about the call and must not be
 * able to collide with, or impersonate, another call's. A gateway's or caller's own id is still
 * worth keeping for correlation, so a plain one is recorded beside ours as `clientRequestId`.
 */
import { randomUUID } from 'node:crypto';

/** Short and plain: nothing a log viewer or a spreadsheet could take for markup or a formula. */
const SANE_CLIENT_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A fresh id for a call; never taken from the request. */
export function createRequestId(): string {
  return randomUUID();
}

/** The caller's `x-request-id` when it is at most 64 of `[A-Za-z0-9._-]`, else `null`. */
export function getClientRequestId(headerValue: string | null): string | null {
  return headerValue !== null && SANE_CLIENT_REQUEST_ID.test(headerValue) ? headerValue : null;
}
