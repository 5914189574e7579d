/**
 * Reads what the tenant holds for setup:entra (state.ts): Microsoft Graph's permission catalogue,
 * the three registrations (by the client id the `.env` names, else by display name), their
 * service principals, consent and role assignments, and resolves the `--assign-*` principals.
 * Reads only; a registration found twice by name is an error rather than a guess.
 */
import { z } from 'zod';
import { odataString, type GraphSession } from '@/scripts/lib/setup-entra/graph-session';
import {
  APP_KEYS,
  applicationSchema,
  assignmentSchema,
  GRAPH_APP_ID,
  grantSchema,
  graphServicePrincipalSchema,
  keyCredentialSchema,
  servicePrincipalSchema,
  type AppKey,
  type ApplicationState,
  type CertificateInfo,
  type Principal,
  type RegistrationState,
  type TenantState,
} from '@/scripts/lib/setup-entra/state';

const APPLICATION_SELECT = 'id,appId,displayName,identifierUris,api,appRoles,spa,requiredResourceAccess,keyCredentials';

/** Where the `.env` keeps each registration's client id. */
export const CLIENT_ID_ENV_KEYS: Record<AppKey, string> = { api: 'API_CLIENT_ID', portal: 'PORTAL_CLIENT_ID', broker: 'BROKER_CLIENT_ID' };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function findApplication(graph: GraphSession, appId: string | undefined, displayName: string): Promise<ApplicationState | null> {
  if (appId !== undefined && GUID.test(appId)) {
    const byId = await graph.find(`/applications(appId=${odataString(appId)})?$select=${APPLICATION_SELECT}`, applicationSchema);
    if (byId !== null) return byId;
  }
  const filter = encodeURIComponent(`displayName eq ${odataString(displayName)}`);
  const named = await graph.list(`/applications?$filter=${filter}&$select=${APPLICATION_SELECT}`, applicationSchema);
  if (named.length > 1) {
    throw new Error(`${named.length} applications are named "${displayName}"; put the client id of the right one in the .env file (${named.map((a) => a.appId).join(', ')}).`);
  }
  return named[0] ?? null;
}

async function readRegistration(graph: GraphSession, key: AppKey, envFile: Readonly<Record<string, string>>, displayName: string): Promise<RegistrationState> {
  const application = await findApplication(graph, envFile[CLIENT_ID_ENV_KEYS[key]], displayName);
  if (application === null) return { application: null, servicePrincipal: null };
  const servicePrincipal = await graph.find(`/servicePrincipals(appId=${odataString(application.appId)})?$select=id,appId,displayName`, servicePrincipalSchema);
  if (key !== 'broker') return { application, servicePrincipal };
  // Graph returns a certificate's `key` only when keyCredentials is selected on one object, and a
  // PATCH of keyCredentials must send every credential it keeps with its key.
  const credentials = await graph.get(`/applications/${application.id}?$select=keyCredentials`, z.object({ keyCredentials: z.array(keyCredentialSchema).nullish() }));
  return { application: { ...application, keyCredentials: credentials.keyCredentials ?? [] }, servicePrincipal };
}

/** Resolves `--assign-*` entries: a UPN through `/users/{upn}`, a GUID taken as a group id. */
export async function resolvePrincipals(graph: GraphSession, refs: readonly string[]): Promise<Map<string, Principal>> {
  const found = new Map<string, Principal>();
  for (const ref of new Set(refs)) {
    if (GUID.test(ref)) {
      found.set(ref, { id: ref.toLowerCase(), type: 'Group', label: ref.toLowerCase() });
      continue;
    }
    const user = await graph.find(`/users/${encodeURIComponent(ref)}?$select=id,userPrincipalName`, z.object({ id: z.string(), userPrincipalName: z.string().nullish() }));
    if (user === null) throw new Error(`No user ${ref} in this tenant (from --assign-*).`);
    found.set(ref, { id: user.id, type: 'User', label: user.userPrincipalName ?? ref });
  }
  return found;
}

/** Everything the planner compares with the desired configuration. */
export async function readTenantState(
  graph: GraphSession,
  names: Record<AppKey, string>,
  envFile: Readonly<Record<string, string>>,
  certificateFile: CertificateInfo | null,
): Promise<TenantState> {
  const graphSp = await graph.get(`/servicePrincipals(appId=${odataString(GRAPH_APP_ID)})?$select=id,appRoles,oauth2PermissionScopes`, graphServicePrincipalSchema);
  const apps = {} as Record<AppKey, RegistrationState>;
  for (const key of APP_KEYS) apps[key] = await readRegistration(graph, key, envFile, names[key]);
  const brokerSp = apps.broker.servicePrincipal;
  const apiSp = apps.api.servicePrincipal;
  const portalSp = apps.portal.servicePrincipal;
  return {
    graph: graphSp,
    apps,
    brokerAssignments: brokerSp === null ? [] : await graph.list(`/servicePrincipals/${brokerSp.id}/appRoleAssignments`, assignmentSchema),
    apiAssignedTo: apiSp === null ? [] : await graph.list(`/servicePrincipals/${apiSp.id}/appRoleAssignedTo`, assignmentSchema),
    portalGrants:
      portalSp === null ? [] : await graph.list(`/oauth2PermissionGrants?$filter=${encodeURIComponent(`clientId eq ${odataString(portalSp.id)}`)}`, grantSchema),
    envFile: { ...envFile },
    certificateFile,
  };
}
