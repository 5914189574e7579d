import 'server-only';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import type { AuditDataFor } from '@/lib/audit/catalogue';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import type { CanRequestResult } from '@/lib/broker/tap-request-policy';
import { inTransaction } from '@/lib/db/transaction';
import type { PrismaClient } from '@/lib/db/generated/client';

/**
 * The one refusal path of a TAP request (`refuseTapRequest`): when the reporting line, the
 * target's eligibility or the policy says no at creation, approval or issue, the wording, the
 * failed status, the `tap_request.refused` event and the error all come from here.
 */

export type RefusalStage = 'create' | 'approve' | 'issue';

/** Why the broker says no: the reporting line and eligibility judged from Graph, or terms the policy no longer allows. */
export type TapRequestRefusal = Extract<CanRequestResult, { ok: false }> | { ok: false; code: 'terms-outside-policy' };

/** What a refusal stores on the request, writes to the audit trail and answers. */
export interface RefusalOutcome {
  failureCode: string;
  failureReason: string;
  auditCode: 'not-in-reporting-chain' | 'target-ineligible' | 'forbidden' | 'conflict';
  reasons: string[] | undefined;
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
        ...(failed ? { newStatus: 'failed' as const } : {}),
      },
      context: ctx,
    });
  });
  return outcome.error;
}
