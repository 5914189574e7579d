import 'server-only';
import type { Actor } from '@/lib/auth/actor';
import type { IssuedTap } from '@/lib/contract/tap-requests';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { checkIssue } from '@/lib/broker/check-issue';
import { createPass } from '@/lib/broker/create-pass';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { recordIssuedPass } from '@/lib/broker/record-issued-pass';
import { requireStepUp } from '@/lib/broker/require-step-up';
import { startIssue } from '@/lib/broker/start-issue';
import { findRequest, sameId } from '@/lib/broker/tap-request-store';
import { resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { kickNotificationDispatcher } from '@/lib/notify/dispatcher-loop';

/**
 * The requester obtains the pass of an approved request, once (`POST /api/tap-requests/{id}/issue`,
 * `issueTap`): check → intent → Graph create → outcome, each step its own file.
 */

export interface IssueTapInput {
  id: string;
}

/**
 * The requester obtains the pass of their approved request — once. Anyone else gets 404: an
 * approved request is not theirs to know about here.
 *
 * 1. Step-up, before anything else can happen (an approval lapsing included) and before Graph: a
 *    session without the second factor learns nothing beyond its own request existing
 *    (`requireStepUp`, 401, audited).
 * 2. `checkIssue`: still approved and in time, and — one Graph round trip, under the policy in
 *    force now — chain, eligibility, automatic approval and terms still hold.
 * 3. `startIssue`: quota and `approved → issuing` with an idempotency key, under a per-requester lock.
 * 4. `createPass`: the second and last Graph round trip.
 * 5. `recordIssuedPass`: `issuing → issued`, audited; the pass is returned, never stored.
 */
export async function issueTap(actor: Actor, input: IssueTapInput, ctx: RequestContext, options: UseCaseOptions = {}): Promise<IssuedTap> {
  const db = await resolveDb(options);
  const request = await findRequest(db, input.id);
  if (request === null || !sameId(request.requesterId, actor.id)) throw new BrokerError('not-found', 'No such request.');
  const policy = await getCurrentPolicy(db);
  await requireStepUp(db, actor, policy, 'issue', { request }, ctx);

  const check = await checkIssue(db, actor, request, policy, ctx);
  const intent = await startIssue(db, actor, request, policy, check, ctx);
  const created = await createPass(db, actor.id, request, intent, check.evidence, ctx);
  const issued = await recordIssuedPass(db, actor.id, request, intent, created, check, ctx);

  kickNotificationDispatcher();
  ctx.log.info({ tapRequestId: request.id, methodId: issued.methodId }, 'TAP issued');
  return issued;
}
