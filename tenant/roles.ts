/**
 * Built-in Entra directory roles the local tenant knows by name (template ids from Microsoft's
 * "Microsoft Entra built-in roles" reference). A seed may name a role by display name or give
 * any template id; a template id missing from this table is taken as a built-in role the table
 * does not name (Entra has far more). Custom roles are separate (`customRoles` in the seed).
 *
 * `nonAdmin` marks the short list of roles that, per Entra's "who can perform sensitive
 * actions" table, leave a user a non-admin (docs/graph-behaviours.md#admin-set). Every other
 * role, including unknown/custom ones, makes its holder an admin.
 */
export interface BuiltInRole {
  templateId: string;
  displayName: string;
  description: string;
  nonAdmin: boolean;
}

function role(templateId: string, displayName: string, description: string, nonAdmin = false): BuiltInRole {
  return { templateId, displayName, description, nonAdmin };
}

export const BUILT_IN_DIRECTORY_ROLES: readonly BuiltInRole[] = [
  // The non-admin roles of Entra's helpdesk rule.
  role('c4e39bd9-1100-46d3-8c65-fb160da0071f', 'Authentication Administrator', 'Can access to view, set and reset authentication method information for any non-admin user.', true),
  role('88d8e3e3-8f55-4a1e-953a-9b9898b8876b', 'Directory Readers', 'Can read basic directory information. Commonly used to grant directory read access to applications and guests.', true),
  role('95e79109-95c0-4d8e-aee3-d01accf2d47b', 'Guest Inviter', 'Can invite guest users independent of the \'members can invite guests\' setting.', true),
  role('790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b', 'Message Center Reader', 'Can read messages and updates for their organization in Office 365 Message Center only.', true),
  role('966707d0-3269-4727-9be2-8c3a10f19b9d', 'Password Administrator', 'Can reset passwords for non-administrators and Password Administrators.', true),
  role('4a5d8f65-41da-4de4-8968-e035b65339cf', 'Reports Reader', 'Can read sign-in and audit reports.', true),
  role('27460883-1df1-4691-b032-3b79643e5e63', 'User Experience Success Manager', 'View product feedback, survey results, and reports to find training and communication opportunities.', true),
  role('75934031-6c7e-415a-99d7-48dbd49e875e', 'Usage Summary Reports Reader', 'Read Usage reports and Adoption Score, but can\'t access user details.', true),
  // Admin roles.
  role('62e90394-69f5-4237-9190-012177145e10', 'Global Administrator', 'Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.'),
  role('7be44c8a-adaf-4e2a-84d6-ab2649e08a13', 'Privileged Authentication Administrator', 'Can access to view, set and reset authentication method information for any user (admin or non-admin).'),
  role('e8611ab8-c189-46e8-94e1-60213ab1f814', 'Privileged Role Administrator', 'Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.'),
  role('fe930be7-5e62-47db-91af-98c3a49a38b1', 'User Administrator', 'Can manage all aspects of users and groups, including resetting passwords for limited admins.'),
  role('729827e3-9c14-49f7-bb1b-9608f156bbb8', 'Helpdesk Administrator', 'Can reset passwords for non-administrators and Helpdesk Administrators.'),
  role('194ae4cb-b126-40b2-bd5b-6091b380977d', 'Security Administrator', 'Can read security information and reports, and manage configuration in Microsoft Entra ID and Office 365.'),
  role('29232cdf-9323-42fd-ade2-1d097af3e4de', 'Exchange Administrator', 'Can manage all aspects of the Exchange product.'),
  role('f28a1f50-f6e7-4571-818b-6a12f2af6b6c', 'SharePoint Administrator', 'Can manage all aspects of the SharePoint service.'),
  role('f2ef992c-3afb-46b9-b7cf-a126ee74c451', 'Global Reader', 'Can read everything that a Global Administrator can, but not update anything.'),
  role('9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', 'Application Administrator', 'Can create and manage all aspects of app registrations and enterprise apps.'),
  role('158c047a-c907-4556-b7ef-446551a6b5f7', 'Cloud Application Administrator', 'Can create and manage all aspects of app registrations and enterprise apps except App Proxy.'),
  role('b1be1c3e-b65d-4f19-8427-f6fa0d97feb9', 'Conditional Access Administrator', 'Can manage Conditional Access capabilities.'),
  role('3a2c62db-5318-420d-8d74-23affee5d9d5', 'Intune Administrator', 'Can manage all aspects of the Intune product.'),
  role('b0f54661-2d74-4c50-afa3-1ec803f12efe', 'Billing Administrator', 'Can perform common billing related tasks like updating payment information.'),
  role('69091246-20e8-4a56-aa4d-066075b2a7a8', 'Teams Administrator', 'Can manage the Microsoft Teams service.'),
  role('fdd7a751-b60b-444a-984c-02652fe8fa1c', 'Groups Administrator', 'Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies, and view groups activity and audit reports.'),
  role('4d6ac14f-3453-41d0-bef9-a3e0c569773a', 'License Administrator', 'Can manage product licenses on users and groups.'),
  role('17315797-102d-40b4-93e0-432062caca18', 'Compliance Administrator', 'Can read and manage compliance configuration and reports in Microsoft Entra ID and Microsoft 365.'),
  role('8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2', 'Hybrid Identity Administrator', 'Can manage AD to Microsoft Entra cloud provisioning, Microsoft Entra Connect, and federation settings.'),
  role('7698a772-787b-4ac8-901f-60d6b08affd2', 'Cloud Device Administrator', 'Limited access to manage devices in Microsoft Entra ID.'),
  role('f023fd81-a637-4b56-95fd-791ac0226033', 'Service Support Administrator', 'Can read service health information and manage support tickets.'),
  role('9360feb5-f418-4baa-8175-e2a00bac4301', 'Directory Writers', 'Can read and write basic directory information. For granting access to applications, not intended for users.'),
  role('cf1c38e5-3621-4004-a7cb-879624dced7c', 'Application Developer', 'Can create application registrations independent of the \'Users can register applications\' setting.'),
  role('0526716b-113d-4c15-b2c8-68e3c22b9f80', 'Authentication Policy Administrator', 'Can create and manage the authentication methods policy, tenant-wide MFA settings, password protection policy, and verifiable credentials.'),
  role('5d6b6bb7-de71-4623-b4af-96380a352509', 'Security Reader', 'Can read security information and reports in Microsoft Entra ID and Office 365.'),
  role('5f2222b1-57c3-48ba-8ad5-d4759f1fde6f', 'Security Operator', 'Creates and manages security events.'),
  role('11648597-926c-4cf3-9c36-bcebb0ba8dcc', 'Power Platform Administrator', 'Can create and manage all aspects of Microsoft Dynamics 365, Power Apps and Power Automate.'),
  role('baf37b3a-610e-45da-9e62-d9d1e5e8914b', 'Teams Communications Administrator', 'Can manage calling and meetings features within the Microsoft Teams service.'),
  role('75941009-915a-4869-abe7-691bff18279e', 'Skype for Business Administrator', 'Can manage all aspects of the Skype for Business product.'),
];

