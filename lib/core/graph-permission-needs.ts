/**
 * The Microsoft Graph application permissions the broker needs, per feature, least privilege
 * first: the one list that the configuration checks (lib/graph/get-broker-access.ts) compare the
 * broker's token with and that `npm run setup:entra` requests and consents to.
 *
 * Plain data with no server-only import, so scripts run with tsx outside Next can read it.
 */

export interface PermissionNeed {
  id: string;
  /** The feature, as a reader of the check would name it. */
  feature: string;
  /** The least-privileged application permission; what the fix asks for. */
  least: string;
  /** Every permission Graph accepts for the feature's calls (`least` first, then wider ones). */
  accepted: readonly string[];
  /** What breaks without it. */
  without: string;
}

const DIRECTORY_WIDE = ['Directory.Read.All', 'Directory.ReadWrite.All'] as const;

/**
 * Least privilege per call (docs/graph-behaviours.md#permissions). A feature is covered by any of its
 * `accepted` permissions; the fix always names `least`.
 */
export const BROKER_PERMISSION_NEEDS: readonly PermissionNeed[] = [
  {
    id: 'users-and-org-chart',
    feature: 'reading users and the org chart',
    least: 'User.Read.All',
    accepted: ['User.Read.All', 'User.ReadWrite.All', ...DIRECTORY_WIDE],
    without: 'nothing works: the broker cannot read users or who reports to whom',
  },
  {
    id: 'tap-methods',
    feature: 'creating, reading and deleting passes',
    least: 'UserAuthMethod-TAP.ReadWrite.All',
    accepted: ['UserAuthMethod-TAP.ReadWrite.All', 'UserAuthenticationMethod.ReadWrite.All'],
    without: 'no pass can be issued or revoked',
  },
  {
    id: 'tenant-tap-policy',
    feature: "reading the tenant's Temporary Access Pass policy",
    least: 'Policy.Read.AuthenticationMethod',
    // Not Policy.Read.All: Graph answers 403 on this endpoint with it.
    accepted: ['Policy.Read.AuthenticationMethod', 'Policy.ReadWrite.AuthenticationMethod'],
    without: 'every target is refused as cannot-verify, and the policy console cannot check lifetimes against the tenant',
  },
  {
    id: 'directory-roles',
    feature: 'active and eligible directory roles',
    least: 'RoleManagement.Read.Directory',
    accepted: ['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', 'RoleManagement.Read.All', ...DIRECTORY_WIDE],
    without: 'every target is refused as cannot-verify: the broker cannot see who holds an admin role',
  },
  {
    id: 'groups',
    feature: 'role-assignable groups, group owners, protected groups and the TAP policy’s target groups',
    least: 'GroupMember.Read.All',
    accepted: ['GroupMember.Read.All', 'Group.Read.All', 'Group.ReadWrite.All', ...DIRECTORY_WIDE],
    without: 'any target in a group, or owning one, is refused as cannot-verify: the broker cannot see role-assignable or protected groups',
  },
  {
    id: 'administrative-units',
    feature: 'restricted-management administrative units',
    least: 'AdministrativeUnit.Read.All',
    accepted: ['AdministrativeUnit.Read.All', 'AdministrativeUnit.ReadWrite.All', ...DIRECTORY_WIDE],
    without: 'any target in an administrative unit is refused as cannot-verify: the broker cannot see restricted-management administrative units',
  },
  {
    id: 'portal-app-roles',
    feature: 'portal app roles held by a target',
    least: 'Application.Read.All',
    accepted: ['Application.Read.All', 'Application.ReadWrite.All', ...DIRECTORY_WIDE],
    without: 'every target is refused as cannot-verify: the broker cannot see who holds a TapBroker role',
  },
];

/** Only when MAIL_SENDER is set (notifications on, so a missing grant is a failure); without it notifications need nothing. */
export const MAIL_PERMISSION_NEED: PermissionNeed = {
  id: 'notifications',
  feature: 'notification mail',
  least: 'Mail.Send',
  accepted: ['Mail.Send'],
  without: 'notification mail is not sent, although MAIL_SENDER turns notifications on (every other feature works)',
};
