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

/** In display order. Consoles for auditors and admins join this list. */
export const NAV_ITEMS: readonly NavItem[] = [
  { href: '/', label: 'Team', isVisible: () => true },
  { href: '/requests', label: 'My requests', isVisible: () => true },
  { href: '/approvals', label: 'Approvals', isVisible: canReviewRequests },
  { href: '/dashboard', label: 'Dashboard', isVisible: canReadAudit },
  { href: '/audit', label: 'Audit', isVisible: canReadAudit },
  { href: '/policy', label: 'Policy', isVisible: canChangePolicy },
];
