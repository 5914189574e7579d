/**
 * The local tenant's internal contract: the in-memory directory that the seed loads, and the
 * shape of the HTTP handlers that the Entra (OIDC) half and the Graph half plug into.
 *
 * The local tenant is a stand-in for Entra ID and Microsoft Graph. It never imports from the
 * portal (`lib/`, `app/`), and the portal never imports from it: the two meet only over HTTPS,
 * exactly as the portal meets the real cloud.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OidcState } from './oidc/state';

export type UserType = 'Member' | 'Guest';

export interface DirectoryUser {
  id: string; // GUID (from the seed, or derived stably from the UPN)
  userPrincipalName: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  jobTitle: string | null;
  department: string | null;
  officeLocation: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  preferredLanguage: string | null;
  accountEnabled: boolean;
  userType: UserType;
  employeeHireDate: string | null; // ISO 8601
  employeeId: string | null;
  createdDateTime: string;
  /** The seeded password; only the OIDC half reads it. */
  password: string;
  /**
   * The RFC 6238 secret (base32, upper case, no padding) of the user's authenticator app, from
   * the seed's `mfa.totpSecret`; null when the user has none and so cannot pass a second factor.
   * Only the OIDC half and local tooling read it; Graph never returns it.
   */
  totpSecret: string | null;
  managerId: string | null;
  /**
   * A view, not state: the values of the app roles assigned to this user directly on the API the
   * seed registered (`TapBroker.Approver` …), read from and written to `Directory.apps`
   * (tenant/seed-views.ts). Roles held through groups are on {@link DirectoryGroup.appRoles}.
   */
  appRoles: string[];
}

/** Whether a role assignment is in force (`active`) or merely PIM-eligible (activatable on demand). */
export type RoleAssignmentKind = 'active' | 'eligible';

/**
 * One directory role assignment or eligibility, held by a user or by a role-assignable group.
 * Entra keeps these as `unifiedRoleAssignment` / role schedule objects, not on the principal.
 */
export interface DirectoryRoleAssignment {
  /** A user's or a group's object id. */
  principalId: string;
  /** Built-in roles: the role's template id; custom roles: the custom role definition's id. */
  roleDefinitionId: string;
  /** `/` (tenant-wide) or `/administrativeUnits/{auId}`. */
  directoryScopeId: string;
  kind: RoleAssignmentKind;
}

/** A custom directory role definition (seed `customRoles`). Custom roles are never `directoryRole` objects. */
export interface CustomRoleDefinition {
  id: string;
  displayName: string;
  description: string | null;
  /** `allowedResourceActions`, e.g. `microsoft.directory/users/password/update`. */
  permissions: string[];
}

/** An administrative unit (seed `administrativeUnits`). */
export interface AdministrativeUnit {
  id: string;
  displayName: string;
  description: string | null;
  /** Restricted-management AUs: only roles scoped to the AU can manage its members. */
  isMemberManagementRestricted: boolean;
  /** Direct member ids (users and groups), in seed order. */
  memberIds: string[];
}

export interface TapPolicy {
  state: 'enabled' | 'disabled';
  defaultLifetimeInMinutes: number;
  minimumLifetimeInMinutes: number;
  maximumLifetimeInMinutes: number;
  defaultLength: number;
  isUsableOnce: boolean;
  includeTargets: { targetType: 'group'; id: string; isRegistrationRequired: boolean }[];
  excludeTargets: { targetType: 'group'; id: string }[];
}

export interface TapMethod {
  id: string;
  userId: string;
  createdDateTime: string;
  startDateTime: string;
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
  /** Set once the pass has been used for a sign-in (one-time passes then become unusable). */
  usedDateTime: string | null;
  /**
   * SHA-256 of a per-pass random salt and the pass (hex; see tenant/tap-passes.ts), so that sign-in with the pass can be
   * checked. The pass itself is never kept (Graph returns it only in Create's 201).
   */
  passHash: { salt: string; hash: string };
}

