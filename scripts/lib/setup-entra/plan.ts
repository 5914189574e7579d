/**
 * The setup plan: what must change for the tenant to hold the desired registrations, as a list of
 * actions in the order they can be carried out (create applications → set their properties →
 * service principals → app role assignments → consent grants → certificate → `.env`).
 *
 * `planSetup` is pure: the same state and desired configuration give the same plan, and a tenant
 * where everything is in place gives an empty one. It never removes what it did not ask for,
 * except with `prune` (extra Graph permissions, stray SPA redirect URIs); without it those are
 * warnings. Actions name the registrations by part (`api`, `portal`, `broker`) because the ones
 * to create have no ids yet; the executor (execute-plan.ts) resolves them as it goes.
 */
import {
  API_APP_ROLES,
  API_SCOPE_VALUE,
  CERTIFICATE_RENEW_DAYS,
  getRedirectUri,
  type ApiRoleValue,
  type DesiredConfig,
} from '@/scripts/lib/setup-entra/desired';
import {
  APP_KEYS,
  GRAPH_APP_ID,
  type AppKey,
  type ApplicationState,
  type CertificateInfo,
  type KeyCredentialState,
  type Principal,
  type TenantState,
} from '@/scripts/lib/setup-entra/state';

export interface AppRoleDraft {
  id: string;
  value: ApiRoleValue;
  displayName: string;
  description: string;
}

export interface GraphPermission {
  name: string;
  /** The app role id in Microsoft Graph's service principal. */
  id: string;
}

export type ActionDetail =
  | { kind: 'create-application'; app: AppKey; displayName: string }
  | { kind: 'set-identifier-uri' }
  | { kind: 'set-token-version' }
  | { kind: 'put-scope'; scopeId: string }
  | { kind: 'put-app-roles'; roles: AppRoleDraft[] }
  | { kind: 'pre-authorize-portal'; scopeId: string }
  | { kind: 'set-redirect-uris'; add: string | null; remove: string[] }
  | { kind: 'require-api-scope'; scopeId: string }
  | { kind: 'set-graph-permissions'; add: GraphPermission[]; remove: GraphPermission[] }
  | { kind: 'create-service-principal'; app: AppKey }
  | { kind: 'grant-graph-permission'; permission: GraphPermission }
  | { kind: 'revoke-graph-permission'; permission: GraphPermission; assignmentId: string }
  | { kind: 'assign-api-role'; principal: Principal; role: ApiRoleValue; appRoleId: string }
  | { kind: 'grant-portal-consent'; existingGrantId: string | null; scope: string }
  | { kind: 'add-certificate'; certificate: CertificateInfo; dropKeyIds: string[] }
  | { kind: 'write-env'; keys: string[]; remove: string[] };

/** One step of the plan, with the line printed for it. */
export type Action = ActionDetail & { description: string };

export interface SetupPlan {
  actions: Action[];
  /** What is not as the code wants it but is left alone (without `prune`). */
  warnings: string[];
}

