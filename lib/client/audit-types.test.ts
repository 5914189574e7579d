import { describe, expect, it } from 'vitest';
import { auditCatalogue } from '@/lib/audit/catalogue';
import { AUDIT_EVENT_TYPE_OPTIONS, formatAuditType, parseAuditPage, parseDashboardStats } from '@/lib/client/audit-types';

describe('the audit type filter', () => {
  it('offers exactly the event types the broker writes, each once', () => {
    const offered = AUDIT_EVENT_TYPE_OPTIONS.map((option) => option.value);
    expect(new Set(offered).size).toBe(offered.length);
    expect([...offered].sort()).toEqual(Object.keys(auditCatalogue).sort());
  });

  it('labels a known type and shows an unknown one raw', () => {
    expect(formatAuditType('policy.update_refused')).toBe('Policy change refused');
    expect(formatAuditType('something.else')).toBe('something.else');
  });
});

describe('the audit answers', () => {
  const event = {
    seq: 1,
    id: '0b6f3a52-6f0e-4d7e-9d3c-2f1b6f1f1a11',
    at: '2026-01-01T00:00:00.000Z',
    type: 'tap.issued',
    actorId: 'system',
    data: {},
    prevHash: '0'.repeat(64),
    hash: 'a'.repeat(64),
  };

  it('reads a page as the contract describes it', () => {
    const page = parseAuditPage({ events: [event], nextCursor: null });
    expect(page.events.map((e) => [e.seq, e.targetId])).toEqual([[1, undefined]]);
  });

  it('refuses a malformed page with a message that names the field', () => {
    expect(() => parseAuditPage({ events: [{ ...event, hash: undefined }], nextCursor: null })).toThrow(
      /Unexpected audit page from the portal API: "events\.0\.hash"/,
    );
    expect(() => parseDashboardStats({})).toThrow(/Unexpected dashboard from the portal API/);
  });
});
