import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '@/lib/graph/client';
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