/** One created TAP method in {@link Directory.tapMethodLog}; never holds the pass or its hash. */
export interface TapMethodLogEntry {
  id: string;
  userId: string;
  createdDateTime: string;
  /** null while the method exists; else when and how it went (a later create replaces it). */
  ended: { at: string; how: 'deleted' | 'replaced' | 'user-removed' } | null;
}

/** A security group (seed extension). Members are users or other groups, by id. */
export interface DirectoryGroup {
  id: string;
  displayName: string;
  description: string | null;
  /** Role-assignable groups may hold directory roles; Entra forbids nesting groups in them. */
  isAssignableToRole: boolean;
  /** Direct member ids (users and groups), in seed order. */
  memberIds: string[];
  /** Owner user ids, in seed order. */
  ownerIds: string[];
  /**
   * A view of the group's app role assignments on the seeded API (as for users); its members
   * (nested included) hold them.
   */
  appRoles: string[];
}

/**
 * A seeded confidential client as code written before the app registry reads it: a view of its
 * registration (tenant/seed-views.ts). `graphPermissions` reads and replaces its Graph app role
 * assignments; `clientSecret` is the seed's secret, which the registry keeps only hashed.
 */
export interface ConfidentialClient {
  clientId: string;
  clientSecret: string;
  /** Application permissions granted (admin-consented) on Graph, e.g. `User.Read.All`. */
  graphPermissions: string[];
  displayName: string;
  /** Object id of the service principal (the `oid` of its app-only tokens). */
  servicePrincipalId: string;
  /**
   * Certificates (PEM) registered as credentials, for `private_key_jwt` client assertions
   * (msal-node `clientCertificate`). Optional; absent means secret only.
   */
  certificatePems?: string[];
}

/**
 * The tenant's app registry: application objects, service principals, app role assignments and
 * delegated permission grants, as Graph's `/applications`, `/servicePrincipals`,
 * `appRoleAssignments` and `/oauth2PermissionGrants` read and write them. It is the single source
 * of truth for clients and resources: the token endpoint serves the registrations found here
 * (a registration created through Graph signs in like a seeded one), audiences, scopes, token
 * versions and `roles` claims are computed from it. The seed's `portal`, `broker` and
 * `automation` entries are loaded into it; a bare seed leaves it holding only Microsoft's own
 * first-party apps (Microsoft Graph as a resource, the Graph command-line tools as a public client).
 */
export interface AppRegistry {
  /** Application (registration) objects by object id. */
  applications: Map<string, AppRegistration>;
  /** Service principals (enterprise apps) by object id. Microsoft Graph's own is always present. */
  servicePrincipals: Map<string, ServicePrincipalRecord>;
  /** Every app role assignment: users, groups and service principals on a resource service principal. */
  appRoleAssignments: AppRoleAssignmentRecord[];
  /** Delegated permission grants (consent), tenant-wide (`AllPrincipals`) or for one user. */
  oauth2PermissionGrants: OAuth2PermissionGrantRecord[];
}

/** `microsoft.graph.appRole`. */
export interface AppRoleDefinition {
  id: string;
  value: string;
  displayName: string;
  description: string;
  allowedMemberTypes: ('User' | 'Application')[];
  isEnabled: boolean;
}

/** `microsoft.graph.permissionScope` (a delegated permission a resource exposes). */
export interface PermissionScopeDefinition {
  id: string;
  value: string;
  /** `Admin`: only an administrator may consent; `User`: anyone for themselves. */
  type: 'User' | 'Admin';
  adminConsentDisplayName: string;
  adminConsentDescription: string;
  userConsentDisplayName: string | null;
  userConsentDescription: string | null;
  isEnabled: boolean;
}

/**
 * `microsoft.graph.keyCredential` of type `AsymmetricX509Cert`, usage `Verify`: a certificate the
 * client signs its assertions with. Only the public certificate is ever held here.
 */
