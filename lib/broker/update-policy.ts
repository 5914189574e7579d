import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { hasRole, type Actor } from '@/lib/auth/actor';
import { SYSTEM_ACTOR_ID, type RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import {
  brokerPolicyInputSchema,
  completePolicyInput,
  fromStoredPolicy,
  getDefaultPolicy,
  getChangedPolicyFields,
  getPolicyTenantViolations,
  toStoredPolicyFields,
  type BrokerPolicy,
  type BrokerPolicyFields,
} from '@/lib/broker/policy';
import { readTenantTapPolicy } from '@/lib/broker/read-tenant-tap-policy';
import { getStepUpEvidence, requireStepUp } from '@/lib/broker/require-step-up';
import { getStepUpChallenge, getStepUpError, type StepUpChallenge } from '@/lib/broker/step-up';
import { needsApproverNow } from '@/lib/broker/tap-request-policy';
import { getDb, type PrismaClient } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';

/**
 * An admin saves a new version of the broker policy (`PUT /api/policy`, `updatePolicy`).
 */

/** Serializes policy changes ("tpol"), so each `policy.updated` names the version it replaced. */
export const POLICY_LOCK_KEY = 0x74706f6c;

/**
 * Stores a new version of the broker policy (`PUT /api/policy`, admins only) and records
 * `policy.updated` with the previous and new versions and the changed fields, in one transaction.
 *
 * `input` is the whole policy (docs/api-contract.md#policy-object), with an optional `changeReason`
 * (extension: stored on the version and in the event; the console always sends one); it is validated with zod,
 * then against the tenant's TAP policy read from Graph now: default ≤ maximum lifetime, both
 * inside the tenant's [minimum, maximum], one-time use when the tenant forces it. Every call that
 * passes validation writes a new version, even when nothing changed (the audit trail shows an
 * empty `changedFields`).
 *
 * A policy that wants an approver where the previous one did not (requireApproval tightened)
 * expires, in the same transaction, every `approved` request that was approved automatically and
 * would now be held for approval at its depth — each with `tap_request.expired` (reason
 * `policy-tightened`), listed in the `policy.updated` event. Pending requests, and requests an
 * approver approved, are left as they are.
 *
 * When the policy in force covers policy changes with step-up (`stepUpActions` has `policy`), the
 * admin's token must prove its authentication context: otherwise 401 `step-up-required` with
 * `policy.update_refused` audited, before the body is judged or Graph is asked, and again under
 * the policy lock (a concurrent change may just have asked for it).
 *
 * @throws BrokerError forbidden (not an admin), step-up-required, validation-failed (with
 *   `errors`), upstream-unavailable (Graph could not be read; nothing was changed).
 */
export async function updatePolicy(
  actor: Actor,
  input: unknown,
  ctx: RequestContext,
  options: { db?: PrismaClient } = {},
): Promise<BrokerPolicy> {
  if (!hasRole(actor, 'admin')) throw new BrokerError('forbidden', 'Only an admin may change the broker policy.');
  const db = options.db ?? (await getDb());
  await requireStepUp(db, actor, await getCurrentPolicy(db), 'policy', { policy: true }, ctx);

  const parsed = brokerPolicyInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new BrokerError('validation-failed', 'The policy is not valid.', {
      errors: parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    });
  }
  const { changeReason, ...draft } = parsed.data;

  const tenant = await readTenantTapPolicy(ctx.log);
  // The tenant bounds only lifetimes and one-time use, which the body always carries.
  throwOnTenantViolations(completePolicyInput(draft, getDefaultPolicy()), tenant);
  return savePolicyVersion(db, actor, { fields: (before) => completePolicyInput(draft, before), changeReason: changeReason ?? null, restoredFromVersion: null, tenant }, ctx);
}

/** 400 `validation-failed` when `fields` asks for what the tenant's TAP policy refuses. */
export function throwOnTenantViolations(fields: BrokerPolicyFields, tenant: TenantTapPolicyBounds): void {
  const violations = getPolicyTenantViolations(fields, tenant);
  if (violations.length > 0) {
    throw new BrokerError('validation-failed', "The policy does not fit the tenant's Temporary Access Pass policy.", { errors: violations });
  }
}

type TenantTapPolicyBounds = Awaited<ReturnType<typeof readTenantTapPolicy>>;

/** What a new version holds: its settings (from the version it replaces), and why it was saved. */
export interface PolicyChange {
  fields: (before: BrokerPolicy) => BrokerPolicyFields;
  changeReason: string | null;
  restoredFromVersion: number | null;
  /** The tenant's TAP policy as read for this change, recorded in the audit event. */
  tenant: TenantTapPolicyBounds;
}

