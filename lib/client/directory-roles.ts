/**
 * The read-only directory roles an admin may put on the policy's allow-list, by template id, for
 * the browser: the contract's table, so the console never offers a role the server refuses or
 * hides one it accepts.
 */
import { READ_ONLY_DIRECTORY_ROLES } from '@/lib/contract/policy';

export const READ_ONLY_DIRECTORY_ROLE_NAMES: ReadonlyMap<string, string> = READ_ONLY_DIRECTORY_ROLES;

/** A role's name for people: its display name when it is one of the read-only roles, else its id. */
export function formatDirectoryRole(templateId: string): string {
  return READ_ONLY_DIRECTORY_ROLE_NAMES.get(templateId.toLowerCase()) ?? `role ${templateId}`;
}