const byId = new Map(BUILT_IN_DIRECTORY_ROLES.map((r) => [r.templateId, r]));
const byName = new Map(BUILT_IN_DIRECTORY_ROLES.map((r) => [r.displayName.toLowerCase(), r]));
// Older names still seen in scripts and Graph's directoryRole objects.
byName.set('company administrator', byId.get('62e90394-69f5-4237-9190-012177145e10') as BuiltInRole);
byName.set('password admin', byId.get('966707d0-3269-4727-9be2-8c3a10f19b9d') as BuiltInRole);

/** Resolves a seed's role reference (display name, case-insensitive, or template id) to a template id. */
export function resolveDirectoryRole(nameOrTemplateId: string): string | null {
  const s = nameOrTemplateId.trim();
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) return s.toLowerCase();
  return byName.get(s.toLowerCase())?.templateId ?? null;
}

/** What Graph shows for a built-in role: the table's entry, or a generic one for a template id the table lacks. */
export function getDirectoryRoleInfo(templateId: string): BuiltInRole {
  return (
    byId.get(templateId.toLowerCase()) ?? {
      templateId: templateId.toLowerCase(),
      displayName: `Built-in role ${templateId.toLowerCase()}`,
      description: 'A built-in directory role the local tenant does not name.',
      nonAdmin: false,
    }
  );
}
