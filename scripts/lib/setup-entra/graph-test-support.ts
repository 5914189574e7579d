/**
 * An in-memory stand-in for the slice of Microsoft Graph setup:entra calls, behind the same
 * GraphSession interface, for tests of the read → plan → execute loop until the local tenant
 * serves these endpoints. It keeps Graph's shapes and its PATCH rule (a collection sent
 * replaces the one held), records every write, and can refuse calls with Graph's 403.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { GraphCallError, type GraphSession } from '@/scripts/lib/setup-entra/graph-session';
import { GRAPH_APP_ID } from '@/scripts/lib/setup-entra/state';
import { blankApplication } from '@/scripts/lib/setup-entra/test-support';

type Json = Record<string, unknown>;

export interface MemoryGraph extends GraphSession {
  applications: Json[];
  servicePrincipals: Json[];
  assignments: Json[];
  grants: Json[];
  /** `METHOD /path` of every write, in order. */
  writes: string[];
  /** Answer 403 Authorization_RequestDenied to calls this matches. */
  deny: ((method: string, path: string) => boolean) | null;
}

function literal(path: string, pattern: RegExp): string | null {
  const match = pattern.exec(path);
  return match?.[1]?.replaceAll("''", "'") ?? null;
}

/** A tenant with Microsoft Graph's service principal offering `permissions` (fixture ids) and the users named. */
export function createMemoryGraph(permissions: readonly string[], users: Readonly<Record<string, string>> = {}): MemoryGraph {
  const graphSp: Json = {
    id: randomUUID(),
    appId: GRAPH_APP_ID,
    displayName: 'Microsoft Graph',
    appRoles: permissions.map((value) => ({ id: randomUUID(), value, displayName: value, description: value, allowedMemberTypes: ['Application'], isEnabled: true })),
    oauth2PermissionScopes: [],
  };
  const store: MemoryGraph = {
    applications: [],
    servicePrincipals: [graphSp],
    assignments: [],
    grants: [],
    writes: [],
    deny: null,
    get: (path, schema) => read(path, schema, false).then((v) => v as z.infer<typeof schema>),
    find: (path, schema) => read(path, schema, true),
    list: async (path, item) => {
      const items = listItems(path);
      return items.map((i) => item.parse(i) as z.infer<typeof item>);
    },
    post: async (path, body, schema) => schema.parse(write('POST', path, body as Json)) as z.infer<typeof schema>,
    patch: async (path, body) => {
      write('PATCH', path, body as Json);
    },
    delete: async (path) => {
      write('DELETE', path, {});
    },
  };

  function check(method: string, path: string): void {
    if (store.deny?.(method, path) === true) {
      throw new GraphCallError(`${method} ${path.split('?')[0] ?? ''}: Graph answered 403 Authorization_RequestDenied: Insufficient privileges to complete the operation.`, 403, 'Authorization_RequestDenied');
    }
  }

  function notFound(path: string): never {
    throw new GraphCallError(`GET ${path.split('?')[0] ?? ''}: Graph answered 404 Request_ResourceNotFound`, 404, 'Request_ResourceNotFound');
  }

  function getOne(path: string): Json | null {
    const spAppId = literal(path, /^\/servicePrincipals\(appId='((?:[^']|'')*)'\)/);
    if (spAppId !== null) return store.servicePrincipals.find((sp) => sp['appId'] === spAppId) ?? null;
    const appAppId = literal(path, /^\/applications\(appId='((?:[^']|'')*)'\)/);
    if (appAppId !== null) return store.applications.find((a) => a['appId'] === appAppId) ?? null;
    const appId = /^\/applications\/([^/?]+)\?\$select=keyCredentials$/.exec(path)?.[1];
    if (appId !== undefined) {
      const app = store.applications.find((a) => a['id'] === appId);
      return app === undefined ? null : { keyCredentials: app['keyCredentials'] };
    }
    const upn = /^\/users\/([^/?]+)/.exec(path)?.[1];
    if (upn !== undefined) {
      const id = users[decodeURIComponent(upn).toLowerCase()];
      return id === undefined ? null : { id, userPrincipalName: decodeURIComponent(upn) };
    }
    throw new Error(`memory Graph: no GET ${path}`);
  }

  async function read<T extends z.ZodType>(path: string, schema: T, nullOn404: boolean): Promise<z.infer<T> | null> {
    check('GET', path);
    const found = getOne(path);
    if (found === null) {
      if (nullOn404) return null;
      notFound(path);
    }
    return schema.parse(structuredClone(found)) as z.infer<T>;
  }

  function listItems(path: string): Json[] {
    check('GET', path);
    const decoded = decodeURIComponent(path);
    const name = literal(decoded, /^\/applications\?\$filter=displayName eq '((?:[^']|'')*)'/);
    if (name !== null) return structuredClone(store.applications.filter((a) => a['displayName'] === name));
    const ofPrincipal = /^\/servicePrincipals\/([^/]+)\/appRoleAssignments$/.exec(path)?.[1];
    if (ofPrincipal !== undefined) return structuredClone(store.assignments.filter((a) => a['principalId'] === ofPrincipal));
    const toResource = /^\/servicePrincipals\/([^/]+)\/appRoleAssignedTo$/.exec(path)?.[1];
    if (toResource !== undefined) return structuredClone(store.assignments.filter((a) => a['resourceId'] === toResource));
    const client = literal(decoded, /^\/oauth2PermissionGrants\?\$filter=clientId eq '((?:[^']|'')*)'$/);
    if (client !== null) return structuredClone(store.grants.filter((g) => g['clientId'] === client));
    throw new Error(`memory Graph: no list ${path}`);
  }

  /**
   * Graph's rule: an enabled scope or app role may be neither removed nor changed, only disabled
   * (with nothing else about it changed) in a PATCH of its own first.
   */
  function checkEnabledKept(previous: unknown, next: unknown, path: string): void {
    if (!Array.isArray(previous) || !Array.isArray(next)) return;
    const same = (a: Json, b: Json) => JSON.stringify(Object.entries({ ...a, isEnabled: null }).sort()) === JSON.stringify(Object.entries({ ...b, isEnabled: null }).sort());
    for (const before of previous as Json[]) {
      if (before['isEnabled'] === false) continue;
      const after = (next as Json[]).find((n) => n['id'] === before['id']);
      if (after === undefined || !same(after, before)) {
        throw new GraphCallError(`PATCH ${path}: Graph answered 400 CannotDeleteOrUpdateEnabledEntitlement`, 400, 'CannotDeleteOrUpdateEnabledEntitlement');
      }
    }
  }

  function byId(items: Json[], id: string | undefined, path: string): Json {
    const found = items.find((i) => i['id'] === id);
    if (found === undefined) notFound(path);
    return found;
  }

  function write(method: string, path: string, body: Json): Json {
    check(method, path);
    store.writes.push(`${method} ${path}`);
    if (method === 'POST' && path === '/applications') {
      const app: Json = { ...blankApplication(randomUUID(), String(body['displayName'])), id: randomUUID() };
      store.applications.push(app);
      return structuredClone(app);
    }
    const appId = /^\/applications\/([^/]+)$/.exec(path)?.[1];
    if (method === 'PATCH' && appId !== undefined) {
      const app = byId(store.applications, appId, path);
      const sent = structuredClone(body);
      if ('appRoles' in sent) checkEnabledKept(app['appRoles'], sent['appRoles'], path);
      const api = sent['api'] as Json | undefined;
      if (api !== undefined && 'oauth2PermissionScopes' in api) checkEnabledKept((app['api'] as Json)['oauth2PermissionScopes'], api['oauth2PermissionScopes'], path);
      if (Array.isArray(sent['keyCredentials'])) {
        sent['keyCredentials'] = sent['keyCredentials'].map((c: Json) => ({ keyId: randomUUID(), ...c }));
      }
      Object.assign(app, sent);
      return {};
    }
    if (method === 'POST' && path === '/servicePrincipals') {
      const app = store.applications.find((a) => a['appId'] === body['appId']);
      if (app === undefined) throw new GraphCallError('POST /servicePrincipals: Graph answered 400 Request_BadRequest', 400, 'Request_BadRequest');
      const sp: Json = { id: randomUUID(), appId: app['appId'], displayName: app['displayName'] };
      store.servicePrincipals.push(sp);
      return structuredClone(sp);
    }
    if (method === 'POST' && /^\/servicePrincipals\/[^/]+\/(appRoleAssignments|appRoleAssignedTo)$/.test(path)) {
      const assignment: Json = { id: randomUUID(), principalType: 'ServicePrincipal', ...body };
      store.assignments.push(assignment);
      return structuredClone(assignment);
    }
    const assignmentId = /^\/servicePrincipals\/[^/]+\/appRoleAssignments\/([^/]+)$/.exec(path)?.[1];
    if (method === 'DELETE' && assignmentId !== undefined) {
      byId(store.assignments, assignmentId, path);
      store.assignments = store.assignments.filter((a) => a['id'] !== assignmentId);
      return {};
    }
    if (method === 'POST' && path === '/oauth2PermissionGrants') {
      const grant: Json = { id: randomUUID(), principalId: null, ...body };
      store.grants.push(grant);
      return structuredClone(grant);
    }
    const grantId = /^\/oauth2PermissionGrants\/([^/]+)$/.exec(path)?.[1];
    if (method === 'PATCH' && grantId !== undefined) {
      Object.assign(byId(store.grants, grantId, path), body);
      return {};
    }
    throw new Error(`memory Graph: no ${method} ${path}`);
  }

  return store;
}