export interface KeyCredentialRecord {
  keyId: string;
  displayName: string | null;
  /** base64 of the certificate's SHA-1 thumbprint bytes, as Graph returns it. */
  customKeyIdentifier: string;
  startDateTime: string;
  endDateTime: string;
  /** The certificate, PEM. Graph returns `key` only on `$select=keyCredentials` reads of one object. */
  certificatePem: string;
}

/**
 * `microsoft.graph.passwordCredential` (a client secret). Graph returns `secretText` only in the
 * answer to `addPassword`; the tenant keeps a SHA-256 of it to check token requests.
 */
export interface PasswordCredentialRecord {
  keyId: string;
  displayName: string | null;
  /** The first three characters of the secret, as Graph shows them. */
  hint: string;
  startDateTime: string;
  endDateTime: string;
  secretSha256: string;
}

/** `microsoft.graph.application`: the registration. */
export interface AppRegistration {
  /** Object id. */
  id: string;
  /** Client id. */
  appId: string;
  displayName: string;
  createdDateTime: string;
  signInAudience: string;
  /** e.g. `api://{appId}`; what a scope or `/.default` names the resource by. */
  identifierUris: string[];
  /** Public client flows (ROPC, device code) allowed. */
  isFallbackPublicClient: boolean;
  api: {
    /** 2: v2 access tokens; 1 or null: v1 (Entra stores the v1 default as null). */
    requestedAccessTokenVersion: 1 | 2 | null;
    oauth2PermissionScopes: PermissionScopeDefinition[];
    /** Clients that may obtain these scopes with no consent prompt. */
    preAuthorizedApplications: { appId: string; delegatedPermissionIds: string[] }[];
  };
  appRoles: AppRoleDefinition[];
  spa: { redirectUris: string[] };
  web: { redirectUris: string[] };
  publicClient: { redirectUris: string[] };
  /** What the registration asks for (the portal's "API permissions" list); consent is separate. */
  requiredResourceAccess: { resourceAppId: string; resourceAccess: { id: string; type: 'Role' | 'Scope' }[] }[];
  keyCredentials: KeyCredentialRecord[];
  passwordCredentials: PasswordCredentialRecord[];
  /** Users who own the registration (`owners`), by id. */
  ownerIds: string[];
}

/** `microsoft.graph.servicePrincipal`: the app's instance in this tenant. */
export interface ServicePrincipalRecord {
  id: string;
  appId: string;
  displayName: string;
  accountEnabled: boolean;
  appRoleAssignmentRequired: boolean;
  /** The tenant that owns the registration (this tenant, or Microsoft's for first-party apps). */
  appOwnerOrganizationId: string;
  servicePrincipalNames: string[];
  tags: string[];
  createdDateTime: string;
  /**
   * The app roles and delegated scopes the app exposes as a resource. For an app registered in
   * this tenant they are copied from its application object at creation and on every change of it
   * (as Entra does); for Microsoft's first-party apps (Microsoft Graph) they are Microsoft's.
   */
  appRoles: AppRoleDefinition[];
  oauth2PermissionScopes: PermissionScopeDefinition[];
}

/** `microsoft.graph.appRoleAssignment`. For Graph's app roles on a client's service principal, this is admin consent to an application permission. */
export interface AppRoleAssignmentRecord {
  /** base64url, starting with the principal id's bytes, as Entra makes them. */
  id: string;
  principalId: string;
  principalType: 'User' | 'Group' | 'ServicePrincipal';
  principalDisplayName: string;
  /** The resource's service principal id. */
  resourceId: string;
  /** An app role id of the resource; the all-zero GUID is the default access role. */
  appRoleId: string;
  createdDateTime: string;
}

