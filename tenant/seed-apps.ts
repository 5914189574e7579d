/**
 * Loads the seed's `portal`, `broker` and `automation` entries into the app registry as the
 * registrations `npm run setup:entra` creates in a real tenant: the API (identifier URI, the
 * delegated scope, the `TapBroker.*` app roles, its token version, the SPA pre-authorized), the
 * SPA, the confidential clients with their credentials, admin consent (Graph app role
 * assignments and the SPA → API grant), and users' and groups' app roles on the API.
 *
 * Every object id is derived as before the registry existed (tenant/stable-guid.ts), so the
 * portal and the tests see the same ids for the same seed.
 */
import {
  addApplication,
  addAppRoleAssignment,
  addOAuth2PermissionGrant,
  addServicePrincipal,
  findServicePrincipalByAppId,
  getGraphServicePrincipal,
  keyCredentialFromPem,
  MICROSOFT_GRAPH_APP_ID,
  passwordCredentialFor,
  servicePrincipalIdOf,
  setGraphAppRoleAssignments,
} from './app-registry';
import type { SeedClientEntry, SeedPortalEntry } from './seed';
import type { SeededApps } from './seed-views';
import { stableGuid } from './stable-guid';
import type { AppRoleDefinition, Directory, PermissionScopeDefinition } from './types';

/** The portal's app roles, as declared on the portal API's app registration. */
export const PORTAL_APP_ROLES = ['TapBroker.Approver', 'TapBroker.Auditor', 'TapBroker.Admin'] as const;

const APP_ROLE_TEXT: Record<string, { displayName: string; description: string }> = {
  'TapBroker.Approver': { displayName: 'TAP approver', description: 'Approves or denies Temporary Access Pass requests.' },
  'TapBroker.Auditor': { displayName: 'TAP auditor', description: 'Reads, exports and verifies the audit trail.' },
  'TapBroker.Admin': { displayName: 'TAP Broker administrator', description: 'Reads and changes the broker policy.' },
};

/** Seeded registrations were "created" here; their secrets never expire within a test run's reach. */
const SEEDED_AT = '2020-01-01T08:00:00Z';
const SEEDED_SECRET_END = '2120-01-01T08:00:00Z';

/** The id of a portal app role (`TapBroker.Approver` …) on the API registration `apiAppId`. */
export function portalAppRoleIdOf(apiAppId: string, value: string): string {
  return stableGuid('tap-broker-local-tenant/app-role', `${apiAppId.toLowerCase()}:${value}`);
}

/** The id of the delegated scope `scope` on the API registration `apiAppId`. */
export function apiScopeIdOf(apiAppId: string, scope: string): string {
  return stableGuid('tap-broker-local-tenant/scope', `${apiAppId.toLowerCase()}:${scope}`);
}

/** The keyId of the `index`th certificate a seeded client lists. */
export function seedKeyCredentialIdOf(appId: string, index: number): string {
  return stableGuid('tap-broker-local-tenant/key-credential', `${appId.toLowerCase()}:${index}`);
}

function portalAppRoles(apiAppId: string): AppRoleDefinition[] {
  return PORTAL_APP_ROLES.map((value) => ({
    id: portalAppRoleIdOf(apiAppId, value),
    value,
    displayName: APP_ROLE_TEXT[value]?.displayName ?? value,
    description: APP_ROLE_TEXT[value]?.description ?? value,
    allowedMemberTypes: ['User'],
    isEnabled: true,
  }));
}

function apiScope(apiAppId: string, scope: string): PermissionScopeDefinition {
  return {
    id: apiScopeIdOf(apiAppId, scope),
    value: scope,
    type: 'User',
    adminConsentDisplayName: 'Access TAP Broker',
    adminConsentDescription: 'Use the TAP Broker API as the signed-in user.',
    userConsentDisplayName: 'Access TAP Broker',
    userConsentDescription: 'Use the TAP Broker API on your behalf.',
    isEnabled: true,
  };
}

