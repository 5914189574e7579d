/**
 * Directory-role objects as Graph shows them. Names and descriptions come from the tenant's
 * table (`tenant/roles.ts`); a `directoryRole`'s own `id` is tenant-specific in Entra, so it is
 * derived here from the tenant id and the template id (stable across restarts, different per tenant).
 */
import { createHash } from 'node:crypto';
import { getDirectoryRoleInfo } from '../roles';

/** Stable GUID-shaped id derived from its parts. */
export function derivedGuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function directoryRoleObjectId(tenantId: string, templateId: string): string {
  return derivedGuid('directoryRole', tenantId, templateId.toLowerCase());
}

/** A `#microsoft.graph.directoryRole` as listed by `transitiveMemberOf` (docs/graph-behaviours.md#directory-roles). */
export function directoryRoleObject(tenantId: string, templateId: string): Record<string, unknown> {
  const info = getDirectoryRoleInfo(templateId);
  return {
    '@odata.type': '#microsoft.graph.directoryRole',
    id: directoryRoleObjectId(tenantId, info.templateId),
    deletedDateTime: null,
    description: info.description,
    displayName: info.displayName,
    roleTemplateId: info.templateId,
  };
}
