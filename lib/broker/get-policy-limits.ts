import 'server-only';
import type { Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { readTenantTapPolicy } from '@/lib/broker/read-tenant-tap-policy';
import { getStepUpRequiredFor, type StepUpAction } from '@/lib/broker/step-up';
import { getDb, type PrismaClient } from '@/lib/db/client';

/** `GET /api/policy/limits` (extension): what the request form needs, for any signed-in user. */
export interface PolicyLimits {
  defaultLifetimeInMinutes: number;
  /** The broker's maximum, never above the tenant's. */
  maxLifetimeInMinutes: number;
  /** The tenant's minimum (the broker has none of its own). */
  minLifetimeInMinutes: number;
  /** true = every pass is one-time (the broker policy or the tenant forces it). */
  isUsableOnce: boolean;
  requireApproval: BrokerPolicy['requireApproval'];
  maxDepth: number | null;
  /** The authentication context step-up asks for (`c1` …), or null when there is no step-up. */
  stepUpAuthContextId: string | null;
  /** The actions that need it (`issue` first), so the SPA can say so before the click; empty without step-up. */
  stepUpRequiredFor: StepUpAction[];
  version: number;
}

/**
 * The lifetime bounds, approval rule and step-up a request is held to, from the current policy and the
 * tenant's TAP policy (read from Graph now, one round trip). Nothing here is secret: any signed-in
 * user may see the rules they are subject to.
 *
 * @throws BrokerError upstream-unavailable (Graph could not be read).
 */
export async function getPolicyLimits(
  _actor: Actor,
  ctx: Pick<RequestContext, 'log'>,
  options: { db?: PrismaClient } = {},
): Promise<PolicyLimits> {
  const db = options.db ?? (await getDb());
  const [policy, tenant] = await Promise.all([getCurrentPolicy(db), readTenantTapPolicy(ctx.log)]);
  const maxLifetimeInMinutes = Math.min(policy.maxLifetimeInMinutes, tenant.maximumLifetimeInMinutes);
  return {
    defaultLifetimeInMinutes: Math.min(policy.defaultLifetimeInMinutes, maxLifetimeInMinutes),
    maxLifetimeInMinutes,
    minLifetimeInMinutes: tenant.minimumLifetimeInMinutes,
    isUsableOnce: policy.isUsableOnce || tenant.isUsableOnce,
    requireApproval: policy.requireApproval,
    maxDepth: policy.maxDepth,
    stepUpAuthContextId: policy.stepUpAuthContextId,
    stepUpRequiredFor: getStepUpRequiredFor(policy),
    version: policy.version,
  };
}
