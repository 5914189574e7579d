import { describe, expect, it } from 'vitest';
import { parseIssuedPass, parsePolicyAsLimits, parseRequestLimits, parseTapRequest } from '@/lib/client/portal-types';

const request = {
  id: '0b6f3a52-6f0e-4d7e-9d3c-2f1b6f1f1a11',
  status: 'pending_approval',
  requesterId: 'manager-id',
  targetUserId: 'target-id',
  targetDisplayName: 'Ada Lovelace',
  justification: 'Lost her phone on the train',
  lifetimeInMinutes: 60,
  isUsableOnce: true,
  startDateTime: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  chain: ['manager-id'],
  chainDisplayNames: ['Grace Hopper'],
  depth: 1,
  policyVersion: 1,
};

describe('the browser reads the API with the contract', () => {
  it('reads a request as sent, optional fields left out', () => {
    const parsed = parseTapRequest(request);
    expect([parsed.targetDisplayName, parsed.depth, parsed.decidedAt]).toEqual(['Ada Lovelace', 1, undefined]);
  });

  it('refuses a request with an unknown status, naming the field', () => {
    expect(() => parseTapRequest({ ...request, status: 'lost' })).toThrow(/Unexpected request from the portal API: "status"/);
  });

  it('refuses a pass answer without its expiry and never repeats the pass in the message', () => {
    const pass = { temporaryAccessPass: 'S3cret-Pass', startDateTime: '2026-01-01T00:00:00.000Z', lifetimeInMinutes: 60, isUsableOnce: true, methodId: 'm1' };
    expect(() => parseIssuedPass(pass)).toThrow(/"expiresDateTime"/);
    const refusal = (() => {
      try {
        parseIssuedPass({ ...pass, temporaryAccessPass: 4242, expiresDateTime: 'S3cret-Pass' });
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    })();
    expect(refusal).toMatch(/^Unexpected pass from the portal API: "temporaryAccessPass"/);
    expect(refusal).not.toMatch(/S3cret|4242/);
  });

  const limits = {
    defaultLifetimeInMinutes: 60,
    maxLifetimeInMinutes: 480,
    minLifetimeInMinutes: 10,
    isUsableOnce: false,
    requireApproval: 'indirect-only',
    maxDepth: 2,
    stepUpAuthContextId: 'c1',
    stepUpRequiredFor: ['issue', 'approve', 'deny'],
    version: 3,
  };

  it('reads the limits and refuses them without the tenant minimum', () => {
    expect(parseRequestLimits(limits)).toMatchObject({ minLifetimeInMinutes: 10, isUsableOnceForced: false, stepUpRequiredFor: ['issue', 'approve', 'deny'] });
    expect(() => parseRequestLimits({ ...limits, minLifetimeInMinutes: null })).toThrow(/"minLifetimeInMinutes"/);
  });

  it('derives the same limits from the policy object and the tenant policy beside it', () => {
    const policy = {
      maxDepth: 2,
      requireApproval: 'indirect-only',
      defaultLifetimeInMinutes: 60,
      maxLifetimeInMinutes: 600,
      isUsableOnce: false,
      approvalValidityMinutes: 60,
      maxIssuancesPerManagerPerDay: 5,
      maxPendingRequestsPerRequester: 10,
      allowedDirectoryRoleTemplateIds: [],
      protectedGroupIds: [],
      stepUpAuthContextId: 'c1',
      stepUpActions: ['approve'],
      version: 3,
      tenantTapPolicy: { state: 'enabled', minimumLifetimeInMinutes: 10, maximumLifetimeInMinutes: 480, defaultLifetimeInMinutes: 60, isUsableOnce: true },
    };
    expect(parsePolicyAsLimits(policy)).toEqual({ ...parseRequestLimits(limits), isUsableOnceForced: true });
  });
});
