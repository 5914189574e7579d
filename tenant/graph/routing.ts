/**
 * The small pieces every Graph path resolver shares: a route's type, Graph's answers for an
 * unknown segment (400) and an unsupported method (405), and case-insensitive segment matching.
 */
import { GraphHttpError, badRequest, type GraphEnv, type GraphResponse } from './http';

export type Route = (env: GraphEnv) => GraphResponse | Promise<GraphResponse>;

export function segmentNotFound(segment: string): GraphHttpError {
  return badRequest(`Resource not found for the segment '${segment}'.`, 'BadRequest');
}

export function methodNotAllowed(): GraphHttpError {
  return new GraphHttpError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
}

/** Path segments match case-insensitively, as Graph's do. */
export function eq(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** Picks the handler for a method among those a resource supports, or 405. */
export function byMethod(method: string, handlers: Record<string, Route>): Route {
  const h = handlers[method];
  if (h === undefined) throw methodNotAllowed();
  return h;
}