/** `microsoft.graph.oAuth2PermissionGrant`: consent to delegated scopes. */
export interface OAuth2PermissionGrantRecord {
  id: string;
  /** The client's service principal id. */
  clientId: string;
  consentType: 'AllPrincipals' | 'Principal';
  /** The user, for `Principal`; null for `AllPrincipals`. */
  principalId: string | null;
  /** The resource's service principal id. */
  resourceId: string;
  /** Space-separated scope values. */
  scope: string;
}

/** The seeded SPA and API as code written before the app registry reads them: a view of both registrations. */
export interface PortalApp {
  clientId: string; // the SPA
  apiClientId: string; // the API (token audience)
  scope: string; // e.g. access_as_user
  redirectUris: string[];
  /**
   * The API registration's `requestedAccessTokenVersion`: 2 (v2 access tokens, the default) or 1
   * (v1 tokens: `sts.windows.net` issuer, `api://` audience, `appid` instead of `azp`).
   */
  accessTokenVersion: 1 | 2;
}

/**
 * A Conditional Access authentication context (seed `authContexts`), with the local stand-in for
 * the policy that protects it: what a sign-in must prove before a token may carry its id in `acrs`.
 */
export interface AuthContextDefinition {
  /** `c1` … `c99`, as Entra names them. */
  id: string;
  displayName: string | null;
  /** The policy's grant control "Require multifactor authentication": a second factor (TOTP). */
  requireMfa: boolean;
  /**
   * The policy's sign-in frequency: how long a proof stays good, in minutes; null means it lasts
   * as long as the session and the refresh tokens that carry it.
   */
  signInFrequencyMinutes: number | null;
  /**
   * The policy's sign-in frequency "Every time": each authorize request naming the context asks
   * again (the second factor, or for a context without `requireMfa` the password), and only its
   * own authorization code carries the proof; the session and refresh tokens never carry it on.
   * Excludes `signInFrequencyMinutes`.
   */
  everyTime: boolean;
}

export interface Directory {
  tenantId: string;
  /**
   * @deprecated A view of the registrations the seed's `portal` entry loaded into {@link apps};
   * throws on a tenant seeded without one. Read the registry (tenant/app-registry.ts) instead.
   */
  readonly portal: PortalApp;
  /** @deprecated A view of the seed's broker registration; throws on a tenant seeded without one. */
  readonly broker: ConfidentialClient;
  /** @deprecated A view of the seed's automation registration, or null. */
  readonly automation: ConfidentialClient | null;
  tapPolicy: TapPolicy;
  /** Applications, service principals, app role assignments and consent (see {@link AppRegistry}). */
  apps: AppRegistry;
  users: Map<string, DirectoryUser>; // by id
  /** Case-insensitive UPN → id. */
  usersByUpn: Map<string, string>;
  /** managerId → ordered ids of direct reports (kept in step with `managerId`). */
  directReports: Map<string, string[]>;
  /** userId → that user's TAP methods (Graph keeps at most one). */
  tapMethods: Map<string, TapMethod[]>;
  /**
   * Every TAP method this tenant ever created, by method id, with how it ended (tenant extension,
   * not Graph's): lets a load campaign check that each pass is on record or was deleted.
   */
  tapMethodLog: Map<string, TapMethodLogEntry>;
  /** Groups by id (seed extension; empty when the seed has none). */
  groups: Map<string, DirectoryGroup>;
  /** Every directory role assignment and eligibility, of users and groups, in seed order. */
  roleAssignments: DirectoryRoleAssignment[];
  /** Custom role definitions by id. */
  customRoles: Map<string, CustomRoleDefinition>;
  /** Administrative units by id. */
  administrativeUnits: Map<string, AdministrativeUnit>;
  /** Authentication contexts by id (`c1` …); empty when the seed defines none. */
  authContexts: Map<string, AuthContextDefinition>;
  /** What changed about which user, and when, for `users/delta` (tenant/user-changes.ts). */
  userChanges: UserChangeLog;
}

/**
 * The users' change log. Counter values are the only clock: a seeded user has no entry (it has
 * existed since before any delta round could start).
 */
