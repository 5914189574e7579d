/**
 * Fixtures the setup:entra tests share: a registration as Graph returns a new one, with nothing
 * set, for a test to fill in.
 */
import type { ApplicationState } from '@/scripts/lib/setup-entra/state';

/** A registration with empty collections and v1 tokens (Entra's defaults), plus `extra`. */
export function blankApplication(appId: string, displayName: string, extra: Partial<ApplicationState> = {}): ApplicationState {
  return {
    id: `obj-${appId}`,
    appId,
    displayName,
    identifierUris: [],
    api: { requestedAccessTokenVersion: null, oauth2PermissionScopes: [], preAuthorizedApplications: [] },
    appRoles: [],
    spa: { redirectUris: [] },
    requiredResourceAccess: [],
    keyCredentials: [],
    ...extra,
  };
}
