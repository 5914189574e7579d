import { describe, expect, it } from 'vitest';
import { AUDIT_EVENT_TYPES } from '@/lib/audit/catalogue';
import { AUDIT_EVENT_TYPE_OPTIONS, formatAuditType } from '@/lib/client/audit-types';

describe('the audit type filter', () => {
  it('offers exactly the event types the broker writes, each once', () => {
    const offered = AUDIT_EVENT_TYPE_OPTIONS.map((option) => option.value);
    expect(new Set(offered).size).toBe(offered.length);
    expect([...offered].sort()).toEqual([...AUDIT_EVENT_TYPES].sort());
  });

  it('labels a known type and shows an unknown one raw', () => {
    expect(formatAuditType('policy.update_refused')).toBe('Policy change refused');
    expect(formatAuditType('something.else')).toBe('something.else');
  });
});
