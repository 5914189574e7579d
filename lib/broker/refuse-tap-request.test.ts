import { describe, expect, it } from 'vitest';
import { describeRefusal, type RefusalStage, type TapRequestRefusal } from '@/lib/broker/refuse-tap-request';

const refusals: Record<string, TapRequestRefusal> = {
  outsider: { ok: false, code: 'not-in-reporting-chain' },
  disabledRequester: { ok: false, code: 'forbidden', why: 'requester-not-enabled-member' },
  ineligible: { ok: false, code: 'target-ineligible', reasons: ['privileged-role', 'cannot-verify'] },
  terms: { ok: false, code: 'terms-outside-policy' },
  pending: { ok: false, code: 'too-many-pending', waiting: 1, limit: 1 },
};

function answer(refusal: TapRequestRefusal, stage: RefusalStage) {
  const { error, auditCode, failureCode } = describeRefusal(refusal, stage);
  return { status: error.status, code: error.code, auditCode, failureCode };
}

describe('describeRefusal', () => {
  it('answers the requester at create and issue with the code that names their problem', () => {
    for (const stage of ['create', 'issue'] as const) {
      expect(answer(refusals.outsider!, stage)).toMatchObject({ status: 403, code: 'not-in-reporting-chain', auditCode: 'not-in-reporting-chain' });
      expect(answer(refusals.disabledRequester!, stage)).toMatchObject({ status: 403, code: 'forbidden', auditCode: 'forbidden', failureCode: 'requester-not-enabled-member' });
      expect(answer(refusals.ineligible!, stage)).toMatchObject({ status: 422, code: 'target-ineligible', auditCode: 'target-ineligible' });
    }
  });

  it('answers an approver 409 for the requester’s standing, which is not theirs, and 422 for the target', () => {
    expect(answer(refusals.outsider!, 'approve')).toMatchObject({ status: 409, code: 'conflict', auditCode: 'not-in-reporting-chain' });
    expect(answer(refusals.disabledRequester!, 'approve')).toMatchObject({ status: 409, code: 'conflict', auditCode: 'conflict' });
    expect(answer(refusals.ineligible!, 'approve')).toMatchObject({ status: 422, code: 'target-ineligible' });
    expect(describeRefusal(refusals.outsider!, 'approve').error.message).toContain('The requester is no longer');
  });

  it('carries every eligibility reason to the error and the audit, and names them in the stored reason', () => {
    const outcome = describeRefusal(refusals.ineligible!, 'issue');
    expect(outcome.reasons).toEqual(['privileged-role', 'cannot-verify']);
    expect(outcome.error.reasons).toEqual(['privileged-role', 'cannot-verify']);
    expect(outcome.failureReason).toBe('The target is no longer eligible (privileged-role, cannot-verify).');
  });

  it('turns terms the policy no longer allows into a conflict with a named reason', () => {
    expect(answer(refusals.terms!, 'issue')).toEqual({ status: 409, code: 'conflict', auditCode: 'conflict', failureCode: 'terms-outside-policy' });
    expect(describeRefusal(refusals.terms!, 'issue').reasons).toEqual(['terms-outside-policy']);
  });

  it('answers a full pending cap 429 rate-limited without Retry-After, naming the reason and the figures', () => {
    const outcome = describeRefusal(refusals.pending!, 'create');
    expect(answer(refusals.pending!, 'create')).toEqual({ status: 429, code: 'rate-limited', auditCode: 'rate-limited', failureCode: 'too-many-pending' });
    expect(outcome.reasons).toEqual(['too-many-pending']);
    expect(outcome.details).toEqual({ waiting: 1, limit: 1 });
    expect(outcome.error.retryAfterSeconds).toBeUndefined();
    expect(outcome.error.detail).toBe('You already have 1 request waiting for approval, the most the policy allows; wait until an approver decides one.');
  });
});
