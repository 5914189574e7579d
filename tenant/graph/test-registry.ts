/**
 * Test helpers for the app registry: delegated calls made with an explicitly built caller through
 * the same dispatcher HTTP requests reach, and a signed-in user's directory role.
 */
import { GRAPH_CLI_APP_ID } from '../app-registry';
import type { Directory, GraphCaller } from '../types';
import type { TestTenant } from '../testing';
import { parseGraphPath } from './index';
import { dispatchGraph } from './router';

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
  return { kind: 'user', appId: GRAPH_CLI_APP_ID, permissions: scopes, userId };
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
