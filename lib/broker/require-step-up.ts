import 'server-only';
import type { Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { getStepUpChallenge, getStepUpError, type StepUpAction, type StepUpChallenge } from '@/lib/broker/step-up';
import { auditAlone } from '@/lib/broker/tap-request-store';
import type { PrismaClient, TapRequest } from '@/lib/db/generated/client';

/**
 * Step-up enforced for a use case (`requireStepUp`): the action goes ahead, or the refusal is
 * audited and thrown as `step-up-required`. The pure rules are in step-up.ts.
 */

/** What the refused action was about: a TAP request (issue, approve, deny) or the policy. */
export type StepUpSubject = { request: Pick<TapRequest, 'id' | 'targetUserId'> } | { policy: true };

/** The refusal's audit evidence: which context was needed and which the token proved (never the token). */
export function getStepUpEvidence(actor: Pick<Actor, 'authContexts'>, challenge: StepUpChallenge, policy: Pick<BrokerPolicy, 'version'>) {
  return {
    code: 'step-up-required' as const,
    authContextId: challenge.authContextId,
    presentedAuthContexts: [...actor.authContexts],
    stepUp: challenge.stepUp,
    proofAgeSeconds: challenge.proofAgeSeconds,
    policyVersion: policy.version,
  };
}

/**
 * Lets `action` go ahead when `policy` does not need step-up for it or the caller's token proves
 * the policy's authentication context; otherwise records the refusal (`tap_request.refused` with
 * the action as `stage`, or `policy.update_refused`) in a transaction of its own and throws
 * 401 `step-up-required`. Call it before any state change and any Graph call: it changes nothing
 * but the audit trail.
 *
 * @throws BrokerError step-up-required (with `authContextId`, which the response turns into the
 *   claims challenge)
 */
export async function requireStepUp(
  db: PrismaClient,
  actor: Actor,
  policy: BrokerPolicy,
  action: StepUpAction,
  subject: StepUpSubject,
  ctx: RequestContext,
): Promise<void> {
  const challenge = getStepUpChallenge(actor, policy, action);
  if (challenge === null) return;
  const evidence = getStepUpEvidence(actor, challenge, policy);
  if ('request' in subject) {
    await auditAlone(db, {
      type: 'tap_request.refused',
      actorId: actor.id,
      targetId: subject.request.targetUserId,
      requestId: subject.request.id,
      data: { ...evidence, stage: action },
      context: ctx,
    });
  } else {
    await auditAlone(db, { type: 'policy.update_refused', actorId: actor.id, data: evidence, context: ctx });
  }
  ctx.log.info({ action, authContextId: challenge.authContextId, stepUp: challenge.stepUp }, 'step-up required');
  throw getStepUpError(challenge, action);
}
