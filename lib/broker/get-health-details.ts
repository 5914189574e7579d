import 'server-only';
import { hasRole, type Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { getConfigurationChecks } from '@/lib/broker/get-configuration-checks';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import type { HealthCheck } from '@/lib/graph/get-broker-access';

/**
 * The configuration checks an admin reads at `GET /api/health/details` (`getHealthDetails`): they
 * explain refusals, they never make one.
 */

export interface HealthDetails {
  checks: HealthCheck[];
}

/**
 * The portal's configuration checks for an admin (`GET /api/health/details`), the same as
 * `npm run doctor` runs (lib/broker/get-configuration-checks.ts): the authority, the broker's
 * credential and Graph permissions feature by feature, the registrations, each Graph read made
 * once against the test user (DOCTOR_TEST_USER), the tenant TAP policy against the broker policy,
 * and step-up. Read at every call and never kept: it explains refusals, it never makes or
 * changes one.
 *
 * @throws BrokerError forbidden (not an admin)
 */
export async function getHealthDetails(actor: Actor, ctx: RequestContext, options: UseCaseOptions = {}): Promise<HealthDetails> {
  if (!hasRole(actor, 'admin')) throw new BrokerError('forbidden', 'Only an admin may read the configuration checks.');
  const db = await resolveDb(options);
  const policy = await getCurrentPolicy(db);
  return { checks: await getConfigurationChecks({ policy }, { log: ctx.log }) };
}
