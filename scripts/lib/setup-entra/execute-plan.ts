/**
 * Carries out a setup plan (plan.ts) in order, printing each action once it is done. It keeps
 * its own copy of each registration and service principal, updated after every write, so that
 * later actions see the ids of what earlier ones created and a PATCH — which replaces whole
 * collections — always sends every element it keeps. The `.env` is written last; a new
 * certificate's file replaces the old one only after Graph holds the certificate.
 */
import { readFile } from 'node:fs/promises';
import { API_SCOPE_TEXT, API_SCOPE_VALUE, type DesiredConfig } from '@/scripts/lib/setup-entra/desired';
import { mergeEnvFile, parseEnvFile, writeFileAtomic } from '@/scripts/lib/setup-entra/env-file';
import { stageCertificateFile } from '@/scripts/lib/setup-entra/certificate';
import type { GraphSession } from '@/scripts/lib/setup-entra/graph-session';
import { getEnvValues, type Action } from '@/scripts/lib/setup-entra/plan';
import {
  applicationSchema,
  assignmentSchema,
  GRAPH_APP_ID,
  grantSchema,
  servicePrincipalSchema,
  type AppKey,
  type ApplicationState,
  type ServicePrincipalState,
  type TenantState,
} from '@/scripts/lib/setup-entra/state';

/** The directory role a 403 on this action means the signed-in account lacks. */
export function getRequiredRole(action: Action | null): string {
  if (action?.kind === 'grant-graph-permission' || action?.kind === 'revoke-graph-permission') {
    return 'Privileged Role Administrator (or Global Administrator): admin consent to Microsoft Graph application permissions';
  }
  return 'Application Administrator (or Cloud Application Administrator, or Global Administrator): creating and changing app registrations';
}

type ApplicationPatch = Partial<Pick<ApplicationState, 'identifierUris' | 'api' | 'appRoles' | 'spa' | 'requiredResourceAccess'>> & { keyCredentials?: unknown[] };

/**
 * The PATCH body an application-property action sends, from the registration's current copy.
 * Collections are sent whole (Graph replaces them), with every element the action keeps.
 */
export function getApplicationPatch(action: Action, app: ApplicationState, portalAppId: string | null, apiAppId: string | null): ApplicationPatch {
  switch (action.kind) {
    case 'set-identifier-uri':
      return { identifierUris: [...new Set([...app.identifierUris, `api://${app.appId}`])] };
    case 'set-token-version':
      return { api: { ...app.api, requestedAccessTokenVersion: 2 } };
    case 'put-scope': {
      const scope = { id: action.scopeId, value: API_SCOPE_VALUE, type: 'User', isEnabled: true, ...API_SCOPE_TEXT };
      const others = app.api.oauth2PermissionScopes.filter((s) => s.id !== action.scopeId && s.value !== API_SCOPE_VALUE);
      return { api: { ...app.api, oauth2PermissionScopes: [...others, scope] } };
    }
    case 'put-app-roles': {
      const replaced = new Set(action.roles.map((r) => r.value as string));
      const others = app.appRoles.filter((r) => r.value === null || !replaced.has(r.value));
      return { appRoles: [...others, ...action.roles.map((r) => ({ ...r, allowedMemberTypes: ['User'], isEnabled: true }))] };
    }
    case 'pre-authorize-portal': {
      if (portalAppId === null) throw new Error('the portal registration does not exist yet');
      const others = app.api.preAuthorizedApplications.filter((p) => p.appId !== portalAppId);
      const current = app.api.preAuthorizedApplications.find((p) => p.appId === portalAppId)?.delegatedPermissionIds ?? [];
      return { api: { ...app.api, preAuthorizedApplications: [...others, { appId: portalAppId, delegatedPermissionIds: [...new Set([...current, action.scopeId])] }] } };
    }
    case 'set-redirect-uris': {
      const kept = app.spa.redirectUris.filter((uri) => !action.remove.includes(uri));
      return { spa: { redirectUris: action.add === null ? kept : [...kept, action.add] } };
    }
    case 'require-api-scope': {
      if (apiAppId === null) throw new Error('the API registration does not exist yet');
      const others = app.requiredResourceAccess.filter((r) => r.resourceAppId !== apiAppId);
      const current = app.requiredResourceAccess.find((r) => r.resourceAppId === apiAppId)?.resourceAccess ?? [];
      const access = current.some((a) => a.id === action.scopeId) ? current : [...current, { id: action.scopeId, type: 'Scope' }];
      return { requiredResourceAccess: [...others, { resourceAppId: apiAppId, resourceAccess: access }] };
    }
    case 'set-graph-permissions': {
      const others = app.requiredResourceAccess.filter((r) => r.resourceAppId !== GRAPH_APP_ID);
      const removed = new Set(action.remove.map((p) => p.id));
      const current = (app.requiredResourceAccess.find((r) => r.resourceAppId === GRAPH_APP_ID)?.resourceAccess ?? []).filter((a) => !(a.type === 'Role' && removed.has(a.id)));
      const added = action.add.filter((p) => !current.some((a) => a.id === p.id && a.type === 'Role')).map((p) => ({ id: p.id, type: 'Role' }));
      return { requiredResourceAccess: [...others, { resourceAppId: GRAPH_APP_ID, resourceAccess: [...current, ...added] }] };
    }
    case 'add-certificate': {
      const kept = app.keyCredentials.filter((c) => !action.dropKeyIds.includes(c.keyId));
      const missingKey = kept.find((c) => c.key === null);
      if (missingKey !== undefined) throw new Error(`Graph did not return the key of certificate credential ${missingKey.keyId}, so it cannot be kept while adding the new one`);
      const { certificate } = action;
      return {
        keyCredentials: [
          ...kept.map((c) => ({ keyId: c.keyId, type: c.type, usage: c.usage, key: c.key, displayName: c.displayName, customKeyIdentifier: c.customKeyIdentifier, startDateTime: c.startDateTime, endDateTime: c.endDateTime })),
          {
            type: 'AsymmetricX509Cert',
            usage: 'Verify',
            key: certificate.derBase64,
            displayName: certificate.subject,
            customKeyIdentifier: certificate.customKeyIdentifier,
            startDateTime: certificate.notBefore.toISOString(),
            endDateTime: certificate.notAfter.toISOString(),
          },
        ],
      };
    }
    default:
      throw new Error(`${action.kind} is not an application property`);
  }
}

