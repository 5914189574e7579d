/**
 * What `npm run setup:entra` finds in the tenant before it plans: the three registrations, their
 * service principals, Microsoft Graph's permission catalogue, consent, role assignments, the
 * `.env` file and the local certificate. The zod schemas parse Graph's answers (Graph is input);
 * the types are what the pure planner (plan.ts) reads.
 */
import { z } from 'zod';

/** The three registrations, by the part they play. */
export const APP_KEYS = ['api', 'portal', 'broker'] as const;
export type AppKey = (typeof APP_KEYS)[number];

/** Microsoft Graph's appId, the same in every tenant. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);
const text = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

export const appRoleSchema = z.object({
  id: z.string(),
  value: text,
  displayName: text,
  description: text,
  allowedMemberTypes: list(z.string()),
  isEnabled: z.boolean().nullish().transform((v) => v ?? true),
});
export type AppRoleState = z.infer<typeof appRoleSchema>;

export const scopeSchema = z.object({
  id: z.string(),
  value: text,
  type: text,
  adminConsentDisplayName: text,
  adminConsentDescription: text,
  userConsentDisplayName: text,
  userConsentDescription: text,
  isEnabled: z.boolean().nullish().transform((v) => v ?? true),
});
export type ScopeState = z.infer<typeof scopeSchema>;

export const keyCredentialSchema = z.object({
  keyId: z.string(),
  type: text,
  usage: text,
  displayName: text,
  /** base64 of the certificate's SHA-1 thumbprint. */
  customKeyIdentifier: text,
  startDateTime: text,
  endDateTime: text,
  /** base64 DER; Graph returns it only on a `$select=keyCredentials` read of one application. */
  key: text,
});
export type KeyCredentialState = z.infer<typeof keyCredentialSchema>;

const resourceAccessSchema = z.object({
  resourceAppId: z.string(),
  resourceAccess: list(z.object({ id: z.string(), type: z.string() })),
});
export type RequiredResourceAccess = z.infer<typeof resourceAccessSchema>;

export const applicationSchema = z.object({
  id: z.string(),
  appId: z.string(),
  displayName: text,
  identifierUris: list(z.string()),
  api: z
    .object({
      requestedAccessTokenVersion: z.number().int().nullish().transform((v) => v ?? null),
      oauth2PermissionScopes: list(scopeSchema),
      preAuthorizedApplications: list(z.object({ appId: z.string(), delegatedPermissionIds: list(z.string()) })),
    })
    .nullish()
    .transform((v) => v ?? { requestedAccessTokenVersion: null, oauth2PermissionScopes: [], preAuthorizedApplications: [] }),
  appRoles: list(appRoleSchema),
  spa: z
    .object({ redirectUris: list(z.string()) })
    .nullish()
    .transform((v) => v ?? { redirectUris: [] }),
  requiredResourceAccess: list(resourceAccessSchema),
  keyCredentials: list(keyCredentialSchema),
});
export type ApplicationState = z.infer<typeof applicationSchema>;

export const servicePrincipalSchema = z.object({ id: z.string(), appId: z.string(), displayName: text });
export type ServicePrincipalState = z.infer<typeof servicePrincipalSchema>;

export const graphServicePrincipalSchema = z.object({
  id: z.string(),
  appRoles: list(appRoleSchema),
  oauth2PermissionScopes: list(scopeSchema),
});
export type GraphServicePrincipal = z.infer<typeof graphServicePrincipalSchema>;

export const assignmentSchema = z.object({
  id: z.string(),
  principalId: z.string(),
  principalType: text,
  resourceId: z.string(),
  appRoleId: z.string(),
});
export type AssignmentState = z.infer<typeof assignmentSchema>;

export const grantSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  consentType: z.string(),
  principalId: text,
  resourceId: z.string(),
  scope: text,
});
export type GrantState = z.infer<typeof grantSchema>;

/** The certificate in the local PEM file (or a freshly generated candidate), public facts only. */
export interface CertificateInfo {
  subject: string;
  /** Hex SHA-1, upper case, as the Entra portal shows it. */
  thumbprint: string;
  /** base64 of the SHA-1 bytes: Graph's `customKeyIdentifier`. */
  customKeyIdentifier: string;
  /** base64 DER: Graph's `key`. */
  derBase64: string;
  notBefore: Date;
  notAfter: Date;
}

/** A user or group to be given one of the API's app roles, resolved from `--assign-*`. */
export interface Principal {
  id: string;
  type: 'User' | 'Group';
  /** What the plan calls it: the UPN, or the group id. */
  label: string;
}

export interface RegistrationState {
  application: ApplicationState | null;
  servicePrincipal: ServicePrincipalState | null;
}

export interface TenantState {
  graph: GraphServicePrincipal;
  apps: Record<AppKey, RegistrationState>;
  /** Every app role assignment the broker's service principal holds (`appRoleAssignments`). */
  brokerAssignments: AssignmentState[];
  /** Every assignment to the API's service principal (`appRoleAssignedTo`). */
  apiAssignedTo: AssignmentState[];
  /** Delegated grants whose client is the portal's service principal. */
  portalGrants: GrantState[];
  /** The current `.env` values (only the keys it sets). */
  envFile: Record<string, string>;
  /** The certificate at `--certificate-path`; null when there is none or it cannot be read. */
  certificateFile: CertificateInfo | null;
}
