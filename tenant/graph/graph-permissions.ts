/**
 * Microsoft Graph's own permissions as its service principal (appId
 * 00000003-0000-0000-c000-000000000000) exposes them: app roles (application permissions) and
 * delegated scopes, with Microsoft's real ids from the Graph permissions reference
 * (learn.microsoft.com/graph/permissions-reference). Real ids matter: a registration written
 * against the local tenant (`requiredResourceAccess`, app role assignments) must carry the ids a
 * real tenant accepts, so setup and doctor code cannot pass here and fail there.
 *
 * Only the permissions this project and its setup touch are listed; an id not verified against
 * the reference is left out rather than guessed.
 */
import type { AppRoleDefinition, PermissionScopeDefinition } from '../types';

/** Microsoft Graph's appId, the same in every tenant. */
export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

function appRole(id: string, value: string, displayName: string, description: string): AppRoleDefinition {
  return { id, value, displayName, description, allowedMemberTypes: ['Application'], isEnabled: true };
}

function scope(id: string, value: string, type: 'User' | 'Admin', displayName: string, description: string): PermissionScopeDefinition {
  return {
    id,
    value,
    type,
    adminConsentDisplayName: displayName,
    adminConsentDescription: description,
    userConsentDisplayName: type === 'User' ? displayName : null,
    userConsentDescription: type === 'User' ? description : null,
    isEnabled: true,
  };
}

/** Graph's application permissions (app roles, `allowedMemberTypes: ['Application']`). */
export const GRAPH_APP_ROLES: readonly AppRoleDefinition[] = [
  appRole('df021288-bdef-4463-88db-98f22de89214', 'User.Read.All', "Read all users' full profiles", "Allows the app to read user profiles without a signed in user."),
  appRole('741f803b-c850-494e-b5df-cde7c675a1ca', 'User.ReadWrite.All', "Read and write all users' full profiles", "Allows the app to read and update user profiles without a signed in user."),
  appRole('97235f07-e226-4f63-ace3-39588e11d3a1', 'User.ReadBasic.All', "Read all users' basic profiles", "Allows the app to read a basic set of profile properties of other users in your organization without a signed-in user."),
  appRole('7ab1d382-f21e-4acd-a863-ba3e13f7da61', 'Directory.Read.All', 'Read directory data', "Allows the app to read data in your organization's directory, such as users, groups and apps, without a signed-in user."),
  appRole('19dbc75e-c2e2-444c-a770-ec69d8559fc7', 'Directory.ReadWrite.All', 'Read and write directory data', "Allows the app to read and write data in your organization's directory, such as users, and groups, without a signed-in user."),
  appRole('50483e42-d915-4231-9639-7fdb7fd190e5', 'UserAuthenticationMethod.ReadWrite.All', "Read and write all users' authentication methods", "Allows the application to read and write authentication methods of all users in your organization, without a signed-in user."),
  appRole('627169a8-8c15-451c-861a-5b80e383de5c', 'UserAuthMethod-TAP.ReadWrite.All', "Read and write all users' Temporary Access Pass methods", "Allows the application to read and write Temporary Access Pass authentication methods of all users in your organization, without a signed-in user."),
  appRole('246dd0d5-5bd0-4def-940b-0421030a5b68', 'Policy.Read.All', "Read your organization's policies", "Allows the app to read all your organization's policies without a signed in user."),
  appRole('8e3bc81b-d2f3-4b7b-838c-32c88218d2f0', 'Policy.Read.AuthenticationMethod', 'Read authentication method policies', 'Allows the app to read all authentication method policies for the tenant, without a signed-in user.'),
  appRole('29c18626-4985-4dcd-85c0-193eef327366', 'Policy.ReadWrite.AuthenticationMethod', 'Read and write all authentication method policies', 'Allows the app to read and write all authentication method policies for the tenant, without a signed-in user.'),
  appRole('483bed4a-2ad3-4361-a73b-c83ccdbdc53c', 'RoleManagement.Read.Directory', 'Read all directory RBAC settings', "Allows the app to read the role-based access control (RBAC) settings for your company's directory, without a signed-in user."),
  appRole('9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8', 'RoleManagement.ReadWrite.Directory', 'Read and write all directory RBAC settings', "Allows the app to read and manage the role-based access control (RBAC) settings for your company's directory, without a signed-in user."),
  appRole('c7fbd983-d9aa-4fa7-84b8-17382c103bc4', 'RoleManagement.Read.All', 'Read role management data for all RBAC providers', 'Allows the app to read role-based access control (RBAC) settings for all RBAC providers without a signed-in user.'),
  appRole('98830695-27a2-44f7-8c18-0c3ebc9698f6', 'GroupMember.Read.All', 'Read all group memberships', 'Allows the app to read memberships and basic group properties for all groups without a signed-in user.'),
  appRole('5b567255-7703-4780-807c-7be8301ae99b', 'Group.Read.All', 'Read all groups', 'Allows the app to read group properties and memberships, and read conversations for all groups, without a signed-in user.'),
  appRole('62a82d76-70ea-41e2-9197-370581804d09', 'Group.ReadWrite.All', 'Read and write all groups', 'Allows the app to create groups, read all group properties and memberships, update group properties and memberships, and delete groups, without a signed-in user.'),
  appRole('134fd756-38ce-4afd-ba33-e9623dbe66c2', 'AdministrativeUnit.Read.All', 'Read all administrative units', 'Allows the app to read administrative units and administrative unit membership without a signed-in user.'),
  appRole('5eb59dd3-1da2-4329-8733-9dabdc435916', 'AdministrativeUnit.ReadWrite.All', 'Read and write all administrative units', 'Allows the app to create, read, update, and delete administrative units and manage administrative unit membership without a signed-in user.'),
  appRole('9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30', 'Application.Read.All', 'Read all applications', 'Allows the app to read all applications and service principals without a signed-in user.'),
  appRole('1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9', 'Application.ReadWrite.All', 'Read and write all applications', 'Allows the app to create, read, update and delete applications and service principals without a signed-in user. Does not allow management of consent grants.'),
  appRole('06b708a9-e830-4db3-a914-8e69da51d44f', 'AppRoleAssignment.ReadWrite.All', 'Manage app permission grants and app role assignments', 'Allows the app to manage permission grants for application permissions to any API (including Microsoft Graph) and application assignments for any app, without a signed-in user.'),
  appRole('8e8e4742-1d95-4f68-9d56-6ee75648c72a', 'DelegatedPermissionGrant.ReadWrite.All', 'Manage all delegated permission grants', 'Allows the app to manage permission grants for delegated permissions exposed by any API (including Microsoft Graph), without a signed-in user.'),
  appRole('b633e1c5-b582-4048-a93e-9f11b44c7e96', 'Mail.Send', 'Send mail as any user', 'Allows the app to send mail as any user without a signed-in user.'),
];

