import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { AuditDataFor } from '@/lib/audit/catalogue';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import type { PendingCapDecision } from '@/lib/broker/pending-cap';
import type { CanRequestResult } from '@/lib/broker/tap-request-policy';
import { inTransaction } from '@/lib/db/transaction';
import { countRefusal } from '@/lib/metrics/registry';
import type { PrismaClient } from '@/lib/db/generated/client';

/**
 * The one refusal path of a TAP request (`refuseTapRequest`): when the reporting line, the
 * target's eligibility or the policy says no at creation, approval or issue, the wording, the
 * failed status, the `tap_request.refused` event and the error all come from here.
 */

export type RefusalStage = 'create' | 'approve' | 'issue';

/**
 * Why the broker says no: the reporting line and eligibility judged from Graph, terms the policy
 * no longer allows, or (at creation) too many of the requester's requests already waiting for an
 * approver (`waiting` of at most `limit`).
 */
export type TapRequestRefusal =
  | Extract<CanRequestResult, { ok: false }>
  | { ok: false; code: 'terms-outside-policy' }
  | Extract<PendingCapDecision, { ok: false }>;

/** What a refusal stores on the request, writes to the audit trail and answers. */
export interface RefusalOutcome {
  failureCode: string;
  failureReason: string;
  auditCode: 'not-in-reporting-chain' | 'target-ineligible' | 'forbidden' | 'conflict' | 'rate-limited';
  reasons: string[] | undefined;
  /** Figures for the audit event's `details`, where the refusal has any. */
  details?: { waiting: number; limit: number };
  error: BrokerError;
}

/**
 * Words a refusal for its stage. At creation and issue the caller is the requester ("you"); at
 * approval the approver is told about the requester, and because the approver is not the one
 * outside the chain, everything but an ineligible target is a 409 `conflict` for them.
 */
export function describeRefusal(refusal: TapRequestRefusal, stage: RefusalStage): RefusalOutcome {
  const approving = stage === 'approve';
  const failed = (failureReason: string): BrokerError => new BrokerError('conflict', `${failureReason} The request has failed.`);
  switch (refusal.code) {
    case 'target-ineligible': {
      const failureReason = `The target is no longer eligible (${refusal.reasons.join(', ')}).`;
      // At creation the reasons say it all; "no longer" would be wrong there.
      const detail = stage === 'create' ? undefined : failureReason;
      return { failureCode: refusal.code, failureReason, auditCode: refusal.code, reasons: refusal.reasons, error: new BrokerError('target-ineligible', detail, { reasons: refusal.reasons }) };
    }
    case 'forbidden': {
      const failureReason = approving ? 'The requester’s account is no longer an enabled member account.' : 'Your account is no longer an enabled member account.';
      const error = approving ? failed(failureReason) : new BrokerError('forbidden', stage === 'create' ? 'Only enabled member accounts can request passes.' : failureReason);
      return { failureCode: refusal.why, failureReason, auditCode: approving ? 'conflict' : 'forbidden', reasons: [refusal.why], error };
    }
    case 'not-in-reporting-chain': {
      const failureReason = approving ? 'The requester is no longer in the target’s reporting chain.' : 'You are no longer in the target’s reporting chain.';
      return { failureCode: refusal.code, failureReason, auditCode: refusal.code, reasons: undefined, error: approving ? failed(failureReason) : new BrokerError('not-in-reporting-chain') };
    }
    case 'terms-outside-policy': {
      const failureReason = 'The policy changed since the request was made and no longer allows its terms; request a new pass.';
      return { failureCode: refusal.code, failureReason, auditCode: 'conflict', reasons: [refusal.code], error: approving ? failed(failureReason) : new BrokerError('conflict', failureReason) };
    }
    case 'too-many-pending': {
      // No Retry-After: a slot frees when an approver decides, which no clock predicts. There is
      // no way to withdraw a pending request, so waiting (or its expiry) is the only way out.
      const requests = refusal.waiting === 1 ? '1 request' : `${refusal.waiting} requests`;
      const failureReason = `You already have ${requests} waiting for approval, the most the policy allows; wait until an approver decides one.`;
      return {
        failureCode: refusal.code,
        failureReason,
        auditCode: 'rate-limited',
        reasons: [refusal.code],
        details: { waiting: refusal.waiting, limit: refusal.limit },
        error: new BrokerError('rate-limited', failureReason),
      };
    }
  }
}

/**
 * The refusal's evidence in the audit trail: what Graph and the policy showed when the broker said
 * no, or the earlier refusal it was answered from (lib/broker/find-remembered-refusal.ts).
 */
export type RefusalEvidence = Pick<
  AuditDataFor<'tap_request.refused'>,
  'chain' | 'depth' | 'policyVersion' | 'graphRequestId' | 'targetReference' | 'rememberedFromSeq'
>;

export interface RefusalSubject {
  stage: RefusalStage;
  actorId: string;
  /** The target, when the refusal can name one (an unknown reference at creation cannot). */
  targetId: string | null;
  /** The stored request and the status it must still have to become `failed`; none at creation. */
  request?: { id: string; status: 'pending_approval' | 'approved' } | undefined;
  evidence: RefusalEvidence;
}

/**
 * Records a refusal and returns the error to throw: in one transaction, the request (if any)
 * moves from the expected status to `failed` — conditionally, so a request decided or issued
 * meanwhile keeps its status and the event says so by lacking `newStatus` — and
 * `tap_request.refused` is appended with the stage, the code, the reasons and the evidence.
 */
export async function refuseTapRequest(db: PrismaClient, refusal: TapRequestRefusal, subject: RefusalSubject, ctx: RequestContext): Promise<BrokerError> {
  const outcome = describeRefusal(refusal, subject.stage);
  const { request } = subject;
  await inTransaction(db, async (tx) => {
    let failed = false;
    if (request !== undefined) {
      const { count } = await tx.tapRequest.updateMany({
        where: { id: request.id, status: request.status },
        data: { status: 'failed', failureCode: outcome.failureCode, failureReason: outcome.failureReason },
      });
      failed = count === 1;
    }
    await appendAuditEvent(tx, {
      type: 'tap_request.refused',
      actorId: subject.actorId,
      targetId: subject.targetId,
      ...(request === undefined ? {} : { requestId: request.id }),
      data: {
        ...subject.evidence,
        stage: subject.stage,
        code: outcome.auditCode,
        ...(outcome.reasons === undefined ? {} : { reasons: outcome.reasons }),
        ...(outcome.details === undefined ? {} : { details: outcome.details }),
        ...(failed ? { newStatus: 'failed' as const } : {}),
      },
      context: ctx,
    });
  });
  // The codes and reasons are closed sets (the eligibility reasons, the policy's `why`s).
  countRefusal(subject.stage, refusal.code, outcome.reasons ?? []);
  return outcome.error;
}
