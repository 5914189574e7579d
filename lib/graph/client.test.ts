import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '@/lib/graph/client';
import { DEFAULT_THROTTLE_HOLD_SECONDS, getRequestCost, getThrottleHoldSeconds } from '@/lib/graph/graph-budget';
import { toRelativeGraphUrl } from '@/lib/graph/paged-reads';

describe('parseRetryAfter', () => {
  it.each([
    ['10', 10],
    ['2.128', 2.128],
    ['0', 0],
    ['-5', 0],
  ])('reads delta-seconds %s', (value, seconds) => {
    expect(parseRetryAfter(value)).toBe(seconds);
  });

  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('2025-02-13T10:17:06Z');
    expect(parseRetryAfter('Thu, 13 Feb 2025 10:17:36 GMT', now)).toBe(30);
    expect(parseRetryAfter('Thu, 13 Feb 2025 10:16:36 GMT', now)).toBe(0);
  });

  it.each([null, undefined, '', '  ', 'soon'])('has no opinion on %j', (value) => {
    expect(parseRetryAfter(value)).toBeUndefined();
  });
});

describe('toRelativeGraphUrl', () => {
  const base = 'https://localhost:8443/graph/v1.0';

  it('strips the Graph base and version from an absolute nextLink', () => {
    expect(toRelativeGraphUrl(`${base}/users/abc/directReports?$top=999&$skiptoken=X1`, base)).toBe('/users/abc/directReports?$top=999&$skiptoken=X1');
    expect(toRelativeGraphUrl('https://graph.microsoft.com/v1.0/users/x/directReports?$skiptoken=a', 'https://graph.microsoft.com/v1.0/')).toBe(
      '/users/x/directReports?$skiptoken=a',
    );
    expect(toRelativeGraphUrl('HTTPS://LOCALHOST:8443/graph/v1.0/users?$skiptoken=a', base)).toBe('/users?$skiptoken=a');
  });

  it.each([
    'https://evil.example/graph/v1.0/users?$skiptoken=a',
    'https://localhost:8443/graph/beta/users?$skiptoken=a',
    'https://localhost:8443/graph/v1.0',
    'https://localhost:8443/graph/v1.0evil/users',
    '/users?$skiptoken=a',
  ])('refuses to follow %s', (link) => {
    expect(() => toRelativeGraphUrl(link, base)).toThrow(/nextLink/);
  });
});

describe('the Graph budget: cost and hold', () => {
  const batch = (body: unknown) => ({ request: 'https://localhost:8443/graph/v1.0/$batch', options: { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) } });

  it('costs 1 a request, and a $batch each of its requests (20, the most, when its body cannot be read)', () => {
    expect(getRequestCost({ request: 'https://localhost:8443/graph/v1.0/users/x', options: { method: 'GET' } })).toBe(1);
    expect(getRequestCost({ request: 'https://localhost:8443/graph/v1.0/users', options: { method: 'POST', body: '{"requests":[1,2,3]}' } })).toBe(1);
    expect(getRequestCost(batch({ requests: [{}, {}, {}, {}, {}, {}, {}] }))).toBe(7);
    expect(getRequestCost(batch({ requests: [] }))).toBe(1);
    expect(getRequestCost(batch('not json'))).toBe(20);
    expect(getRequestCost(batch({ items: [] }))).toBe(20);
  });

  it('holds everyone for a 429 (Retry-After, else the default) and a 503 that says when; nothing else', () => {
    const answer = (status: number, retryAfter?: string) => new Response(null, { status, headers: retryAfter === undefined ? {} : { 'Retry-After': retryAfter } });
    expect(getThrottleHoldSeconds(answer(429, '7'))).toBe(7);
    expect(getThrottleHoldSeconds(answer(429))).toBe(DEFAULT_THROTTLE_HOLD_SECONDS);
    expect(getThrottleHoldSeconds(answer(503, '4'))).toBe(4);
    expect(getThrottleHoldSeconds(answer(503))).toBeUndefined();
    expect(getThrottleHoldSeconds(answer(504, '4'))).toBeUndefined();
    expect(getThrottleHoldSeconds(answer(200, '4'))).toBeUndefined();
  });
});
