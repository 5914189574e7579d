import 'server-only';
import { hasAnyRole, type Actor } from '@/lib/auth/actor';
import { BrokerError } from '@/lib/core/errors';
import { findRequest, sameId } from '@/lib/broker/tap-request-store';
import { resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { toRequestView, type TapRequestView } from '@/lib/broker/to-request-view';

/**
 * One request, for its requester, approvers, auditors and admins. Everyone else — and ids that
 * are unknown or not even UUIDs — gets the same 404, so the answer says nothing about whether a
 * request exists.
 */
export async function getTapRequest(actor: Actor, input: { id: string }, options: UseCaseOptions = {}): Promise<TapRequestView> {
  const db = await resolveDb(options);
  const request = await findRequest(db, input.id);
  if (request === null || !(sameId(request.requesterId, actor.id) || hasAnyRole(actor, ['approver', 'auditor']))) {
    throw new BrokerError('not-found', 'No such request.');
  }
  return toRequestView(request);
}
