/**
 * Path resolution for the app registry: `/applications…`, `/servicePrincipals…` (object id or
 * the `(appId='…')` alternate key), `/oauth2PermissionGrants…`, and the `appRoleAssignments`
 * navigation below users and groups. The main router asks here before anything else handles
 * these entity sets.
 */
import { addPassword, createApplication, deleteApplication, getApplicationObject, listApplications, patchApplication, removePassword } from './applications';
import type { AppKey } from './app-objects';
import {
  createAppRoleAssignedTo,
  createAppRoleAssignment,
  deleteAppRoleAssignedTo,
  deleteAppRoleAssignment,
  listAppRoleAssignedTo,
  listAppRoleAssignments,
  type AssignmentOwner,
} from './app-role-assignments';
import type { GraphRequest } from './http';
import { byMethod, eq, segmentNotFound, type Route } from './routing';
import { createPermissionGrant, deletePermissionGrant, getPermissionGrant, listPermissionGrants, patchPermissionGrant } from './permission-grants';
import {
  createServicePrincipal,
  deleteServicePrincipal,
  getServicePrincipalObject,
  listServicePrincipals,
  patchServicePrincipal,
} from './service-principals';

/** Actions may be addressed bare (`addPassword`) or qualified (`microsoft.graph.addPassword`). */
function isAction(segment: string | undefined, name: string): boolean {
  return eq(segment, name) || eq(segment, `microsoft.graph.${name}`);
}

/** `servicePrincipals(appId='…')` → the appId; null for any other segment. */
function alternateKey(segment: string, entitySet: string): string | null {
  const m = new RegExp(`^${entitySet}\\(appId='([^']*)'\\)$`, 'i').exec(segment);
  return m === null ? null : (m[1] ?? '');
}

/** The entity set's collection (`key` null) or one object and what follows it; null when `first` is another set. */
function entityPath(first: string, rest: readonly string[], entitySet: string): { key: AppKey | null; below: string[] } | null {
  if (eq(first, entitySet)) {
    const [id, ...below] = rest;
    return { key: id === undefined ? null : { by: 'id', value: id }, below };
  }
  const appId = alternateKey(first, entitySet);
  return appId === null ? null : { key: { by: 'appId', value: appId }, below: [...rest] };
}

function applicationRoute(req: GraphRequest, key: AppKey | null, below: string[]): Route {
  if (key === null) return byMethod(req.method, { GET: listApplications, POST: createApplication });
  const [action, extra] = below;
  if (extra !== undefined) throw segmentNotFound(extra);
  if (action === undefined) {
    return byMethod(req.method, {
      GET: (e) => getApplicationObject(e, key),
      PATCH: (e) => patchApplication(e, key),
      DELETE: (e) => deleteApplication(e, key),
    });
  }
  if (isAction(action, 'addPassword')) return byMethod(req.method, { POST: (e) => addPassword(e, key) });
  if (isAction(action, 'removePassword')) return byMethod(req.method, { POST: (e) => removePassword(e, key) });
  throw segmentNotFound(action);
}

/** `…/appRoleAssignments[/{assignmentId}]` below a principal. */
export function assignmentsRoute(req: GraphRequest, owner: AssignmentOwner, below: readonly string[]): Route {
  const [assignmentId, extra] = below;
  if (extra !== undefined) throw segmentNotFound(extra);
  if (assignmentId === undefined) return byMethod(req.method, { GET: (e) => listAppRoleAssignments(e, owner), POST: (e) => createAppRoleAssignment(e, owner) });
  return byMethod(req.method, { DELETE: (e) => deleteAppRoleAssignment(e, owner, assignmentId) });
}

function servicePrincipalRoute(req: GraphRequest, key: AppKey | null, below: string[]): Route {
  if (key === null) return byMethod(req.method, { GET: listServicePrincipals, POST: createServicePrincipal });
  const [nav, ...tail] = below;
  if (nav === undefined) {
    return byMethod(req.method, {
      GET: (e) => getServicePrincipalObject(e, key),
      PATCH: (e) => patchServicePrincipal(e, key),
      DELETE: (e) => deleteServicePrincipal(e, key),
    });
  }
  if (eq(nav, 'appRoleAssignedTo')) {
    const [assignmentId, extra] = tail;
    if (extra !== undefined) throw segmentNotFound(extra);
    if (assignmentId === undefined) {
      return byMethod(req.method, { GET: (e) => listAppRoleAssignedTo(e, key), POST: (e) => createAppRoleAssignedTo(e, key) });
    }
    return byMethod(req.method, { DELETE: (e) => deleteAppRoleAssignedTo(e, key, assignmentId) });
  }
  if (eq(nav, 'appRoleAssignments')) return assignmentsRoute(req, { kind: 'servicePrincipal', key }, tail);
  throw segmentNotFound(nav);
}

/** Routes the app registry's entity sets; null when `first` names none of them. */
export function resolveAppRegistryRoute(req: GraphRequest, first: string, rest: readonly string[]): Route | null {
  const app = entityPath(first, rest, 'applications');
  if (app !== null) return applicationRoute(req, app.key, app.below);
  const sp = entityPath(first, rest, 'servicePrincipals');
  if (sp !== null) return servicePrincipalRoute(req, sp.key, sp.below);
  if (eq(first, 'oauth2PermissionGrants')) {
    const [id, extra] = rest;
    if (extra !== undefined) throw segmentNotFound(extra);
    if (id === undefined) return byMethod(req.method, { GET: listPermissionGrants, POST: createPermissionGrant });
    return byMethod(req.method, { GET: (e) => getPermissionGrant(e, id), PATCH: (e) => patchPermissionGrant(e, id), DELETE: (e) => deletePermissionGrant(e, id) });
  }
  return null;
}
