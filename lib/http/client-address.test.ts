import { describe, expect, it } from 'vitest';
import { getClientAddress } from '@/lib/http/client-address';

describe('getClientAddress (which X-Forwarded-For entry is believed)', () => {
  it('believes nothing without a trusted proxy, whatever the header says', () => {
    // What `next start` hands the route: a client's header as sent, or the socket's address when it sent none.
    expect(getClientAddress('203.0.113.7', 0)).toBeNull();
    expect(getClientAddress('203.0.113.7, 10.0.0.1', 0)).toBeNull();
    expect(getClientAddress(null, 0)).toBeNull();
  });

  it('takes the entry the outermost trusted proxy appended, not what the client prepended', () => {
    // One proxy: the client claimed 1.2.3.4, the proxy appended the address it saw.
    expect(getClientAddress('1.2.3.4, 198.51.100.9', 1)).toBe('198.51.100.9');
    expect(getClientAddress('198.51.100.9', 1)).toBe('198.51.100.9');
    expect(getClientAddress('2001:db8::1', 1)).toBe('2001:db8::1');
    expect(getClientAddress('fe80::1%eth0', 1)).toBe('fe80::1%eth0');
    // Two proxies: the inner one appended the outer one's address (10.0.0.1).
    expect(getClientAddress('1.2.3.4, 198.51.100.9, 10.0.0.1', 2)).toBe('198.51.100.9');
  });

  it('records no address for a chain shorter than the proxies or a malformed entry', () => {
    expect(getClientAddress(null, 1)).toBeNull();
    expect(getClientAddress('198.51.100.9', 2)).toBeNull();
    expect(getClientAddress('1.2.3.4, evil.example', 1)).toBeNull();
    expect(getClientAddress('1.2.3.4, <script>', 1)).toBeNull();
    expect(getClientAddress('1.2.3.4,', 1)).toBeNull();
    expect(getClientAddress(`1.2.3.4, ${'1'.repeat(60)}`, 1)).toBeNull();
    expect(getClientAddress('198.51.100.9:4711', 1)).toBeNull();
  });

  it('cannot be pushed off the proxy entry by a long client prefix', () => {
    const prefix = Array.from({ length: 500 }, (_, i) => `10.0.${i % 256}.1`).join(', ');
    expect(getClientAddress(`${prefix}, 198.51.100.9`, 1)).toBe('198.51.100.9');
  });
});
