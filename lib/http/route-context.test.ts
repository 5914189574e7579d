import { describe, expect, it } from 'vitest';
import { getRequestContext } from '@/lib/http/route';
import { logger } from '@/lib/log';

const build = (headers: Record<string, string>, trustedProxyHops = 0) =>
  getRequestContext(new Request('http://localhost/api/x', { headers }), 'req-1', logger, trustedProxyHops);

describe('getRequestContext (the audit context of an API call)', () => {
  it('records no address from X-Forwarded-For without a trusted proxy', () => {
    expect(build({ 'x-forwarded-for': '203.0.113.7', 'user-agent': 'Mozilla/5.0' })).toMatchObject({
      requestId: 'req-1',
      ip: null,
      userAgent: 'Mozilla/5.0',
      clientRequestId: null,
    });
  });

  it('takes the proxy-appended entry with one trusted proxy', () => {
    expect(build({ 'x-forwarded-for': '1.2.3.4, 203.0.113.7' }, 1).ip).toBe('203.0.113.7');
    expect(build({ 'x-forwarded-for': '1.2.3.4, evil.example' }, 1).ip).toBeNull();
    expect(build({}, 1).ip).toBeNull();
  });

  it('keeps the server request id and the client id apart', () => {
    const context = build({ 'x-request-id': 'gw-42' });
    expect(context.requestId).toBe('req-1');
    expect(context.clientRequestId).toBe('gw-42');
    expect(build({ 'x-request-id': '<img>' }).clientRequestId).toBeNull();
  });

  it('caps the user agent', () => {
    expect(build({}).userAgent).toBeNull();
    expect(build({ 'user-agent': 'x'.repeat(2000) }).userAgent).toHaveLength(512);
  });
});
