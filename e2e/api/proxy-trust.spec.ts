/**
 * What a client says about itself is not recorded as fact. The test stack runs `next start` with
 * no trusted proxy (TRUSTED_PROXY_HOPS unset, 0): a spoofed `X-Forwarded-For` must not become the
 * event's client IP, the client's `x-request-id` must not become the call's id (it is kept apart
 * as `clientRequestId`), and a token-shaped User-Agent is stored redacted instead of failing the
 * call. Read back through the audit API as an auditor.
 */
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { auditVerificationSchema } from '@/lib/contract/audit';
import { expectProblem } from '../support/problem';
import { asUser, JUSTIFICATION, parseAnswer, readAudit, tokenFor, userIdOf } from '../support/portal-api';

/** No reports: any request of hers is refused (not-in-reporting-chain), and the refusal is audited. */
const ACTOR = 'kim.akers@contoso.test';
const AUDITOR = 'henrietta.mueller@contoso.test';
const SPOOFED_ADDRESS = '203.0.113.66';
const CLIENT_REQUEST_ID = 'client-chosen-id-42';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('a spoofed X-Forwarded-For and a client request id are not recorded as facts; a token-shaped user agent is redacted', async ({ request }) => {
  // A target id nobody has used: the refusal it causes is the only event about it.
  const targetUserId = randomUUID();
  const res = await request.post('/api/tap-requests', {
    headers: {
      authorization: `Bearer ${await tokenFor(ACTOR)}`,
      'x-forwarded-for': SPOOFED_ADDRESS,
      'x-request-id': CLIENT_REQUEST_ID,
      'user-agent': 'tool/1 Bearer abcdefghijklmnopqrstuvwxyz012345',
    },
    data: { targetUserId, justification: JUSTIFICATION },
  });
  await expectProblem(res, 403, 'not-in-reporting-chain');
  const serverRequestId = res.headers()['x-request-id'];
  expect(serverRequestId).toMatch(UUID);

  const events = await readAudit(request, AUDITOR, { targetId: targetUserId });
  expect(events.map((e) => [e.type, e.actorId])).toEqual([['tap_request.refused', await userIdOf(ACTOR)]]);
  expect(events[0]!.data.context).toEqual({
    requestId: serverRequestId,
    ip: null,
    userAgent: 'tool/1 [redacted]',
    clientRequestId: CLIENT_REQUEST_ID,
  });
  expect(JSON.stringify(events[0])).not.toContain(SPOOFED_ADDRESS);
  expect(JSON.stringify(events[0])).not.toContain('abcdefghijklmnop');

  const verify = await asUser(request, AUDITOR).get('/api/audit/verify');
  expect(verify.status(), await verify.text()).toBe(200);
  expect((await parseAnswer(verify, auditVerificationSchema)).ok).toBe(true);
});
