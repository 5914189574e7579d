import 'server-only';
import { hasRole, type Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/broker/context';
import { BrokerError } from '@/lib/broker/errors';
import { getBrokerAccess, type HealthCheck } from '@/lib/graph/get-broker-access';

export interface HealthDetails {
  checks: HealthCheck[];
}

/**
 * The portal's configuration checks for an admin (`GET /api/health/details`): the broker's Graph
 * permissions feature by feature, and whether the API registration issues v2 tokens. Read from
 * Graph at every call and never kept: it explains refusals, it never makes or changes one.
 *
 * @throws BrokerError forbidden (not an admin)
 */
export async function getHealthDetails(actor: Actor, ctx: RequestContext): Promise<HealthDetails> {
  if (!hasRole(actor, 'admin')) throw new BrokerError('forbidden', 'Only an admin may read the configuration checks.');
  const { checks } = await getBrokerAccess({ log: ctx.log });
  return { checks };
}