/** Graph's delegated permissions (scopes), including the OpenID Connect ones Graph exposes. */
export const GRAPH_DELEGATED_SCOPES: readonly PermissionScopeDefinition[] = [
  scope('37f7f235-527c-4136-accd-4a02d197296e', 'openid', 'User', 'Sign users in', 'Allows users to sign in to the app with their work or school accounts and allows the app to see basic user profile information.'),
  scope('14dad69e-099b-42c9-810b-d002981feec1', 'profile', 'User', "View users' basic profile", "Allows the app to see your users' basic profile (e.g., name, picture, user name, email address)"),
  scope('64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0', 'email', 'User', "View users' email address", "Allows the app to read your users' primary email address"),
  scope('7427e0e9-2fba-42fe-b0c0-848c9e6a8182', 'offline_access', 'User', 'Maintain access to data you have given it access to', 'Allows the app to see and update the data you gave it access to, even when users are not currently using the app.'),
  scope('e1fe6dd8-ba31-4d61-89e7-88639da4683d', 'User.Read', 'User', 'Sign in and read user profile', 'Allows users to sign-in to the app, and allows the app to read the profile of signed-in users.'),
  scope('a154be20-db9c-4678-8ab7-66f6cc099a59', 'User.Read.All', 'Admin', "Read all users' full profiles", 'Allows the app to read the full set of profile properties, reports, and managers of other users in your organization, on behalf of the signed-in user.'),
  scope('b340eb25-3456-403f-be2f-af7a0d370277', 'User.ReadBasic.All', 'User', "Read all users' basic profiles", 'Allows the app to read a basic set of profile properties of other users in your organization on behalf of the signed-in user.'),
  scope('c79f8feb-a9db-4090-85f9-90d820caa0eb', 'Application.Read.All', 'Admin', 'Read applications', 'Allows the app to read applications and service principals on behalf of the signed-in user.'),
  scope('bdfbf15f-ee85-4955-8675-146e8e5296b5', 'Application.ReadWrite.All', 'Admin', 'Read and write all applications', 'Allows the app to create, read, update and delete applications and service principals on behalf of the signed-in user. Does not allow management of consent grants.'),
  scope('84bccea3-f856-4a8a-967b-dbe0a3d53a64', 'AppRoleAssignment.ReadWrite.All', 'Admin', 'Manage app permission grants and app role assignments', 'Allows the app to manage permission grants for application permissions to any API (including Microsoft Graph) and application assignments for any app, on behalf of the signed-in user.'),
  scope('41ce6ca6-6826-4807-84f1-1c82854f7ee5', 'DelegatedPermissionGrant.ReadWrite.All', 'Admin', 'Manage all delegated permission grants', 'Allows the app to manage permission grants for delegated permissions exposed by any API (including Microsoft Graph), on behalf of the signed in user.'),
  scope('06da0dbc-49e2-44d2-8312-53f166ab848a', 'Directory.Read.All', 'Admin', 'Read directory data', "Allows the app to read data in your organization's directory, such as users, groups and apps."),
];

const lower = (s: string): string => s.toLowerCase();

/** Entra compares permission values and ids case-insensitively. */
function indexByValueAndId<T extends { id: string; value: string }>(items: readonly T[]): { byValue: Map<string, T>; byId: Map<string, T> } {
  return { byValue: new Map(items.map((i) => [lower(i.value), i])), byId: new Map(items.map((i) => [lower(i.id), i])) };
}

const appRoles = indexByValueAndId(GRAPH_APP_ROLES);
const scopes = indexByValueAndId(GRAPH_DELEGATED_SCOPES);

/** Graph's application permission named `value`, or undefined. */
export const findGraphAppRoleByValue = (value: string): AppRoleDefinition | undefined => appRoles.byValue.get(lower(value));

/** Graph's application permission with app role id `id`, or undefined. */
export const findGraphAppRoleById = (id: string): AppRoleDefinition | undefined => appRoles.byId.get(lower(id));

/** Graph's delegated scope named `value`, or undefined. */
export const findGraphScopeByValue = (value: string): PermissionScopeDefinition | undefined => scopes.byValue.get(lower(value));

/** Graph's delegated scope with id `id`, or undefined. */
export const findGraphScopeById = (id: string): PermissionScopeDefinition | undefined => scopes.byId.get(lower(id));
