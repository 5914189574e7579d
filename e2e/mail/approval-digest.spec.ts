import { expect, test } from '@playwright/test';
import { reporteeListSchema } from '@/lib/contract/reportees';
import { tenantUrl } from '../support/env';
import { asUser, createTapRequest, parseAnswer } from '../support/portal-api';
import { editablePolicy, getPolicySettings, savePolicy } from '../support/policy-api';
import { findManagerWithIndirectReports, loadSeed } from '../support/seed';

/**
 * Approver mail against a portal that sends it (its own stack: scripts/test.ts starts it with
 * notifications on and `MAIL_DIGEST_MINUTES=1`): the first request of a quiet minute is mailed at
 * once, the ones after it wait and reach every approver as one digest, not one mail each.
 */

interface SentMail {
  subject: string;
  body: { content: string };
  toRecipients: { address: string }[];
}

const approvalsUrl = new URL('/approvals', process.env.PORTAL_URL).href;
const approvers = (process.env.E2E_APPROVER_ADDRESSES ?? '').split(',').map((a) => a.trim().toLowerCase()).filter((a) => a !== '');

async function mailLog(): Promise<SentMail[]> {
  const res = await fetch(`${tenantUrl}/_tenant/mail`);
  if (!res.ok) throw new Error(`reading the tenant's mail log failed: ${res.status}`);
  return ((await res.json()) as { messages: SentMail[] }).messages;
}

function addressesOf(mail: SentMail): string[] {
  return mail.toRecipients.map((r) => r.address.toLowerCase());
}

/** Each approver's approval mails, in the order the tenant accepted them. */
async function approvalMailsByApprover(): Promise<Map<string, SentMail[]>> {
  const mails = (await mailLog()).filter((m) => /approval/i.test(m.subject));
  return new Map(approvers.map((a) => [a, mails.filter((m) => addressesOf(m).includes(a))]));
}

test('requests after the first reach each approver as one digest', async ({ request }) => {
  test.setTimeout(150_000);
  expect(approvers.length, 'the mail stack names its approvers (scripts/test.ts)').toBeGreaterThan(0);
  const demo = loadSeed();
  const manager = findManagerWithIndirectReports(demo).userPrincipalName;
  const before = editablePolicy(await getPolicySettings(request));
  await savePolicy(request, { ...before, requireApproval: 'always' });
  try {
    const res = await asUser(request, manager).get('/api/reportees');
    const eligible = (await parseAnswer(res, reporteeListSchema)).reportees.filter((r) => r.eligible);
    expect(eligible.length).toBeGreaterThanOrEqual(4);
    await fetch(`${tenantUrl}/_tenant/mail/reset`, { method: 'POST' });

    const first = await createTapRequest(request, manager, eligible[0]!.userPrincipalName);
    expect(first.status).toBe('pending_approval');
    await expect.poll(async () => [...(await approvalMailsByApprover()).values()].map((m) => m.length), { timeout: 30_000 }).toEqual(approvers.map(() => 1));

    const later = [];
    for (const reportee of eligible.slice(1, 4)) later.push(await createTapRequest(request, manager, reportee.userPrincipalName));
    // The digest leaves a minute after the first mail; until then nobody gets another one.
    await expect.poll(async () => [...(await approvalMailsByApprover()).values()].map((m) => m.length), { timeout: 100_000, intervals: [2_000] }).toEqual(approvers.map(() => 2));

    for (const [address, mails] of await approvalMailsByApprover()) {
      const [single, digest] = mails;
      expect(single!.body.content, address).toContain(first.id);
      expect(digest!.subject, address).toContain('3 requests wait for approval');
      for (const created of later) expect(digest!.body.content, address).toContain(created.id);
      expect(digest!.body.content).not.toContain(first.id);
      // Both lead the approver to the queue: the stack sets PORTAL_URL to the portal under test.
      for (const mail of [single!, digest!]) expect(mail.body.content, address).toContain(approvalsUrl);
    }
  } finally {
    await savePolicy(request, before);
  }
});
