/**
 * The Graph dispatcher: one function that answers a `GraphRequest` for an authenticated caller.
 * Top-level HTTP requests and `$batch` items both come through here, so paths, shapes, errors
 * and permission checks are identical for both.
 */
import type { GraphCaller, TenantContext } from '../types';
import { runBatch } from './batch';
import { GraphHttpError, badRequest, errorResponse, type GraphEnv, type GraphRequest, type GraphResponse } from './http';
import { parseCastSegment } from './odata';
import { getGroup, listDirectoryRoleMembers, listDirectoryRoles, listGroupMembers, listGroups, listMemberOf } from './groups';
import { listRoleAssignments, listTransitiveMemberOf, listTransitiveRoleAssignments } from './role-routes';
import { parseMembershipTail, resolveDirectoryRoute } from './directory-routes';
import { assignmentsRoute, resolveAppRegistryRoute } from './app-routes';
import { byMethod, eq, segmentNotFound, type Route } from './routing';
import { listGroupOwners, listOwnedObjects } from './owners';
import { getRoleDefinition, listRoleAssignmentScheduleInstances, listRoleDefinitions, listRoleEligibilityScheduleInstances } from './role-management';
import { createTap, deleteTap, getTap, listTaps } from './tap-methods';
import { sendMail } from './mail';
import { getTapPolicy, isTapConfigurationId, patchTapPolicy } from './tap-policy';
import { isDeltaSegment, usersDelta } from './users-delta';
import {
  countTransitiveReports,
  deleteManagerRef,
  deleteUser,
  getManager,
  getUser,
  listDirectReports,
  listUsers,
  patchUser,
  putManagerRef,
  countUsers,
} from './users';

/** `/users/{id}/…` below the user segment. */
function userRoute(req: GraphRequest, userRef: string, rest: string[]): Route {
  const [a, b, c, d] = rest;
  const m = req.method;
  if (a === undefined) return byMethod(m, { GET: (e) => getUser(e, userRef), PATCH: (e) => patchUser(e, userRef), DELETE: (e) => deleteUser(e, userRef) });
  if (eq(a, 'manager')) {
    if (b === undefined) return byMethod(m, { GET: (e) => getManager(e, userRef) });
    if (b === '$ref' && c === undefined) return byMethod(m, { PUT: (e) => putManagerRef(e, userRef), DELETE: (e) => deleteManagerRef(e, userRef) });
    throw segmentNotFound(b);
  }
  if (eq(a, 'directReports')) {
    // `directReports`, `directReports/$count`, `directReports/microsoft.graph.user[/$count]` (or `graph.user`).
    const isUserCast = parseCastSegment(b) === 'microsoft.graph.user';
    const afterCast = isUserCast ? c : b;
    const tail = isUserCast ? d : c;
    if (tail !== undefined) throw segmentNotFound(tail);
    if (afterCast === undefined) return byMethod(m, { GET: (e) => listDirectReports(e, userRef, false) });
    if (afterCast === '$count') return byMethod(m, { GET: (e) => listDirectReports(e, userRef, true) });
    throw segmentNotFound(afterCast);
  }
  if (eq(a, 'transitiveMemberOf')) {
    const cast = b !== undefined && b !== '$count' ? (parseCastSegment(b) ?? b) : null;
    const countSeg = cast === null ? b : c;
    const tail = cast === null ? c : d;
    if (tail !== undefined) throw segmentNotFound(tail);
    if (countSeg !== undefined && countSeg !== '$count') throw segmentNotFound(countSeg);
    return byMethod(m, { GET: (e) => listTransitiveMemberOf(e, userRef, cast, countSeg === '$count') });
  }
  if (eq(a, 'memberOf')) {
    const { cast, countOnly } = parseMembershipTail(rest.slice(1));
    return byMethod(m, { GET: (e) => listMemberOf(e, userRef, cast, countOnly) });
  }
  if (eq(a, 'ownedObjects')) {
    const { cast, countOnly } = parseMembershipTail(rest.slice(1));
    return byMethod(m, { GET: (e) => listOwnedObjects(e, userRef, cast, countOnly) });
  }
  if (eq(a, 'transitiveReports') && req.version === 'beta') {
    // Beta only, and only as a count (docs/graph-behaviours.md#direct-reports).
    if (b === '$count' && c === undefined) return byMethod(m, { GET: (e) => countTransitiveReports(e, userRef) });
    throw segmentNotFound(b ?? a);
  }
  if (eq(a, 'authentication') && eq(b, 'temporaryAccessPassMethods')) {
    if (c === undefined) return byMethod(m, { GET: (e) => listTaps(e, userRef), POST: (e) => createTap(e, userRef) });
    if (d !== undefined) throw segmentNotFound(d);
    return byMethod(m, { GET: (e) => getTap(e, userRef, c), DELETE: (e) => deleteTap(e, userRef, c) });
  }
  if (eq(a, 'authentication') && b !== undefined) throw segmentNotFound(b);
  if (eq(a, 'appRoleAssignments')) return assignmentsRoute(req, { kind: 'user', ref: userRef }, rest.slice(1));
  if (eq(a, 'sendMail') || eq(a, 'microsoft.graph.sendMail')) {
    if (b !== undefined) throw segmentNotFound(b);
    return byMethod(m, { POST: (e) => sendMail(e, userRef) });
  }
  throw segmentNotFound(a);
}

