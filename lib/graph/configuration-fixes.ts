import 'server-only';
import { getEnv } from '@/lib/env';

/**
 * The fixes the configuration checks name (`npm run doctor`, `GET /api/health/details`): the
 * `npm run setup:entra` run that puts it right, and the Entra admin center blade for doing it by
 * hand. The registrations are named as setup:entra names them by default, with their client ids
 * (what an administrator searches App registrations for).
 */

/** The broker's registration, as the App registrations blade lists it. */
export function brokerRegistration(): string {
  return `TAP Broker service (client id ${getEnv().broker.clientId})`;
}

/** The API's registration. */
export function apiRegistration(): string {
  return `TAP Broker API (client id ${getEnv().api.clientId})`;
}

/** The SPA's registration. */
export function portalRegistration(): string {
  return `TAP Broker portal (client id ${getEnv().portal.clientId})`;
}

/** A Microsoft Graph application permission the broker lacks, with admin consent. */
export function grantPermissionFix(permission: string): string {
  const setup = permission === 'Mail.Send' ? `\`npm run setup:entra -- --mail-sender ${getEnv().mail.sender ?? '<mailbox>'}\`` : '`npm run setup:entra`';
  return (
    `Run ${setup} (it grants ${permission} with admin consent), or Entra admin center → App registrations → ${brokerRegistration()} → ` +
    `API permissions → Add a permission → Microsoft Graph → Application permissions → ${permission} → Grant admin consent.`
  );
}

/** Something setup:entra sets on one of the registrations, or the blade where it is done by hand. */
export function registrationFix(setupFlags: string, byHand: string): string {
  return `Run \`npm run setup:entra${setupFlags === '' ? '' : ` -- ${setupFlags}`}\`, or Entra admin center → App registrations → ${byHand}.`;
}

/** The tenant's Temporary Access Pass policy blade. */
export const TAP_POLICY_BLADE = 'Entra admin center → Protection → Authentication methods → Policies → Temporary Access Pass';
