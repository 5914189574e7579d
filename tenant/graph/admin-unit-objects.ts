/**
 * `administrativeUnit` objects as Graph shows them. Kept apart from the routes so that the
 * directoryObject projection in `groups.ts` can show AUs inside `memberOf` without an import cycle.
 */
import type { AdministrativeUnit } from '../types';

export const ADMINISTRATIVE_UNIT_TYPE = '#microsoft.graph.administrativeUnit';

export const ADMINISTRATIVE_UNIT_PROPERTIES = [
  'id',
  'deletedDateTime',
  'displayName',
  'description',
  'isMemberManagementRestricted',
  'membershipRule',
  'membershipRuleProcessingState',
  'membershipType',
  'visibility',
] as const;

function value(au: AdministrativeUnit, name: string): unknown {
  switch (name) {
    case 'id':
      return au.id;
    case 'displayName':
      return au.displayName;
    case 'description':
      return au.description;
    case 'isMemberManagementRestricted':
      return au.isMemberManagementRestricted;
    default:
      // Assigned-membership, public AUs: Graph reports these as null.
      return null;
  }
}

/** Projects an AU onto `$select` (or every property), without `@odata.type`. */
export function projectAdministrativeUnit(au: AdministrativeUnit, select: readonly string[] | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of select ?? ADMINISTRATIVE_UNIT_PROPERTIES) out[name] = value(au, name);
  return out;
}
