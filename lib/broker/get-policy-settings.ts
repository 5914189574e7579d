import 'server-only';
import { hasAnyRole, type Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { readTenantTapPolicy } from '@/lib/broker/read-tenant-tap-policy';
import { getDb, type PrismaClient } from '@/lib/db/client';
import type { TenantTapPolicy } from '@/lib/graph/get-target-facts';

/** `GET /api/policy`: the policy object, plus (extension) the tenant TAP policy bounds that constrain it. */
export type PolicySettings = BrokerPolicy & {
  tenantTapPolicy: Pick<
    TenantTapPolicy,
    'state' | 'minimumLifetimeInMinutes' | 'maximumLifetimeInMinutes' | 'defaultLifetimeInMinutes' | 'isUsableOnce'
  >;
};

/**
 * The current broker policy with the tenant's TAP policy beside it, read from Graph now (one round
 * trip). Approvers, auditors and admins only.
 *
 * @throws BrokerError forbidden, upstream-unavailable (Graph could not be read).
 */
export async function getPolicySettings(
  actor: Actor,
  ctx: Pick<RequestContext, 'log'>,
  options: { db?: PrismaClient } = {},
): Promise<PolicySettings> {
  if (!hasAnyRole(actor, ['approver', 'auditor', 'admin'])) {
    throw new BrokerError('forbidden', 'Your role does not allow reading the broker policy.');
  }
  const db = options.db ?? (await getDb());
  const [policy, tenant] = await Promise.all([getCurrentPolicy(db), readTenantTapPolicy(ctx.log)]);
  return {
    ...policy,
    tenantTapPolicy: {
      state: tenant.state,
      minimumLifetimeInMinutes: tenant.minimumLifetimeInMinutes,
      maximumLifetimeInMinutes: tenant.maximumLifetimeInMinutes,
      defaultLifetimeInMinutes: tenant.defaultLifetimeInMinutes,
      isUsableOnce: tenant.isUsableOnce,
    },
  };
}
