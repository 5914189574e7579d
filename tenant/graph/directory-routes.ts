/**
 * Path resolution for `/directory/administrativeUnits…` and the membership-navigation tails the
 * main router shares, kept beside it so that it only needs one hook per resource family.
 */
import { badRequest, GraphHttpError, type GraphEnv, type GraphRequest, type GraphResponse } from './http';
import { getAdministrativeUnit, listAdministrativeUnitMembers, listAdministrativeUnits } from './admin-units';
import { parseCastSegment } from './odata';

type Route = (env: GraphEnv) => GraphResponse | Promise<GraphResponse>;

function segmentNotFound(segment: string): GraphHttpError {
  return badRequest(`Resource not found for the segment '${segment}'.`, 'BadRequest');
}

function getOnly(req: GraphRequest, route: Route): Route {
  if (req.method !== 'GET') throw new GraphHttpError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
  return route;
}

/**
 * Splits what follows a membership navigation (`memberOf`, `ownedObjects`): an optional cast
 * (either spelling, canonicalised) and an optional `/$count`. Throws Graph's 400 for anything else.
 */
export function parseMembershipTail(tail: readonly string[]): { cast: string | null; countOnly: boolean } {
  const [b, c, d] = tail;
  if (b === undefined) return { cast: null, countOnly: false };
  if (b === '$count') {
    if (c !== undefined) throw segmentNotFound(c);
    return { cast: null, countOnly: true };
  }
  const cast = parseCastSegment(b);
  if (cast === null) throw segmentNotFound(b);
  if (c === undefined) return { cast, countOnly: false };
  if (c !== '$count') throw segmentNotFound(c);
  if (d !== undefined) throw segmentNotFound(d);
  return { cast, countOnly: true };
}

/** Routes `/directory/administrativeUnits…`. Returns null when `first` names something else. */
export function resolveDirectoryRoute(req: GraphRequest, first: string, rest: readonly string[]): Route | null {
  if (first.toLowerCase() === 'directory') {
    const [coll, id, nav, extra] = rest;
    if (coll === undefined || coll.toLowerCase() !== 'administrativeunits') throw segmentNotFound(coll ?? first);
    if (extra !== undefined) throw segmentNotFound(extra);
    if (id === undefined) return getOnly(req, listAdministrativeUnits);
    if (nav === undefined) return getOnly(req, (e) => getAdministrativeUnit(e, id));
    if (nav.toLowerCase() === 'members') return getOnly(req, (e) => listAdministrativeUnitMembers(e, id));
    throw segmentNotFound(nav);
  }
  return null;
}
