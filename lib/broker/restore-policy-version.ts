import 'server-only';
import { hasRole, type Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { restorePolicyVersionBodySchema } from '@/lib/contract/policy';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { fromStoredPolicy, type BrokerPolicy } from '@/lib/broker/policy';
import { readTenantTapPolicy } from '@/lib/broker/read-tenant-tap-policy';
import { requireStepUp } from '@/lib/broker/require-step-up';
import { savePolicyVersion, throwOnTenantViolations } from '@/lib/broker/update-policy';
import { getDb, type PrismaClient } from '@/lib/db/client';

/**
 * An admin restores an earlier version of the broker policy
 * (`POST /api/policy/versions/{version}/restore`, `restorePolicyVersion`).
 */

/**
 * Saves a NEW version holding the settings of `version` — history is never rewritten — with the
 * admin's required `changeReason`, audited as `policy.updated` with `restoredFromVersion`. The
 * same rules as `PUT /api/policy`: admins only, step-up when the policy in force covers policy
 * changes (checked before the body is judged and again under the policy lock), the restored
 * settings held to the tenant's TAP policy as it is now (an old version may no longer fit), and
 * automatic approvals the restored settings would hold for an approver expire.
 *
 * @throws BrokerError forbidden, step-up-required, validation-failed (no reason, or the tenant's
 *   bounds), not-found (no such version), upstream-unavailable.
 */
export async function restorePolicyVersion(
  actor: Actor,
  version: number,
  input: unknown,
  ctx: RequestContext,
  options: { db?: PrismaClient } = {},
): Promise<BrokerPolicy> {
  if (!hasRole(actor, 'admin')) throw new BrokerError('forbidden', 'Only an admin may change the broker policy.');
  const db = options.db ?? (await getDb());
  await requireStepUp(db, actor, await getCurrentPolicy(db), 'policy', { policy: true }, ctx);

  const parsed = restorePolicyVersionBodySchema.safeParse(input);
  if (!parsed.success) {
    throw new BrokerError('validation-failed', 'A restore needs a reason.', {
      errors: parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    });
  }
  const row = await db.policyVersion.findUnique({ where: { version } });
  if (row === null) throw new BrokerError('not-found', `There is no policy version ${version}.`);
  const { version: _version, ...fields } = fromStoredPolicy(row);

  const tenant = await readTenantTapPolicy(ctx.log);
  throwOnTenantViolations(fields, tenant);
  return savePolicyVersion(db, actor, { fields: () => fields, changeReason: parsed.data.changeReason, restoredFromVersion: version, tenant }, ctx);
}
