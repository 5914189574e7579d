import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { SYSTEM_ACTOR_ID, type RequestContext } from '@/lib/core/request-context';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { AUTH_CONTEXT_ID_PATTERN, fromStoredPolicy, getChangedPolicyFields, toStoredPolicyFields, type BrokerPolicy } from '@/lib/broker/policy';
import { inTransaction } from '@/lib/db/transaction';
import { POLICY_LOCK_KEY } from '@/lib/broker/update-policy';
import type { PrismaClient } from '@/lib/db/generated/client';

/**
 * Turns step-up on for issue with `authContextId` — only while the stored policy is still the
 * built-in version 1, so it happens once and never overrides a choice an admin made. The new
 * version is saved by `system` and recorded as `policy.updated` like any other change, under the
 * same lock. `npm start` calls it for the demo org, whose local tenant protects that context with
 * a second factor; a real tenant gets step-up from an admin in the policy console instead.
 *
 * @returns the new policy, or null when the stored policy had already moved on from version 1
 */
export async function enableDefaultStepUp(db: PrismaClient, authContextId: string, ctx: RequestContext): Promise<BrokerPolicy | null> {
  if (!AUTH_CONTEXT_ID_PATTERN.test(authContextId)) throw new Error(`not an authentication context id: ${authContextId}`);
  return inTransaction(db, async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${POLICY_LOCK_KEY}::bigint)`;
    const before = await getCurrentPolicy(tx);
    if (before.version !== 1) return null;
    const { version: _version, ...fields } = before;
    const row = await tx.policyVersion.create({
      data: { version: 2, ...toStoredPolicyFields({ ...fields, stepUpAuthContextId: authContextId, stepUpActions: [] }), createdBy: SYSTEM_ACTOR_ID },
    });
    const after = fromStoredPolicy(row);
    await appendAuditEvent(tx, {
      type: 'policy.updated',
      actorId: SYSTEM_ACTOR_ID,
      data: {
        fromVersion: before.version,
        toVersion: after.version,
        changedFields: getChangedPolicyFields(before, after),
        before,
        after,
        policyVersion: after.version,
        details: { reason: 'step-up on by default for the local demo tenant' },
      },
      context: ctx,
    });
    return after;
  });
}
