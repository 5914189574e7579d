/**
 * Compatibility views of the app registry in the shapes code written before it reads and writes:
 * `dir.portal`, `dir.broker`, `dir.automation`, and `appRoles` on users and groups. They hold no
 * state of their own: every read is computed from `dir.apps` and every write goes into it
 * (`broker.graphPermissions = […]` replaces the broker's Graph app role assignments,
 * `user.appRoles = […]` its assignments on the seeded API, `portal.accessTokenVersion = 1` sets
 * the API registration's `requestedAccessTokenVersion`). New code reads the registry
 * (tenant/app-registry.ts) directly; these views name only what the seed loaded.
 *
 * The one value not in the registry is the seeded clients' plain secret: the registry keeps only
 * its SHA-256, while local tooling that configures the portal for this tenant (the stack, the
 * benches) needs the secret itself, exactly as written in the seed file it loaded.
 */
import {
  addAppRoleAssignment,
  findApplicationByAppId,
  findServicePrincipalByAppId,
  getAssignedAppRoleValues,
  getGraphAppRoleValues,
  keyCredentialFromPem,
  setGraphAppRoleAssignments,
  AppRegistryError,
} from './app-registry';
import { seedKeyCredentialIdOf } from './seed-apps';
import type { AppRegistration, ConfidentialClient, Directory, DirectoryGroup, DirectoryUser, PortalApp } from './types';

/** The registrations a seed named, by appId (null: the seed had none). */
export interface SeededApps {
  portal: { spaAppId: string; apiAppId: string; scope: string } | null;
  broker: { appId: string; secret: string } | null;
  automation: { appId: string; secret: string } | null;
}

const seeded = new WeakMap<Directory, SeededApps>();

function appOrThrow(dir: Directory, appId: string): AppRegistration {
  const app = findApplicationByAppId(dir, appId);
  if (app === undefined) throw new AppRegistryError(`the seeded application ${appId} is no longer in the registry`, 'not-found');
  return app;
}

/** The service principal of the API the seed's `portal` entry registered, if any. */
export function getSeededApiServicePrincipalId(dir: Directory): string | null {
  const api = seeded.get(dir)?.portal?.apiAppId;
  return api === undefined ? null : (findServicePrincipalByAppId(dir, api)?.id ?? null);
}

function portalView(dir: Directory, p: NonNullable<SeededApps['portal']>): PortalApp {
  return {
    clientId: p.spaAppId,
    apiClientId: p.apiAppId,
    scope: p.scope,
    get redirectUris() {
      return appOrThrow(dir, p.spaAppId).spa.redirectUris;
    },
    set redirectUris(uris: string[]) {
      appOrThrow(dir, p.spaAppId).spa.redirectUris = [...uris];
    },
    get accessTokenVersion() {
      return appOrThrow(dir, p.apiAppId).api.requestedAccessTokenVersion === 2 ? 2 : 1;
    },
    set accessTokenVersion(v: 1 | 2) {
      // Entra stores the v1 default as null.
      appOrThrow(dir, p.apiAppId).api.requestedAccessTokenVersion = v === 2 ? 2 : null;
    },
  };
}

function clientView(dir: Directory, c: { appId: string; secret: string }): ConfidentialClient {
  const sp = (): string => {
    const found = findServicePrincipalByAppId(dir, c.appId);
    if (found === undefined) throw new AppRegistryError(`the seeded client ${c.appId} has no service principal`, 'not-found');
    return found.id;
  };
  return {
    clientId: c.appId,
    clientSecret: c.secret,
    get displayName() {
      return appOrThrow(dir, c.appId).displayName;
    },
    get servicePrincipalId() {
      return sp();
    },
    get graphPermissions() {
      return getGraphAppRoleValues(dir, sp());
    },
    set graphPermissions(values: string[]) {
      setGraphAppRoleAssignments(dir, sp(), values);
    },
    get certificatePems() {
      return appOrThrow(dir, c.appId).keyCredentials.map((k) => k.certificatePem);
    },
    set certificatePems(pems: string[] | undefined) {
      appOrThrow(dir, c.appId).keyCredentials = (pems ?? []).map((pem, i) => keyCredentialFromPem(pem, { keyId: seedKeyCredentialIdOf(c.appId, i) }));
    },
  };
}

function appRoleAccessor(dir: Directory, principal: DirectoryUser | DirectoryGroup, principalType: 'User' | 'Group'): PropertyDescriptor {
  return {
    enumerable: true,
    configurable: true,
    get: () => {
      const api = getSeededApiServicePrincipalId(dir);
      return api === null ? [] : getAssignedAppRoleValues(dir, [principal.id], api);
    },
    set: (values: string[]) => {
      const api = getSeededApiServicePrincipalId(dir);
      if (api === null) {
        if (values.length === 0) return;
        throw new AppRegistryError('the seed registered no portal API, so there is no app role to assign');
      }
      const resource = dir.apps.servicePrincipals.get(api);
      dir.apps.appRoleAssignments = dir.apps.appRoleAssignments.filter((a) => !(a.principalId === principal.id && a.resourceId === api));
      for (const value of [...new Set(values)]) {
        const role = resource?.appRoles.find((r) => r.value === value);
        if (role === undefined) throw new AppRegistryError(`the portal API defines no app role ${value}`);
        addAppRoleAssignment(dir, { principalId: principal.id, principalType, principalDisplayName: principal.displayName, resourceId: api, appRoleId: role.id });
      }
    },
  };
}

/** Makes `principal.appRoles` a view of its app role assignments on the seeded portal API. */
export function attachAppRoleView(dir: Directory, principal: DirectoryUser | DirectoryGroup, principalType: 'User' | 'Group'): void {
  Object.defineProperty(principal, 'appRoles', appRoleAccessor(dir, principal, principalType));
}

function missing(what: string): never {
  throw new AppRegistryError(`this tenant's seed registered no ${what}; read the app registry (dir.apps) instead`, 'not-found');
}

/**
 * Defines `dir.portal`, `dir.broker`, `dir.automation` and every user's and group's `appRoles` as
 * views of the registrations `apps` names. Reading `dir.portal` or `dir.broker` of a tenant whose
 * seed had none throws (code that still needs them cannot run against a bare seed).
 */
export function attachSeedViews(dir: Directory, apps: SeededApps): void {
  seeded.set(dir, apps);
  const portal = apps.portal === null ? null : portalView(dir, apps.portal);
  const broker = apps.broker === null ? null : clientView(dir, apps.broker);
  const automation = apps.automation === null ? null : clientView(dir, apps.automation);
  Object.defineProperty(dir, 'portal', { enumerable: false, configurable: true, get: () => portal ?? missing('portal (SPA and API)') });
  Object.defineProperty(dir, 'broker', { enumerable: false, configurable: true, get: () => broker ?? missing('broker client') });
  Object.defineProperty(dir, 'automation', { enumerable: false, configurable: true, get: () => automation });
  for (const u of dir.users.values()) attachAppRoleView(dir, u, 'User');
  for (const g of dir.groups.values()) attachAppRoleView(dir, g, 'Group');
}