export interface UserChangeLog {
  /** New for every built directory: tokens of another epoch are stale (410). */
  epoch: string;
  /** The last counter value handed out. */
  counter: number;
  /** userId → changed property (a DirectoryUser field, `manager`, or `@created`) → counter at its last change. */
  versions: Map<string, Map<string, number>>;
  /** userId → the manager they had before their latest manager change. */
  previousManagers: Map<string, string | null>;
  /** Deleted users, kept so that a later round can report them as removed. */
  tombstones: Map<string, { at: number; reason: 'changed' | 'deleted' }>;
  /** Sorted ids of live and deleted users; null when it must be rebuilt. */
  order: string[] | null;
}

/** What the Graph half learns about the caller from a verified app-only access token. */
export interface GraphCaller {
  kind: 'app' | 'user';
  appId: string;
  /** Application permissions (`roles`) for app tokens; delegated scopes (`scp`) for user tokens. */
  permissions: string[];
  /** The signed-in user's id for delegated tokens. */
  userId: string | null;
}

export interface TenantContext {
  directory: Directory;
  /** The tenant's public base URL, e.g. `https://localhost:8443` (no trailing slash). */
  baseUrl: string;
  faults: FaultState;
  stats: RequestStats;
  /**
   * The Entra half's state: the token signing key and the in-memory authorization codes,
   * refresh tokens and sign-in sessions. Graph code verifies tokens through
   * `verifyGraphToken` in `tenant/oidc/tokens.ts` rather than reading this directly.
   */
  oidc: OidcState;
}

export interface FaultState {
  /** Added latency on every Graph request (including each `$batch` as a whole). */
  latencyMs: number;
  /** Probability 0..1 of answering a Graph request with 429. */
  throttleRate: number;
  /** Answer the next N Graph requests with 429. */
  throttleNext: number;
  retryAfterSeconds: number;
  /** Answer the next N Graph requests with 503. */
  unavailableNext: number;
  /** Destroy the socket without answering on the next N Graph requests. */
  dropNext: number;
  /**
   * Answer the next N requests carried inside a `$batch` with 429 + Retry-After, inside a 200
   * envelope (Graph throttles batch items individually).
   */
  batchItemThrottleNext: number;
  /** Probability 0..1 of answering a `$batch` item with 429. */
  batchItemThrottleRate: number;
  /**
   * Crash test: the next N TAP creates CREATE the pass, then never answer (the socket stays
   * open until the client gives up or the tenant closes).
   */
  tapCreateHangNext: number;
  /** The next N TAP creates create the pass, then answer 503 (the client cannot know). */
  tapCreateFailAfterNext: number;
  /** The next N TAP creates answer 503 without creating anything. */
  tapCreateFailNext: number;
  /** The next N `sendMail` calls answer 503 without recording (or sending) anything. */
  sendMailFailNext: number;
  /**
   * The next N `users/delta` requests that carry a state token (`$deltatoken` or `$skiptoken`)
   * answer 410 `syncStateNotFound`, as Graph does when a token has expired or the tenant was
   * reset, so that a client's full resync can be tested.
   */
  deltaResyncNext: number;
}

export interface RequestStats {
  /** HTTP round trips served under `/graph`, by `METHOD /template` (ids replaced by `{id}`). */
  graph: Record<string, number>;
  /** Requests carried inside `$batch`, by the same template. */
  batched: Record<string, number>;
  /** Requests to the Entra endpoints, by template. */
  entra: Record<string, number>;
  /**
   * Things that happened, for tests to wait on: `tapMethod.created` (counted when the method
   * exists, whatever the answer then is), `tapMethod.deleted`, `signIn.tap` (a sign-in with a pass),
   * `mail.sent` (a message accepted by `sendMail`; the message itself is in the mail log).
   */
  events: Record<string, number>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, ctx: TenantContext) => Promise<void>;
