// An approver's decision on a pending request: the call that records it, and the shape a decision
// takes while it waits for the second factor.
import { parseTapRequest, type TapRequest } from '@/lib/client/portal-types';
import type { PortalApiCall } from '@/lib/client/use-portal-api';

export type Decision = 'approve' | 'deny';

/** A decision interrupted by the second factor, being retried after it, or why that failed. */
export type ResumedDecision = { requestId: string; decision: Decision; text: string } & (
  | { phase: 'running' }
  | { phase: 'failed'; error: unknown }
);

/** `text`: the reason for a denial, or the optional comment on an approval. */
export async function postDecision(call: PortalApiCall, requestId: string, decision: Decision, text: string): Promise<TapRequest> {
  const body = await call(`/api/tap-requests/${encodeURIComponent(requestId)}/${decision}`, {
    method: 'POST',
    body: decision === 'deny' ? { reason: text } : text === '' ? {} : { comment: text },
  });
  return parseTapRequest(body);
}