/**
 * Graph refuses to change a scope or app role while it is enabled
 * (CannotDeleteOrUpdateEnabledEntitlement): the PATCH that disables the ones `action` is about to
 * change, sent first; null when none of them is enabled now.
 */
export function getDisableFirstPatch(action: Action, app: ApplicationState): ApplicationPatch | null {
  if (action.kind === 'put-scope') {
    const current = app.api.oauth2PermissionScopes.find((s) => s.id === action.scopeId);
    if (current === undefined || !current.isEnabled) return null;
    return { api: { ...app.api, oauth2PermissionScopes: app.api.oauth2PermissionScopes.map((s) => (s.id === action.scopeId ? { ...s, isEnabled: false } : s)) } };
  }
  if (action.kind === 'put-app-roles') {
    const changing = new Set(action.roles.map((r) => r.id));
    if (!app.appRoles.some((r) => changing.has(r.id) && r.isEnabled)) return null;
    return { appRoles: app.appRoles.map((r) => (changing.has(r.id) ? { ...r, isEnabled: false } : r)) };
  }
  return null;
}

const PROPERTY_TARGET: Partial<Record<Action['kind'], AppKey>> = {
  'set-identifier-uri': 'api',
  'set-token-version': 'api',
  'put-scope': 'api',
  'put-app-roles': 'api',
  'pre-authorize-portal': 'api',
  'set-redirect-uris': 'portal',
  'require-api-scope': 'portal',
  'set-graph-permissions': 'broker',
  'add-certificate': 'broker',
};

export interface ExecuteContext {
  graph: GraphSession;
  state: TenantState;
  desired: DesiredConfig;
  envFilePath: string;
  /** The new certificate's key and certificate PEM, when the plan adds one. Secret. */
  certificatePem: string | null;
  print: (line: string) => void;
}

/** Thrown with the action that failed, so the caller can say which role a 403 needs. */
export class ActionFailedError extends Error {
  override readonly name = 'ActionFailedError';
  constructor(
    readonly action: Action,
    options: { cause: unknown },
  ) {
    super(`${action.description}: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`, options);
  }
}

function need<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`${what} does not exist yet`);
  return value;
}