function registerPortal(dir: Directory, portal: SeedPortalEntry): void {
  const scope = apiScope(portal.apiClientId, portal.scope);
  addApplication(dir, {
    appId: portal.apiClientId,
    displayName: 'TAP Broker API',
    createdDateTime: SEEDED_AT,
    identifierUris: [`api://${portal.apiClientId}`],
    api: {
      // Entra stores the v1 default as null.
      requestedAccessTokenVersion: portal.accessTokenVersion === 2 ? 2 : null,
      oauth2PermissionScopes: [scope],
      preAuthorizedApplications: [{ appId: portal.clientId, delegatedPermissionIds: [scope.id] }],
    },
    appRoles: portalAppRoles(portal.apiClientId),
  });
  const api = addServicePrincipal(dir, portal.apiClientId);
  addApplication(dir, {
    appId: portal.clientId,
    displayName: 'TAP Broker portal',
    createdDateTime: SEEDED_AT,
    // The SPA also signs in with ROPC (automation, tests), which needs public client flows.
    isFallbackPublicClient: true,
    spa: { redirectUris: [...portal.redirectUris] },
    requiredResourceAccess: [{ resourceAppId: portal.apiClientId, resourceAccess: [{ id: scope.id, type: 'Scope' }] }],
  });
  const spa = addServicePrincipal(dir, portal.clientId);
  addOAuth2PermissionGrant(dir, { clientId: spa.id, consentType: 'AllPrincipals', principalId: null, resourceId: api.id, scope: portal.scope });
}

function registerClient(dir: Directory, client: SeedClientEntry, fallbackName: string): void {
  const keyCredentials = (client.certificates ?? []).map((pem, i) => keyCredentialFromPem(pem, { keyId: seedKeyCredentialIdOf(client.clientId, i) }));
  const app = addApplication(dir, {
    appId: client.clientId,
    displayName: client.displayName ?? fallbackName,
    createdDateTime: SEEDED_AT,
    passwordCredentials: [
      passwordCredentialFor(client.clientSecret, {
        keyId: stableGuid('tap-broker-local-tenant/password-credential', client.clientId),
        displayName: 'seed',
        startDateTime: SEEDED_AT,
        endDateTime: SEEDED_SECRET_END,
      }),
    ],
    keyCredentials,
  });
  const sp = addServicePrincipal(dir, client.clientId, { id: client.servicePrincipalId ?? servicePrincipalIdOf(client.clientId) });
  // Admin consent to the application permissions the seed grants (unknown names included, as seeds always could).
  setGraphAppRoleAssignments(dir, sp.id, client.graphPermissions);
  const graph = getGraphServicePrincipal(dir);
  const granted = dir.apps.appRoleAssignments.filter((a) => a.principalId === sp.id && a.resourceId === graph.id);
  if (granted.length > 0) {
    app.requiredResourceAccess.push({ resourceAppId: MICROSOFT_GRAPH_APP_ID, resourceAccess: granted.map((a) => ({ id: a.appRoleId, type: 'Role' as const })) });
  }
}

/**
 * Registers the seed's apps in `dir.apps` and assigns the seed's users' and groups' app roles
 * (`appRolesByPrincipal`: principal id → TapBroker.* values) on the API. Returns what the seed
 * named, for the compatibility views (tenant/seed-views.ts).
 */
export function registerSeedApps(
  dir: Directory,
  seed: { portal: SeedPortalEntry | undefined; broker: SeedClientEntry | undefined; automation: SeedClientEntry | null },
  appRolesByPrincipal: ReadonlyMap<string, readonly string[]>,
): SeededApps {
  if (seed.portal) registerPortal(dir, seed.portal);
  if (seed.broker) registerClient(dir, seed.broker, 'TAP Broker');
  if (seed.automation) registerClient(dir, seed.automation, 'TAP Broker automation');
  const api = seed.portal ? findServicePrincipalByAppId(dir, seed.portal.apiClientId) : undefined;
  if (api !== undefined) {
    for (const [principalId, values] of appRolesByPrincipal) {
      const user = dir.users.get(principalId);
      const group = user === undefined ? dir.groups.get(principalId) : undefined;
      for (const value of values) {
        addAppRoleAssignment(dir, {
          principalId,
          principalType: user !== undefined ? 'User' : 'Group',
          principalDisplayName: user?.displayName ?? group?.displayName ?? principalId,
          resourceId: api.id,
          appRoleId: portalAppRoleIdOf(api.appId, value),
          createdDateTime: user?.createdDateTime ?? SEEDED_AT,
        });
      }
    }
  }
  return {
    portal: seed.portal ? { spaAppId: seed.portal.clientId, apiAppId: seed.portal.apiClientId, scope: seed.portal.scope } : null,
    broker: seed.broker ? { appId: seed.broker.clientId, secret: seed.broker.clientSecret } : null,
    automation: seed.automation ? { appId: seed.automation.clientId, secret: seed.automation.clientSecret } : null,
  };
}
