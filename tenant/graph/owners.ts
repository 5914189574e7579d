/**
 * Group ownership: `GET /groups/{id}/owners` and `GET /users/{id}/ownedObjects[/microsoft.graph.group]`.
 * Owners of a role-assignable group can change who holds its roles, so the broker must see them.
 *
 * `ownedObjects` is delegated-only in Graph (its page lists "Application: Not supported"), so an
 * app-only token is refused with 403 whatever permissions it holds; apps read ownership from the
 * group side (`/groups/{id}/owners`, GroupMember.Read.All).
 */
import { getOwnedGroupIds } from '../directory';
import { GraphHttpError, type GraphEnv, type GraphResponse } from './http';
import {
  GROUP_PROPERTIES,
  GROUP_READ,
  collection,
  directoryObject,
  directoryObjectSelect,
  getGroupOrThrow,
  membershipCast,
  membershipResponse,
} from './groups';
import { parseSelect } from './odata';
import { OWNED_OBJECTS_READ_DELEGATED, hasAnyPermission, requireDirectory } from './permissions';
import { getUserOrThrow } from './users';

function present(o: Record<string, unknown> | null): o is Record<string, unknown> {
  return o !== null;
}

/** `GET /groups/{id}/owners`: users, limited to `@odata.type` and `id` without a user-read permission. */
export function listGroupOwners(env: GraphEnv, id: string): GraphResponse {
  requireDirectory(env, GROUP_READ);
  const g = getGroupOrThrow(env, id);
  const select = directoryObjectSelect(env);
  return collection(env, 'directoryObjects', g.ownerIds.map((o) => directoryObject(env, o, select)).filter(present));
}

/**
 * `GET /users/{id}/ownedObjects[/{cast}][/$count]`: the groups the user owns (the only owned
 * objects the local tenant models). Groups read as `@odata.type` and `id` without a group-read permission.
 */
export function listOwnedObjects(env: GraphEnv, idOrUpn: string, castSegment: string | null, countOnly: boolean): GraphResponse {
  if (env.caller.kind === 'app' || !hasAnyPermission(env, OWNED_OBJECTS_READ_DELEGATED)) {
    throw new GraphHttpError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  }
  const cast = membershipCast(castSegment);
  const user = getUserOrThrow(env, idOrUpn);
  const select = cast === 'group' ? parseSelect(env.req.query.get('$select'), GROUP_PROPERTIES, 'microsoft.graph.group') : directoryObjectSelect(env);
  // Owned objects are groups here: a cast to another type is valid but empty.
  const ids = cast === null || cast === 'group' ? getOwnedGroupIds(env.ctx.directory, user.id) : [];
  return membershipResponse(env, cast, ids.map((g) => directoryObject(env, g, select)).filter(present), countOnly);
}