/** The desired configuration cannot be planned in this tenant (e.g. Graph lacks a permission). */
export class PlanError extends Error {
  override readonly name = 'PlanError';
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The `.env` keys setup:entra owns; every other line of the file is kept. */
export const ENV_KEYS = [
  'ENTRA_AUTHORITY_HOST',
  'ENTRA_TENANT_ID',
  'PORTAL_CLIENT_ID',
  'API_CLIENT_ID',
  'API_SCOPE',
  'BROKER_CLIENT_ID',
  'BROKER_CERTIFICATE_PATH',
  'GRAPH_BASE_URL',
  'PORTAL_URL',
  'MAIL_SENDER',
] as const;
export type EnvKey = (typeof ENV_KEYS)[number];

/** The broker authenticates with its certificate; lib/env.ts refuses a secret beside it. */
export const REPLACED_ENV_KEYS = ['BROKER_CLIENT_SECRET', 'BROKER_CERTIFICATE_PASSWORD'] as const;

/**
 * The `.env` values for known client ids; a value is null while the registration it names does
 * not exist yet. MAIL_SENDER only when one is configured.
 */
export function getEnvValues(desired: DesiredConfig, appIds: Record<AppKey, string | null>): Partial<Record<EnvKey, string | null>> {
  return {
    ENTRA_AUTHORITY_HOST: desired.authorityHost,
    ENTRA_TENANT_ID: desired.tenantId,
    PORTAL_CLIENT_ID: appIds.portal,
    API_CLIENT_ID: appIds.api,
    API_SCOPE: appIds.api === null ? null : `api://${appIds.api}/${API_SCOPE_VALUE}`,
    BROKER_CLIENT_ID: appIds.broker,
    BROKER_CERTIFICATE_PATH: desired.certificatePath,
    GRAPH_BASE_URL: desired.graphBaseUrl,
    PORTAL_URL: desired.portalUrl,
    ...(desired.mailSender === null ? {} : { MAIL_SENDER: desired.mailSender }),
  };
}

/**
 * True when the local certificate is registered on the broker and both stay valid for more than
 * {@link CERTIFICATE_RENEW_DAYS} days: then a re-run leaves the credential alone.
 */
export function isCertificateInPlace(file: CertificateInfo | null, keyCredentials: readonly KeyCredentialState[], now: Date): boolean {
  if (file === null) return false;
  const renewBy = now.getTime() + CERTIFICATE_RENEW_DAYS * DAY_MS;
  if (file.notAfter.getTime() <= renewBy) return false;
  return keyCredentials.some(
    (credential) =>
      (credential.customKeyIdentifier === file.customKeyIdentifier || credential.key === file.derBase64) &&
      (credential.endDateTime === null || Date.parse(credential.endDateTime) > renewBy),
  );
}

function isExpired(credential: KeyCredentialState, now: Date): boolean {
  return credential.endDateTime !== null && Date.parse(credential.endDateTime) <= now.getTime();
}

function describeCertificate(certificate: CertificateInfo): string {
  return `${certificate.subject} (thumbprint ${certificate.thumbprint}, valid until ${certificate.notAfter.toISOString().slice(0, 10)})`;
}

/** The Graph application permission ids by name, from Graph's own service principal. */
function getGraphPermission(state: TenantState, name: string): GraphPermission {
  const role = state.graph.appRoles.find((r) => r.value === name && r.allowedMemberTypes.includes('Application'));
  if (role === undefined) throw new PlanError(`Microsoft Graph in this tenant has no application permission ${name}.`);
  return { name, id: role.id };
}

function getGraphPermissionName(state: TenantState, id: string): string {
  return state.graph.appRoles.find((r) => r.id === id)?.value ?? id;
}

function planApi(api: ApplicationState | null, portal: ApplicationState | null, desired: DesiredConfig, name: string, scopeId: string, roleIds: Record<ApiRoleValue, string>): Action[] {
  const actions: Action[] = [];
  if (api === null || !api.identifierUris.includes(`api://${api.appId}`)) {
    actions.push({ kind: 'set-identifier-uri', description: `set Application ID URI api://${api?.appId ?? '<its client id>'} on ${name}` });
  }
  if (api?.api.requestedAccessTokenVersion !== 2) {
    actions.push({ kind: 'set-token-version', description: `set requestedAccessTokenVersion 2 on ${name}` });
  }
  const scope = api?.api.oauth2PermissionScopes.find((s) => s.value === API_SCOPE_VALUE);
  if (scope === undefined || !scope.isEnabled || scope.type !== 'User') {
    actions.push({ kind: 'put-scope', scopeId, description: `expose scope ${API_SCOPE_VALUE} (users may consent) on ${name}` });
  }
  const roles: AppRoleDraft[] = API_APP_ROLES.filter((wanted) => {
    const role = api?.appRoles.find((r) => r.value === wanted.value);
    return role === undefined || !role.isEnabled || !role.allowedMemberTypes.includes('User');
  }).map((wanted) => ({ ...wanted, id: roleIds[wanted.value] }));
  if (roles.length > 0) {
    actions.push({ kind: 'put-app-roles', roles, description: `define app role${roles.length === 1 ? '' : 's'} ${roles.map((r) => r.value).join(', ')} (for users) on ${name}` });
  }
  const preAuthorized = api?.api.preAuthorizedApplications.some((p) => p.appId === portal?.appId && p.delegatedPermissionIds.includes(scopeId)) ?? false;
  if (!preAuthorized) {
    actions.push({ kind: 'pre-authorize-portal', scopeId, description: `pre-authorize ${desired.names.portal} for ${API_SCOPE_VALUE} on ${name}` });
  }
  return actions;
}

function planPortal(portal: ApplicationState | null, api: ApplicationState | null, desired: DesiredConfig, scopeId: string): { actions: Action[]; warnings: string[] } {
  const name = desired.names.portal;
  const actions: Action[] = [];
  const warnings: string[] = [];
  const redirectUri = getRedirectUri(desired.portalUrl);
  const current = portal?.spa.redirectUris ?? [];
  const stray = current.filter((uri) => uri !== redirectUri);
  const add = current.includes(redirectUri) ? null : redirectUri;
  const remove = desired.prune ? stray : [];
  if (add !== null || remove.length > 0) {
    const parts = [...(add === null ? [] : [`add SPA redirect URI ${add}`]), ...(remove.length === 0 ? [] : [`remove SPA redirect URI${remove.length === 1 ? '' : 's'} ${remove.join(', ')}`])];
    actions.push({ kind: 'set-redirect-uris', add, remove, description: `${parts.join(' and ')} on ${name}` });
  }
  if (!desired.prune && stray.length > 0) {
    warnings.push(`${name} also has SPA redirect URI${stray.length === 1 ? '' : 's'} ${stray.join(', ')} (kept; --prune removes ${stray.length === 1 ? 'it' : 'them'}).`);
  }
  const requested =
    api !== null &&
    (portal?.requiredResourceAccess.some((r) => r.resourceAppId === api.appId && r.resourceAccess.some((a) => a.id === scopeId && a.type === 'Scope')) ?? false);
  if (!requested) {
    actions.push({ kind: 'require-api-scope', scopeId, description: `request delegated permission ${API_SCOPE_VALUE} of ${desired.names.api} on ${name}` });
  }
  return { actions, warnings };
}

/** Graph permission ids the broker requests or holds that it does not need, with their names. */
function getExtraGraphPermissions(state: TenantState, wanted: readonly GraphPermission[]): GraphPermission[] {
  const wantedIds = new Set(wanted.map((p) => p.id));
  const broker = state.apps.broker;
  const graphSp = state.graph.id;
  const requested = broker.application?.requiredResourceAccess.filter((r) => r.resourceAppId === GRAPH_APP_ID).flatMap((r) => r.resourceAccess.filter((a) => a.type === 'Role').map((a) => a.id)) ?? [];
  const held = broker.servicePrincipal === null ? [] : state.brokerAssignments.filter((a) => a.resourceId === graphSp).map((a) => a.appRoleId);
  const extra = [...new Set([...requested, ...held])].filter((id) => !wantedIds.has(id));
  return extra.map((id) => ({ id, name: getGraphPermissionName(state, id) })).sort((a, b) => a.name.localeCompare(b.name));
}

function planBrokerPermissions(state: TenantState, desired: DesiredConfig, wanted: GraphPermission[], extra: GraphPermission[]): Action[] {
  const broker = state.apps.broker.application;
  const requestedIds = new Set(broker?.requiredResourceAccess.filter((r) => r.resourceAppId === GRAPH_APP_ID).flatMap((r) => r.resourceAccess.filter((a) => a.type === 'Role').map((a) => a.id)) ?? []);
  const add = wanted.filter((p) => !requestedIds.has(p.id));
  const remove = desired.prune ? extra.filter((p) => requestedIds.has(p.id)) : [];
  if (add.length === 0 && remove.length === 0) return [];
  const parts = [
    ...(add.length === 0 ? [] : [`request Microsoft Graph application permission${add.length === 1 ? '' : 's'} ${add.map((p) => p.name).join(', ')}`]),
    ...(remove.length === 0 ? [] : [`stop requesting ${remove.map((p) => p.name).join(', ')}`]),
  ];
  return [{ kind: 'set-graph-permissions', add, remove, description: `${parts.join(' and ')} on ${desired.names.broker}` }];
}

function planConsent(state: TenantState, desired: DesiredConfig, wanted: GraphPermission[], extra: GraphPermission[]): Action[] {
  const actions: Action[] = [];
  const brokerSp = state.apps.broker.servicePrincipal;
  const held = brokerSp === null ? [] : state.brokerAssignments.filter((a) => a.resourceId === state.graph.id);
  for (const permission of wanted) {
    if (held.some((a) => a.appRoleId === permission.id)) continue;
    actions.push({ kind: 'grant-graph-permission', permission, description: `grant Microsoft Graph application permission ${permission.name} to ${desired.names.broker} (admin consent)` });
  }
  if (desired.prune) {
    for (const permission of extra) {
      for (const assignment of held.filter((a) => a.appRoleId === permission.id)) {
        actions.push({ kind: 'revoke-graph-permission', permission, assignmentId: assignment.id, description: `revoke Microsoft Graph application permission ${permission.name} from ${desired.names.broker} (--prune)` });
      }
    }
  }
  return actions;
}

function planRoleAssignments(state: TenantState, desired: DesiredConfig, roleIds: Record<ApiRoleValue, string>): Action[] {
  const apiSp = state.apps.api.servicePrincipal;
  const actions: Action[] = [];
  for (const { principal, role } of desired.assignments) {
    const appRoleId = roleIds[role];
    const assigned = apiSp !== null && state.apiAssignedTo.some((a) => a.resourceId === apiSp.id && a.principalId === principal.id && a.appRoleId === appRoleId);
    if (assigned) continue;
    actions.push({ kind: 'assign-api-role', principal, role, appRoleId, description: `assign ${role} on ${desired.names.api} to ${principal.type === 'User' ? 'user' : 'group'} ${principal.label}` });
  }
  return actions;
}

function planPortalConsent(state: TenantState, desired: DesiredConfig): Action[] {
  const portalSp = state.apps.portal.servicePrincipal;
  const apiSp = state.apps.api.servicePrincipal;
  const grant =
    portalSp === null || apiSp === null
      ? undefined
      : state.portalGrants.find((g) => g.clientId === portalSp.id && g.resourceId === apiSp.id && g.consentType === 'AllPrincipals');
  const scopes = (grant?.scope ?? '').split(' ').filter((s) => s !== '');
  if (scopes.includes(API_SCOPE_VALUE)) return [];
  return [
    {
      kind: 'grant-portal-consent',
      existingGrantId: grant?.id ?? null,
      scope: [...scopes, API_SCOPE_VALUE].join(' '),
      description: `grant ${desired.names.portal} ${API_SCOPE_VALUE} on ${desired.names.api} for all users (admin consent)`,
    },
  ];
}

function planCertificate(state: TenantState, desired: DesiredConfig): Action[] {
  const credentials = state.apps.broker.application?.keyCredentials ?? [];
  if (isCertificateInPlace(state.certificateFile, credentials, desired.now)) return [];
  const dropKeyIds = credentials.filter((c) => isExpired(c, desired.now)).map((c) => c.keyId);
  const dropped = dropKeyIds.length === 0 ? '' : ` and remove ${dropKeyIds.length} expired one${dropKeyIds.length === 1 ? '' : 's'}`;
  return [
    {
      kind: 'add-certificate',
      certificate: desired.candidateCertificate,
      dropKeyIds,
      description: `add certificate ${describeCertificate(desired.candidateCertificate)} to ${desired.names.broker}${dropped}; key written to ${desired.certificatePath}`,
    },
  ];
}

function planEnv(state: TenantState, desired: DesiredConfig): Action[] {
  const appIds = { api: state.apps.api.application?.appId ?? null, portal: state.apps.portal.application?.appId ?? null, broker: state.apps.broker.application?.appId ?? null };
  const values = getEnvValues(desired, appIds);
  const keys = ENV_KEYS.filter((key) => key in values && (values[key] === null || state.envFile[key] !== values[key]));
  const remove = REPLACED_ENV_KEYS.filter((key) => (state.envFile[key] ?? '').trim() !== '');
  if (keys.length === 0 && remove.length === 0) return [];
  const parts = [...(keys.length === 0 ? [] : [keys.join(', ')]), ...(remove.length === 0 ? [] : [`remove ${remove.join(', ')} (the broker signs in with its certificate)`])];
  return [{ kind: 'write-env', keys, remove, description: `write .env: ${parts.join('; ')}` }];
}

/**
 * The actions that bring `state` to `desired`, in execution order, and the warnings about what is
 * left alone. Pure. Throws {@link PlanError} when Graph's catalogue lacks a wanted permission.
 */
export function planSetup(state: TenantState, desired: DesiredConfig): SetupPlan {
  const apps = { api: state.apps.api.application, portal: state.apps.portal.application, broker: state.apps.broker.application };
  const scopeId = apps.api?.api.oauth2PermissionScopes.find((s) => s.value === API_SCOPE_VALUE)?.id ?? desired.newIds.scope;
  const roleIds = Object.fromEntries(
    API_APP_ROLES.map((r) => [r.value, apps.api?.appRoles.find((existing) => existing.value === r.value)?.id ?? desired.newIds.roles[r.value]]),
  ) as Record<ApiRoleValue, string>;
  const wanted = desired.brokerPermissions.map((name) => getGraphPermission(state, name));
  const extra = getExtraGraphPermissions(state, wanted);

  const creates: Action[] = APP_KEYS.filter((key) => apps[key] === null).map((key) => ({
    kind: 'create-application',
    app: key,
    displayName: desired.names[key],
    description: `create application ${desired.names[key]}`,
  }));
  const portal = planPortal(apps.portal, apps.api, desired, scopeId);
  const properties = [
    ...planApi(apps.api, apps.portal, desired, desired.names.api, scopeId, roleIds),
    ...portal.actions,
    ...planBrokerPermissions(state, desired, wanted, extra),
  ];
  const servicePrincipals: Action[] = APP_KEYS.filter((key) => state.apps[key].servicePrincipal === null).map((key) => ({
    kind: 'create-service-principal',
    app: key,
    description: `create service principal for ${desired.names[key]}`,
  }));
  const warnings = [...portal.warnings];
  if (!desired.prune && extra.length > 0) {
    warnings.push(
      `${desired.names.broker} requests or holds Microsoft Graph application permission${extra.length === 1 ? '' : 's'} no feature needs: ${extra.map((p) => p.name).join(', ')} (kept; --prune removes ${extra.length === 1 ? 'it' : 'them'}).`,
    );
  }
  return {
    actions: [
      ...creates,
      ...properties,
      ...servicePrincipals,
      ...planConsent(state, desired, wanted, extra),
      ...planRoleAssignments(state, desired, roleIds),
      ...planPortalConsent(state, desired),
      ...planCertificate(state, desired),
      ...planEnv(state, desired),
    ],
    warnings,
  };
}
