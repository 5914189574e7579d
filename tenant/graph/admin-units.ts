/**
 * Administrative units: `GET /directory/administrativeUnits`, `/directory/administrativeUnits/{id}`
 * and `/directory/administrativeUnits/{id}/members`. A restricted-management AU
 * (`isMemberManagementRestricted`) shields its members from tenant-wide admins, so the broker
 * treats membership as a reason to refuse a pass.
 *
 * Without an AU-read permission the collection endpoints answer 403; inside a user's `memberOf`
 * (see `groups.ts`) AUs then show only `@odata.type` and `id` (the limited-information rule).
 */
import type { AdministrativeUnit } from '../types';
import { ADMINISTRATIVE_UNIT_PROPERTIES, projectAdministrativeUnit } from './admin-unit-objects';
import { badRequest, graphRoot, jsonResponse, notFoundResource, type GraphEnv, type GraphResponse } from './http';
import { collection, directoryObject, directoryObjectSelect } from './groups';
import { parseSelect } from './odata';
import { ADMINISTRATIVE_UNIT_READ, requireDirectory } from './permissions';

const AU_TYPE_NAME = 'microsoft.graph.administrativeUnit';

function getAdministrativeUnitOrThrow(env: GraphEnv, id: string): AdministrativeUnit {
  const au = env.ctx.directory.administrativeUnits.get(id.toLowerCase());
  if (au === undefined) throw notFoundResource(id);
  return au;
}

function refuseFilter(env: GraphEnv): void {
  const filter = env.req.query.get('$filter');
  if (filter !== undefined && filter.trim() !== '') throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
}

/** `GET /directory/administrativeUnits` (paged; `$select`, `$top`). */
export function listAdministrativeUnits(env: GraphEnv): GraphResponse {
  requireDirectory(env, ADMINISTRATIVE_UNIT_READ);
  refuseFilter(env);
  const select = parseSelect(env.req.query.get('$select'), ADMINISTRATIVE_UNIT_PROPERTIES, AU_TYPE_NAME);
  const items = [...env.ctx.directory.administrativeUnits.values()].map((au) => projectAdministrativeUnit(au, select));
  return collection(env, 'directory/administrativeUnits', items);
}

/** `GET /directory/administrativeUnits/{id}` */
export function getAdministrativeUnit(env: GraphEnv, id: string): GraphResponse {
  requireDirectory(env, ADMINISTRATIVE_UNIT_READ);
  const au = getAdministrativeUnitOrThrow(env, id);
  const select = parseSelect(env.req.query.get('$select'), ADMINISTRATIVE_UNIT_PROPERTIES, AU_TYPE_NAME);
  return jsonResponse(env.req, 200, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#directory/administrativeUnits/$entity`,
    ...projectAdministrativeUnit(au, select),
  });
}

/** `GET /directory/administrativeUnits/{id}/members`: users and groups, each limited by its own read permission. */
export function listAdministrativeUnitMembers(env: GraphEnv, id: string): GraphResponse {
  requireDirectory(env, ADMINISTRATIVE_UNIT_READ);
  const au = getAdministrativeUnitOrThrow(env, id);
  refuseFilter(env);
  const select = directoryObjectSelect(env);
  const items = au.memberIds.map((m) => directoryObject(env, m, select)).filter((o): o is Record<string, unknown> => o !== null);
  return collection(env, 'directoryObjects', items);
}
