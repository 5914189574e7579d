/**
 * The portal's sections and who sees them. The UI only hides what a role cannot use; the API
 * decides (docs/api-contract.md#roles), so a hidden link is convenience, never protection.
 */
export const APP_ROLES = {
  approver: 'TapBroker.Approver',
  auditor: 'TapBroker.Auditor',
  admin: 'TapBroker.Admin',
} as const;

/** Approvers, and admins (who may do everything an approver may). */
export function canReviewRequests(roles: readonly string[]): boolean {
  return roles.includes(APP_ROLES.approver) || roles.includes(APP_ROLES.admin);
}

/** Who may read `GET /api/policy` (it carries the tenant's bounds as well). */
export function canReadPolicy(roles: readonly string[]): boolean {
  return roles.includes(APP_ROLES.approver) || roles.includes(APP_ROLES.auditor) || roles.includes(APP_ROLES.admin);
}

/** Auditors, and admins (who may do everything an auditor may): the audit console and the dashboard. */
export function canReadAudit(roles: readonly string[]): boolean {
  return roles.includes(APP_ROLES.auditor) || roles.includes(APP_ROLES.admin);
}

/** Who may change the broker policy (`PUT /api/policy`); the policy console is theirs. */
export function canChangePolicy(roles: readonly string[]): boolean {
  return roles.includes(APP_ROLES.admin);
}

export interface NavItem {
  href: string;
  label: string;
  isVisible: (roles: readonly string[]) => boolean;
}

/**
 * `/` chooses the page from who you are ({@link getLanding}); this asks for the team whatever
 * the role, so the Team tab always shows the team.
 */
export const TEAM_HREF = '/?view=team';

/** In display order. Consoles for auditors and admins join this list. */
export const NAV_ITEMS: readonly NavItem[] = [
  { href: TEAM_HREF, label: 'Team', isVisible: () => true },
  { href: '/requests', label: 'My requests', isVisible: () => true },
  { href: '/approvals', label: 'Approvals', isVisible: canReviewRequests },
  { href: '/dashboard', label: 'Dashboard', isVisible: canReadAudit },
  { href: '/audit', label: 'Audit', isVisible: canReadAudit },
  { href: '/policy', label: 'Policy', isVisible: canChangePolicy },
];

/**
 * Where `/` takes someone: `team` (the team list), `help` (how to get a pass of your own) or
 * another page (`go`).
 */
export type Landing = { kind: 'team' } | { kind: 'help' } | { kind: 'go'; path: '/dashboard' | '/approvals' | '/audit' };

/**
 * Each role lands where its work is: admins on the dashboard (what needs them), managers on their
 * team, approvers without reports on the queue, auditors without reports on the trail; someone
 * with neither reports nor a role on the help page. `hasReports` unknown (Graph did not say)
 * counts as a team, the page that works for everyone.
 */
export function getLanding(me: { roles: readonly string[]; hasReports?: boolean | undefined }): Landing {
  if (me.roles.includes(APP_ROLES.admin)) return { kind: 'go', path: '/dashboard' };
  if (me.hasReports !== false) return { kind: 'team' };
  if (canReviewRequests(me.roles)) return { kind: 'go', path: '/approvals' };
  if (canReadAudit(me.roles)) return { kind: 'go', path: '/audit' };
  return { kind: 'help' };
}

/** A window event: some request changed state through the portal (its counts are stale). */
export const REQUESTS_CHANGED_EVENT = 'tap-broker:requests-changed';

/** The Approvals tab's description of its count: "2 waiting". */
export function waitingDescription(waiting: number): string {
  return `${waiting} waiting`;
}

/** How to reach the helpdesk, from HELPDESK_CONTACT: a link for URLs and mailto:, else text. */
export function describeHelpdeskContact(contact: string): { kind: 'link'; href: string; text: string } | { kind: 'text'; text: string } {
  if (/^mailto:[^\s]+$/i.test(contact)) return { kind: 'link', href: contact, text: contact.slice('mailto:'.length) };
  if (/^https?:\/\/[^\s]+$/i.test(contact) && URL.canParse(contact)) return { kind: 'link', href: contact, text: contact };
  return { kind: 'text', text: contact };
}
