import 'server-only';
import type { Actor } from '@/lib/auth/actor';
import { BrokerError } from '@/lib/core/errors';
import type { BrokerPolicy } from '@/lib/broker/policy';

/**
 * Step-up with a Conditional Access authentication context: the policy names a context
 * (`stepUpAuthContextId`, `c1` … `c99`) that Entra protects with its own rules (MFA, sign-in
 * frequency, a compliant device…), and the access token proves a sign-in satisfied it by listing
 * it in `acrs`. An action that needs it and gets a token without it is answered with Entra's
 * claims challenge (401, `WWW-Authenticate: Bearer error="insufficient_claims", claims="…"`), which
 * MSAL turns into an interactive sign-in asking for exactly that context.
 *
 * The proof must also be recent: a token listing the context but issued more than
 * {@link STEP_UP_MAX_AGE_SECONDS} ago is challenged again. An access token lives about an hour and
 * the browser reuses it, so without this a session left open after one step-up could keep acting
 * for the rest of that hour. Entra decides whether answering the new challenge asks for the second
 * factor again: always with the Conditional Access sign-in frequency "Every time" (recommended),
 * or only once its time-based frequency has run out.
 *
 * Pure functions, no I/O: the use cases call {@link getStepUpChallenge} after finding out that
 * the action is the caller's to attempt, and before any state change or Graph call — the check
 * only reads the token, so an idle or stolen session is stopped before anything happens.
 */

/**
 * How old (from its `iat`) a token proving the authentication context may be for a step-up action.
 * Entra dates `iat` (and `nbf`) five minutes back for clock skew, so this leaves about ten minutes
 * after the second factor: enough for an approver to work through a queue, not an idle session.
 */
export const STEP_UP_MAX_AGE_SECONDS = 15 * 60;

/** What can need step-up: issue always (when a context is set); the others as the policy lists. */
export type StepUpAction = 'issue' | 'approve' | 'deny' | 'policy';

export interface StepUpChallenge {
  /** The authentication context the caller's token must prove. */
  authContextId: string;
  /** Why the token does not do: it lacks the context, or it proved it too long ago. */
  stepUp: 'not-proven' | 'too-old';
  /** The token's age in seconds when it was judged (null: it has no `iat`). */
  proofAgeSeconds: number | null;
}

/** The actions the policy's step-up covers, `issue` first; empty when no context is set. */
export function getStepUpRequiredFor(policy: Pick<BrokerPolicy, 'stepUpAuthContextId' | 'stepUpActions'>): StepUpAction[] {
  if (policy.stepUpAuthContextId === null) return [];
  const actions: StepUpAction[] = ['issue'];
  // One choice covers both decisions: a stolen session must not deny everything either.
  if (policy.stepUpActions.includes('approve')) actions.push('approve', 'deny');
  if (policy.stepUpActions.includes('policy')) actions.push('policy');
  return actions;
}

/**
 * The challenge `actor` must answer before `action`, or null when the action may go ahead: no
 * context set, the action not covered, or the token's `acrs` holds the context and the token was
 * issued within {@link STEP_UP_MAX_AGE_SECONDS} of `nowMs`.
 */
export function getStepUpChallenge(
  actor: Pick<Actor, 'authContexts' | 'tokenIssuedAt'>,
  policy: Pick<BrokerPolicy, 'stepUpAuthContextId' | 'stepUpActions'>,
  action: StepUpAction,
  nowMs: number = Date.now(),
): StepUpChallenge | null {
  const authContextId = policy.stepUpAuthContextId;
  if (authContextId === null || !getStepUpRequiredFor(policy).includes(action)) return null;
  const proofAgeSeconds = actor.tokenIssuedAt === null ? null : Math.floor(nowMs / 1000) - actor.tokenIssuedAt;
  if (!actor.authContexts.includes(authContextId)) return { authContextId, stepUp: 'not-proven', proofAgeSeconds };
  // A token from the future (clock skew) counts as new; the token check already bounds the skew.
  if (proofAgeSeconds === null || proofAgeSeconds > STEP_UP_MAX_AGE_SECONDS) return { authContextId, stepUp: 'too-old', proofAgeSeconds };
  return null;
}

const ACTION_WORDS: Record<StepUpAction, string> = {
  issue: 'Getting a pass',
  approve: 'Approving a request',
  deny: 'Denying a request',
  policy: 'Changing the broker policy',
};

/** The refusal for `challenge` (401 `step-up-required`; problem.ts adds the challenge header). */
export function getStepUpError(challenge: StepUpChallenge, action: StepUpAction): BrokerError {
  const why =
    challenge.stepUp === 'too-old'
      ? `needs a recent second factor (within ${STEP_UP_MAX_AGE_SECONDS / 60} minutes)`
      : 'needs a second factor';
  return new BrokerError(
    'step-up-required',
    `${ACTION_WORDS[action]} ${why}: sign in again with it (authentication context ${challenge.authContextId}), then retry.`,
    { authContextId: challenge.authContextId },
  );
}
