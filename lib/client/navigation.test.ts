/** Where each role lands, the Approvals tab's name and the helpdesk contact's form. */
import { describe, expect, it } from 'vitest';
import { APP_ROLES, waitingDescription, describeHelpdeskContact, getLanding } from '@/lib/client/navigation';

describe('getLanding', () => {
  it('sends admins to the dashboard, with or without reports', () => {
    expect(getLanding({ roles: [APP_ROLES.admin], hasReports: false })).toEqual({ kind: 'go', path: '/dashboard' });
    expect(getLanding({ roles: [APP_ROLES.admin, APP_ROLES.approver], hasReports: true })).toEqual({ kind: 'go', path: '/dashboard' });
  });

  it('keeps managers on their team, whatever other role they hold, and when Graph did not say', () => {
    expect(getLanding({ roles: [], hasReports: true })).toEqual({ kind: 'team' });
    expect(getLanding({ roles: [APP_ROLES.approver], hasReports: true })).toEqual({ kind: 'team' });
    expect(getLanding({ roles: [APP_ROLES.auditor] })).toEqual({ kind: 'team' });
  });

  it('sends approvers and auditors without reports to their work, approvals first', () => {
    expect(getLanding({ roles: [APP_ROLES.approver], hasReports: false })).toEqual({ kind: 'go', path: '/approvals' });
    expect(getLanding({ roles: [APP_ROLES.approver, APP_ROLES.auditor], hasReports: false })).toEqual({ kind: 'go', path: '/approvals' });
    expect(getLanding({ roles: [APP_ROLES.auditor], hasReports: false })).toEqual({ kind: 'go', path: '/audit' });
  });

  it('shows the help page to someone with no reports and no role', () => {
    expect(getLanding({ roles: [], hasReports: false })).toEqual({ kind: 'help' });
  });
});

describe('waitingDescription', () => {
  it('says how many wait', () => {
    expect(waitingDescription(2)).toBe('2 waiting');
  });
});

describe('describeHelpdeskContact', () => {
  it('links mailto: and http(s) URLs and shows anything else as text', () => {
    expect(describeHelpdeskContact('mailto:help@contoso.com')).toEqual({ kind: 'link', href: 'mailto:help@contoso.com', text: 'help@contoso.com' });
    expect(describeHelpdeskContact('https://help.contoso.com/tap')).toEqual({ kind: 'link', href: 'https://help.contoso.com/tap', text: 'https://help.contoso.com/tap' });
    expect(describeHelpdeskContact('javascript:alert(1)')).toEqual({ kind: 'text', text: 'javascript:alert(1)' });
    expect(describeHelpdeskContact('Call +1 555 0100')).toEqual({ kind: 'text', text: 'Call +1 555 0100' });
  });
});