/** Finds the handler for a request; throws Graph's 400/405 for unknown routes. */
function resolve(req: GraphRequest, caller: GraphCaller): Route {
  const segs = req.segments;
  const [first, ...rest] = segs;
  if (first === undefined) throw segmentNotFound('');
  if (first === '$batch' && rest.length === 0) {
    if (req.inBatch) throw badRequest('Nested batch requests are not supported.', 'BadRequest');
    return byMethod(req.method, { POST: (e) => runBatch(e, dispatchGraph) });
  }
  if (eq(first, 'me')) {
    if (caller.kind !== 'user' || caller.userId === null) {
      throw badRequest('/me request is only valid with delegated authentication flow.', 'BadRequest');
    }
    return userRoute(req, caller.userId, rest);
  }
  if (eq(first, 'users')) {
    const [userRef, ...below] = rest;
    if (userRef === undefined) return byMethod(req.method, { GET: listUsers });
    if (userRef === '$count' && below.length === 0) return byMethod(req.method, { GET: countUsers });
    if (isDeltaSegment(userRef) && below.length === 0) return byMethod(req.method, { GET: usersDelta });
    return userRoute(req, userRef, below);
  }
  if (eq(first, 'groups')) {
    const [groupId, coll, extra] = rest;
    if (groupId === undefined) return byMethod(req.method, { GET: listGroups });
    if (eq(coll, 'appRoleAssignments')) return assignmentsRoute(req, { kind: 'group', id: groupId }, rest.slice(2));
    if (extra !== undefined) throw segmentNotFound(extra);
    if (coll === undefined) return byMethod(req.method, { GET: (e) => getGroup(e, groupId) });
    if (eq(coll, 'members')) return byMethod(req.method, { GET: (e) => listGroupMembers(e, groupId, false) });
    if (eq(coll, 'transitiveMembers')) return byMethod(req.method, { GET: (e) => listGroupMembers(e, groupId, true) });
    if (eq(coll, 'owners')) return byMethod(req.method, { GET: (e) => listGroupOwners(e, groupId) });
    throw segmentNotFound(coll);
  }
  if (eq(first, 'directoryRoles')) {
    const [roleId, coll, extra] = rest;
    if (roleId === undefined) return byMethod(req.method, { GET: listDirectoryRoles });
    if (extra !== undefined) throw segmentNotFound(extra);
    if (eq(coll, 'members')) return byMethod(req.method, { GET: (e) => listDirectoryRoleMembers(e, roleId) });
    throw segmentNotFound(coll ?? roleId);
  }
  if (eq(first, 'roleManagement')) {
    const [dirSeg, coll, extra] = rest;
    if (!eq(dirSeg, 'directory')) throw segmentNotFound(dirSeg ?? first);
    if (eq(coll, 'roleDefinitions') && rest.length <= 3) {
      return byMethod(req.method, { GET: extra === undefined ? listRoleDefinitions : (e) => getRoleDefinition(e, extra) });
    }
    if (extra !== undefined) throw segmentNotFound(extra);
    if (eq(coll, 'roleAssignments')) return byMethod(req.method, { GET: listRoleAssignments });
    if (eq(coll, 'roleAssignmentScheduleInstances')) return byMethod(req.method, { GET: listRoleAssignmentScheduleInstances });
    if (eq(coll, 'roleEligibilityScheduleInstances')) return byMethod(req.method, { GET: listRoleEligibilityScheduleInstances });
    if (eq(coll, 'transitiveRoleAssignments') && req.version === 'beta') return byMethod(req.method, { GET: listTransitiveRoleAssignments });
    throw segmentNotFound(coll ?? dirSeg ?? first);
  }
  if (eq(first, 'policies')) {
    const [policy, coll, configId, extra] = rest;
    if (!eq(policy, 'authenticationMethodsPolicy')) throw segmentNotFound(policy ?? first);
    if (!eq(coll, 'authenticationMethodConfigurations')) throw segmentNotFound(coll ?? policy ?? first);
    if (extra !== undefined) throw segmentNotFound(extra);
    if (configId === undefined) throw segmentNotFound(coll ?? first);
    if (!isTapConfigurationId(configId)) {
      // Only the TAP configuration is modelled; other methods read as absent.
      throw new GraphHttpError(404, 'Request_ResourceNotFound', `Resource '${configId}' does not exist or one of its queried reference-property objects are not present.`);
    }
    return byMethod(req.method, { GET: getTapPolicy, PATCH: patchTapPolicy });
  }
  // The app registry answers every path of its entity sets (tenant/graph/app-routes.ts).
  const appRoute = resolveAppRegistryRoute(req, first, rest);
  if (appRoute !== null) return appRoute;
  const directoryRoute = resolveDirectoryRoute(req, first, rest);
  if (directoryRoute !== null) return directoryRoute;
  throw segmentNotFound(first);
}

/**
 * Answers one Graph request for an already-authenticated caller. Never throws for a request
 * problem: every failure becomes Graph's error envelope.
 */
export async function dispatchGraph(ctx: TenantContext, caller: GraphCaller, req: GraphRequest): Promise<GraphResponse> {
  const env: GraphEnv = { ctx, caller, req };
  try {
    const route = resolve(req, caller);
    return await route(env);
  } catch (e) {
    if (e instanceof GraphHttpError) return errorResponse(req, e.status, e.code, e.message);
    throw e;
  }
}