/**
 * Stores `change` as the next version under the policy lock, with `policy.updated` (and the
 * expiries a tightening causes) in the same transaction. Step-up is checked again under the lock.
 * Callers have checked the admin role, step-up and the body.
 */
export async function savePolicyVersion(db: PrismaClient, actor: Actor, change: PolicyChange, ctx: RequestContext): Promise<BrokerPolicy> {
  const { tenant } = change;
  const outcome = await db.$transaction(async (tx): Promise<{ saved: BrokerPolicy } | { refused: StepUpChallenge }> => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${POLICY_LOCK_KEY}::bigint)`;
    const before = await getCurrentPolicy(tx);
    const challenge = getStepUpChallenge(actor, before, 'policy');
    if (challenge !== null) {
      await appendAuditEvent(tx, { type: 'policy.update_refused', actorId: actor.id, data: getStepUpEvidence(actor, challenge, before), context: ctx });
      return { refused: challenge };
    }
    const requested: BrokerPolicyFields = change.fields(before);
    // Numbered here, under the lock, not by the serial: a sequence skips numbers after a rollback
    // or a crash, and the history should read 1, 2, 3…
    const row = await tx.policyVersion.create({
      data: {
        version: before.version + 1,
        ...toStoredPolicyFields(requested),
        createdBy: actor.id,
        changeReason: change.changeReason,
        restoredFromVersion: change.restoredFromVersion,
      },
    });
    const after = fromStoredPolicy(row);
    // Before the first audit append: the rows are locked in one statement ahead of the audit
    // chain's lock, the order the issue path takes them in too, so the two cannot deadlock.
    const expired = await expireAutoApprovalsNowHeld(tx, after);
    await appendAuditEvent(tx, {
      type: 'policy.updated',
      actorId: actor.id,
      data: {
        fromVersion: before.version,
        toVersion: after.version,
        changedFields: getChangedPolicyFields(before, after),
        before,
        after,
        ...(change.changeReason === null ? {} : { changeReason: change.changeReason }),
        ...(change.restoredFromVersion === null ? {} : { restoredFromVersion: change.restoredFromVersion }),
        policyVersion: after.version,
        details: {
          tenantTapPolicy: {
            state: tenant.state,
            minimumLifetimeInMinutes: tenant.minimumLifetimeInMinutes,
            maximumLifetimeInMinutes: tenant.maximumLifetimeInMinutes,
            isUsableOnce: tenant.isUsableOnce,
          },
          expiredRequestIds: expired.map((request) => request.id),
        },
      },
      context: ctx,
    });
    for (const request of expired) {
      await appendAuditEvent(tx, {
        type: 'tap_request.expired',
        actorId: actor.id,
        targetId: request.targetUserId,
        requestId: request.id,
        data: {
          previousStatus: 'approved',
          reason: 'policy-tightened',
          policyVersion: after.version,
          approvedUnderPolicyVersion: request.policyVersion,
          requireApproval: after.requireApproval,
          chain: request.chain,
          depth: request.depth,
        },
        context: ctx,
      });
    }
    return { saved: after };
  });
  if ('refused' in outcome) throw getStepUpError(outcome.refused, 'policy');
  const { saved } = outcome;
  ctx.log.info({ policyVersion: saved.version }, 'broker policy updated');
  return saved;
}

/**
 * `approved → expired` for every automatic approval `policy` would hold for an approver, in one
 * conditional statement (an issuance that already moved a row to `issuing` keeps it).
 */
async function expireAutoApprovalsNowHeld(tx: Prisma.TransactionClient, policy: BrokerPolicy) {
  const autoApproved = await tx.tapRequest.findMany({ where: { status: 'approved', decidedBy: SYSTEM_ACTOR_ID }, select: { id: true, decidedBy: true, depth: true } });
  const ids = autoApproved.filter((request) => needsApproverNow(request, policy, request.depth)).map((request) => request.id);
  if (ids.length === 0) return [];
  const expired = await tx.tapRequest.updateManyAndReturn({
    where: { id: { in: ids }, status: 'approved', decidedBy: SYSTEM_ACTOR_ID },
    data: { status: 'expired' },
    select: { id: true, targetUserId: true, chain: true, depth: true, policyVersion: true },
  });
  return expired.sort((a, b) => a.id.localeCompare(b.id));
}
