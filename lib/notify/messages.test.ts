/**
 * The approval and approved mails link into the portal when PORTAL_URL is set, and name the page
 * without a link when it is not; names from the directory cannot break out of the link's markup.
 */
import { describe, expect, it } from 'vitest';
import { renderApprovalDigest, renderNotification, type NotifiableRequest } from '@/lib/notify/messages';

const REQUEST: NotifiableRequest = {
  id: '5b4c2a48-8f5f-4d55-9d53-0d3b2d3f1a11',
  requesterId: 'b0b0b0b0-0000-4000-8000-000000000001',
  requesterDisplayName: 'Megan <b>Bowen</b>',
  targetUserId: 'b0b0b0b0-0000-4000-8000-000000000002',
  targetDisplayName: 'New Hire',
  targetUserPrincipalName: 'new.hire@contoso.test',
  justification: 'First day at work, no phone yet',
  lifetimeInMinutes: 60,
  isUsableOnce: true,
  startDateTime: null,
  createdAt: new Date('2026-12-01T09:00:00Z'),
  decidedBy: null,
  decidedByDisplayName: null,
  decisionComment: null,
  approvalExpiresAt: null,
  issuedAt: null,
  expiresDateTime: null,
};

describe('portal links in mails', () => {
  it('an approval mail deep-links to Approvals under PORTAL_URL, in text and HTML', () => {
    const message = renderNotification('approval_requested', REQUEST, { portalUrl: 'https://tap.contoso.com/base' });
    expect(message.text).toContain('Open Approvals: https://tap.contoso.com/base/approvals');
    expect(message.html).toContain('<a href="https://tap.contoso.com/base/approvals">Open Approvals</a>');
    expect(message.html).not.toContain('<b>Bowen</b>');
  });

  it('an approved mail links to My requests; a denied or issued mail carries no link', () => {
    const links = { portalUrl: 'https://tap.contoso.com' };
    expect(renderNotification('request_approved', REQUEST, links).text).toContain('Open My requests: https://tap.contoso.com/requests');
    expect(renderNotification('request_denied', REQUEST, links).html).not.toContain('<a ');
    expect(renderNotification('pass_issued', REQUEST, links).html).not.toContain('<a ');
  });

  it('a digest links to Approvals once', () => {
    const entry = { request: { ...REQUEST, status: 'pending_approval' }, requestId: REQUEST.id, fallbackSubject: 'x' };
    const digest = renderApprovalDigest([entry, { ...entry, requestId: 'other' }], { portalUrl: 'https://tap.contoso.com' });
    expect(digest.html.match(/<a href="https:\/\/tap\.contoso\.com\/approvals">/g)).toHaveLength(1);
    expect(digest.text).toContain('Open Approvals: https://tap.contoso.com/approvals');
  });

  it('without PORTAL_URL the mails name the page and carry no link', () => {
    const message = renderNotification('approval_requested', REQUEST);
    expect(message.text).toContain('under Approvals in the TAP Broker portal');
    expect(message.text).not.toContain('http');
    expect(message.html).not.toContain('<a ');
  });
});