/** Runs every action of `actions` in order; stops at the first failure (ActionFailedError). */
export async function executePlan(actions: readonly Action[], ctx: ExecuteContext): Promise<void> {
  const { graph, state, desired } = ctx;
  const apps: Record<AppKey, ApplicationState | null> = { api: state.apps.api.application, portal: state.apps.portal.application, broker: state.apps.broker.application };
  const sps: Record<AppKey, ServicePrincipalState | null> = {
    api: state.apps.api.servicePrincipal,
    portal: state.apps.portal.servicePrincipal,
    broker: state.apps.broker.servicePrincipal,
  };

  async function run(action: Action): Promise<void> {
    const target = PROPERTY_TARGET[action.kind];
    if (target !== undefined) {
      let app = need(apps[target], desired.names[target]);
      const disable = getDisableFirstPatch(action, app);
      if (disable !== null) {
        await graph.patch(`/applications/${app.id}`, disable);
        app = applicationSchema.parse({ ...app, ...disable });
        apps[target] = app;
      }
      const body = getApplicationPatch(action, app, apps.portal?.appId ?? null, apps.api?.appId ?? null);
      if (action.kind === 'add-certificate') {
        const staged = await stageCertificateFile(desired.certificatePath, need(ctx.certificatePem, 'the new certificate'));
        try {
          await graph.patch(`/applications/${app.id}`, body);
        } catch (error) {
          await staged.discard();
          throw error;
        }
        // The new credential's keyId is Graph's to assign; nothing after this action reads the copy.
        await staged.commit();
        return;
      }
      await graph.patch(`/applications/${app.id}`, body);
      apps[target] = applicationSchema.parse({ ...app, ...body });
      return;
    }
    switch (action.kind) {
      case 'create-application': {
        apps[action.app] = await graph.post('/applications', { displayName: action.displayName, signInAudience: 'AzureADMyOrg' }, applicationSchema);
        return;
      }
      case 'create-service-principal': {
        sps[action.app] = await graph.post('/servicePrincipals', { appId: need(apps[action.app], desired.names[action.app]).appId }, servicePrincipalSchema);
        return;
      }
      case 'grant-graph-permission': {
        const broker = need(sps.broker, `the service principal of ${desired.names.broker}`);
        await graph.post(`/servicePrincipals/${broker.id}/appRoleAssignments`, { principalId: broker.id, resourceId: state.graph.id, appRoleId: action.permission.id }, assignmentSchema);
        return;
      }
      case 'revoke-graph-permission': {
        const broker = need(sps.broker, `the service principal of ${desired.names.broker}`);
        await graph.delete(`/servicePrincipals/${broker.id}/appRoleAssignments/${encodeURIComponent(action.assignmentId)}`);
        return;
      }
      case 'assign-api-role': {
        const api = need(sps.api, `the service principal of ${desired.names.api}`);
        await graph.post(`/servicePrincipals/${api.id}/appRoleAssignedTo`, { principalId: action.principal.id, resourceId: api.id, appRoleId: action.appRoleId }, assignmentSchema);
        return;
      }
      case 'grant-portal-consent': {
        if (action.existingGrantId !== null) {
          await graph.patch(`/oauth2PermissionGrants/${encodeURIComponent(action.existingGrantId)}`, { scope: action.scope });
          return;
        }
        const portal = need(sps.portal, `the service principal of ${desired.names.portal}`);
        const api = need(sps.api, `the service principal of ${desired.names.api}`);
        await graph.post('/oauth2PermissionGrants', { clientId: portal.id, consentType: 'AllPrincipals', resourceId: api.id, scope: action.scope }, grantSchema);
        return;
      }
      case 'write-env': {
        await writeEnv(action, ctx, apps);
        return;
      }
      default:
        throw new Error(`no executor for ${action.kind}`);
    }
  }

  for (const action of actions) {
    try {
      await run(action);
    } catch (error) {
      throw new ActionFailedError(action, { cause: error });
    }
    ctx.print(`  done: ${action.description}`);
  }
}

async function writeEnv(action: Extract<Action, { kind: 'write-env' }>, ctx: ExecuteContext, apps: Record<AppKey, ApplicationState | null>): Promise<void> {
  let text = '';
  try {
    text = await readFile(ctx.envFilePath, 'utf8');
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
  }
  const values = getEnvValues(ctx.desired, { api: apps.api?.appId ?? null, portal: apps.portal?.appId ?? null, broker: apps.broker?.appId ?? null });
  const set: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined) throw new Error(`${key} is still unknown`);
    set[key] = value;
  }
  await writeFileAtomic(ctx.envFilePath, mergeEnvFile(text, set, action.remove), 0o600);
  // Read back, so a quoting mistake shows here rather than when the portal starts.
  const written = parseEnvFile(await readFile(ctx.envFilePath, 'utf8'));
  const wrong = Object.keys(set).filter((key) => written[key] !== set[key]);
  if (wrong.length > 0) throw new Error(`the .env file does not read back ${wrong.join(', ')} as written`);
}
