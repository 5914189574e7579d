/**
 * The read-only directory roles an admin may put on the policy's allow-list, by template id, for
 * the browser (which cannot import the server's policy module). A unit test holds this table equal
 * to the server's `READ_ONLY_DIRECTORY_ROLES`, so the console never offers a role the server
 * refuses or hides one it accepts.
 */
export const READ_ONLY_DIRECTORY_ROLE_NAMES: ReadonlyMap<string, string> = new Map([
  ['88d8e3e3-8f55-4a1e-953a-9b9898b8876b', 'Directory Readers'],
  ['4a5d8f65-41da-4de4-8968-e035b65339cf', 'Reports Reader'],
  ['790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b', 'Message Center Reader'],
  ['75934031-6c7e-415a-99d7-48dbd49e875e', 'Usage Summary Reports Reader'],
  ['27460883-1df1-4691-b032-3b79643e5e63', 'User Experience Success Manager'],
]);

/** A role's name for people: its display name when it is one of the read-only roles, else its id. */
export function formatDirectoryRole(templateId: string): string {
  return READ_ONLY_DIRECTORY_ROLE_NAMES.get(templateId.toLowerCase()) ?? `role ${templateId}`;
}
