import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_ROLE_TEMPLATE_IDS, READ_ONLY_DIRECTORY_ROLES } from '@/lib/broker/policy';
import { formatDirectoryRole, READ_ONLY_DIRECTORY_ROLE_NAMES } from '@/lib/client/directory-roles';

describe('the browser copy of the read-only directory roles', () => {
  it('is exactly the server table, ids and names', () => {
    expect([...READ_ONLY_DIRECTORY_ROLE_NAMES.entries()]).toEqual([...READ_ONLY_DIRECTORY_ROLES.entries()]);
  });

  it('names every role of the default allow-list', () => {
    for (const id of DEFAULT_ALLOWED_ROLE_TEMPLATE_IDS) expect(READ_ONLY_DIRECTORY_ROLE_NAMES.has(id)).toBe(true);
  });

  it('formats a known role by name (whatever the id case) and an unknown one by id', () => {
    expect(formatDirectoryRole('88D8E3E3-8F55-4A1E-953A-9B9898B8876B')).toBe('Directory Readers');
    expect(formatDirectoryRole('c4e39bd9-1100-46d3-8c65-fb160da0071f')).toBe('role c4e39bd9-1100-46d3-8c65-fb160da0071f');
  });
});
