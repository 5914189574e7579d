import 'server-only';
import { hasRole, type Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { getStepUpRequiredFor } from '@/lib/broker/step-up';
import { resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { getBrokerAccess, type HealthCheck } from '@/lib/graph/get-broker-access';

/**
 * The configuration checks an admin reads at `GET /api/health/details` (`getHealthDetails`): they
 * explain refusals, they never make one.
 */

export interface HealthDetails {
  checks: HealthCheck[];
}

/**
 * The portal's configuration checks for an admin (`GET /api/health/details`): the broker's Graph
 * permissions feature by feature, whether the API registration issues v2 tokens, and whether the
 * policy asks for step-up before a pass. Read at every call and never kept: it explains
 * refusals, it never makes or changes one.
 *
 * @throws BrokerError forbidden (not an admin)
 */
export async function getHealthDetails(actor: Actor, ctx: RequestContext, options: UseCaseOptions = {}): Promise<HealthDetails> {
  if (!hasRole(actor, 'admin')) throw new BrokerError('forbidden', 'Only an admin may read the configuration checks.');
  const db = await resolveDb(options);
  const [{ checks }, policy] = await Promise.all([getBrokerAccess({ log: ctx.log }), getCurrentPolicy(db)]);
  return { checks: [...checks, getStepUpCheck(policy)] };
}

/**
 * Step-up off is a warning, not a failure: everything works, but a manager's stolen or left-open
 * session can then reveal a pass for every reportee with no second factor.
 */
function getStepUpCheck(policy: BrokerPolicy): HealthCheck {
  if (policy.stepUpAuthContextId === null) {
    return {
      id: 'step-up',
      status: 'warn',
      detail:
        'Step-up is off: a signed-in session is enough to reveal a pass, so a stolen or left-open manager session can get passes for every reportee.',
      fix:
        'Create a Conditional Access authentication context (c1…c99) and a Conditional Access policy for it requiring MFA with sign-in frequency "Every time", ' +
        'then set stepUpAuthContextId in the policy console (README: "Step-up (Conditional Access authentication context)").',
    };
  }
  return {
    id: 'step-up',
    status: 'ok',
    detail: `Authentication context ${policy.stepUpAuthContextId} is required for: ${getStepUpRequiredFor(policy).join(', ')}.`,
    fix: null,
  };
}
