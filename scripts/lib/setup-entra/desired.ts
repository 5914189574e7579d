/**
 * What `npm run setup:entra` wants the tenant to hold: the registrations' contents (the API's
 * scope and app roles, the portal's redirect URI, the broker's Graph permissions and
 * certificate), the role assignments asked for and the `.env` values. Built from the command
 * line and the broker's permission list (lib/core/graph-permission-needs.ts), never from ids
 * known in advance: Graph's permission ids are looked up in the tenant at run time.
 */
import { APP_ROLES, type AppRole } from '@/lib/contract/roles';
import { BROKER_PERMISSION_NEEDS, MAIL_PERMISSION_NEED } from '@/lib/core/graph-permission-needs';
import type { AppKey, CertificateInfo, Principal } from '@/scripts/lib/setup-entra/state';

/** The delegated scope the portal asks the API for (lib/env.ts API_SCOPE ends with it). */
export const API_SCOPE_VALUE = 'access_as_user';

/** The API's app roles: the values lib/contract/roles.ts checks in tokens, with what Entra shows. */
export const API_APP_ROLES: readonly { value: AppRole; displayName: string; description: string }[] = [
  { value: APP_ROLES.approver, displayName: 'TAP approver', description: 'Approves or rejects Temporary Access Pass requests.' },
  { value: APP_ROLES.auditor, displayName: 'TAP auditor', description: 'Reads and exports the audit trail.' },
  { value: APP_ROLES.admin, displayName: 'TAP administrator', description: 'Administers the broker policy; holds the approver and auditor rights too.' },
];
export type ApiRoleValue = AppRole;

export const API_SCOPE_TEXT = {
  adminConsentDisplayName: 'Use the TAP Broker portal',
  adminConsentDescription: 'Lets the portal call the TAP Broker API as the signed-in user.',
  userConsentDisplayName: 'Use the TAP Broker portal',
  userConsentDescription: 'Lets the portal call the TAP Broker API as you.',
} as const;

/** How many days before expiry a certificate is replaced on a re-run. */
export const CERTIFICATE_RENEW_DAYS = 30;

export interface DesiredConfig {
  names: Record<AppKey, string>;
  /** PORTAL_URL, no trailing slash; its origin is the SPA redirect URI (lib/client/msal.ts). */
  portalUrl: string;
  authorityHost: string;
  tenantId: string;
  graphBaseUrl: string;
  /** BROKER_CERTIFICATE_PATH as written to `.env`. */
  certificatePath: string;
  mailSender: string | null;
  /** Graph application permissions the broker is to hold, by name. */
  brokerPermissions: string[];
  assignments: { principal: Principal; role: ApiRoleValue }[];
  /** Remove Graph permissions the broker holds but no feature needs (and stray SPA redirect URIs). */
  prune: boolean;
  /**
   * Ids for what does not exist yet (the scope, the app roles by value), chosen by the caller so
   * that planning stays pure; ids already in the tenant always win.
   */
  newIds: { scope: string; roles: Record<ApiRoleValue, string> };
  /** A freshly generated certificate, used only when the current one must be replaced. */
  candidateCertificate: CertificateInfo;
  now: Date;
}

/** The broker's Graph application permissions: the least one per feature, plus Mail.Send for a mail sender. */
export function getBrokerPermissions(mailSender: string | null): string[] {
  return [...BROKER_PERMISSION_NEEDS, ...(mailSender === null ? [] : [MAIL_PERMISSION_NEED])].map((need) => need.least);
}

/** The SPA redirect URI for a portal URL: its bare origin, as the portal's MSAL config sends it. */
export function getRedirectUri(portalUrl: string): string {
  return new URL(portalUrl).origin;
}
