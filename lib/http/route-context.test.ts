import { describe, expect, it } from 'vitest';
import { getRequestContext } from '@/lib/http/route';
import { logger } from '@/lib/log';

const build = (headers: Record<string, string>) => getRequestContext(new Request('http://localhost/api/x', { headers }), 'req-1', logger);

describe('getRequestContext (the audit context of an API call)', () => {
  it('takes the first X-Forwarded-For hop and the user agent', () => {
    expect(build({ 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'user-agent': 'Mozilla/5.0' })).toMatchObject({
      requestId: 'req-1',
      ip: '203.0.113.7',
      userAgent: 'Mozilla/5.0',
    });
    expect(build({ 'x-forwarded-for': '2001:db8::1' }).ip).toBe('2001:db8::1');
    expect(build({ 'x-forwarded-for': 'fe80::1%eth0' }).ip).toBe('fe80::1%eth0');
  });

  it('records no address rather than whatever a header claims, and caps the user agent', () => {
    expect(build({}).ip).toBeNull();
    expect(build({ 'x-forwarded-for': 'evil.example, 1.2.3.4' }).ip).toBeNull();
    expect(build({ 'x-forwarded-for': '1'.repeat(60) }).ip).toBeNull();
    expect(build({ 'x-forwarded-for': '<script>' }).ip).toBeNull();
    expect(build({}).userAgent).toBeNull();
    expect(build({ 'user-agent': 'x'.repeat(2000) }).userAgent).toHaveLength(512);
  });
});
