/**
 * Test helpers for the app registry: Microsoft Graph's service principal in the registry (with
 * Microsoft's real app role and scope ids), delegated calls made with an explicitly built caller
 * through the same dispatcher HTTP requests reach, and a signed-in user's directory role.
 */
import type { Directory, GraphCaller, ServicePrincipalRecord } from '../types';
import type { TestTenant } from '../testing';
import { MICROSOFT_TENANT_ID } from './app-objects';
import { GRAPH_APP_ROLES, GRAPH_DELEGATED_SCOPES, MICROSOFT_GRAPH_APP_ID } from './graph-permissions';
import { parseGraphPath } from './index';
import { dispatchGraph } from './router';

/** Microsoft Graph's service principal, added when the registry does not hold it yet. */
export function ensureGraphServicePrincipal(dir: Directory): ServicePrincipalRecord {
  for (const sp of dir.apps.servicePrincipals.values()) if (sp.appId === MICROSOFT_GRAPH_APP_ID) return sp;
  const sp: ServicePrincipalRecord = {
    id: '1f0b4c3e-5d6a-4b7c-8d9e-0a1b2c3d4e5f',
    appId: MICROSOFT_GRAPH_APP_ID,
    displayName: 'Microsoft Graph',
    accountEnabled: true,
    appRoleAssignmentRequired: false,
    appOwnerOrganizationId: MICROSOFT_TENANT_ID,
    servicePrincipalNames: [MICROSOFT_GRAPH_APP_ID, 'https://graph.microsoft.com'],
    tags: [],
    createdDateTime: '2020-01-01T08:00:00Z',
    appRoles: GRAPH_APP_ROLES.map((r) => ({ ...r, allowedMemberTypes: [...r.allowedMemberTypes] })),
    oauth2PermissionScopes: GRAPH_DELEGATED_SCOPES.map((s) => ({ ...s })),
  };
  dir.apps.servicePrincipals.set(sp.id, sp);
  return sp;
}

/** Makes `userId` an active, tenant-wide holder of the built-in role `templateId`. */
export function giveDirectoryRole(dir: Directory, userId: string, templateId: string): void {
  dir.roleAssignments.push({ principalId: userId, roleDefinitionId: templateId, directoryScopeId: '/', kind: 'active' });
}

export interface DispatchAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** A delegated caller: `userId` signed in, holding the Graph scopes `scopes`. */
export function delegated(userId: string, scopes: string[]): GraphCaller {
  return { kind: 'user', appId: '14d82eec-204b-4c2f-b7e8-296a70dab67e', permissions: scopes, userId };
}

/** One Graph v1.0 request for `caller`, answered by the dispatcher that serves HTTP and `$batch`. */
export async function callAs(tenant: TestTenant, caller: GraphCaller, path: string, opts: { method?: string; body?: unknown } = {}): Promise<DispatchAnswer> {
  const { segments, query } = parseGraphPath(`/v1.0${path}`);
  const res = await dispatchGraph(tenant.ctx, caller, {
    method: opts.method ?? 'GET',
    version: 'v1.0',
    segments,
    query,
    headers: opts.body === undefined ? {} : { 'content-type': 'application/json' },
    body: opts.body === undefined ? null : JSON.stringify(opts.body),
    requestId: 'test-request',
    clientRequestId: 'test-request',
    inBatch: false,
  });
  return { status: res.status, body: (res.body ?? {}) as Record<string, unknown> };
}
