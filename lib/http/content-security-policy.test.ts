import { describe, expect, it } from 'vitest';
import { buildContentSecurityPolicy, createNonce } from '@/lib/http/content-security-policy';

describe('the pages’ Content-Security-Policy', () => {
  it('allows scripts only by this response’s nonce, calls only to the portal and the authority, and no framing', () => {
    const policy = buildContentSecurityPolicy('abc123', { authorityHost: 'https://login.microsoftonline.com/' });
    expect(policy).toContain("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(policy).not.toContain('unsafe-eval');
    expect(policy).toContain("connect-src 'self' https://login.microsoftonline.com");
    expect(policy).toContain("frame-src 'self' https://login.microsoftonline.com");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("object-src 'none'");
    expect(policy).toContain("base-uri 'self'");
  });

  it('names no authority it cannot parse, and allows eval only in development', () => {
    const policy = buildContentSecurityPolicy('n', { authorityHost: 'javascript:alert(1)', development: true });
    expect(policy).toContain("connect-src 'self';");
    expect(policy).not.toContain('javascript');
    expect(policy).toContain("'unsafe-eval'");
  });

  it('makes a different 128-bit nonce each time', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => createNonce()));
    expect(nonces.size).toBe(50);
    for (const nonce of nonces) expect(Buffer.from(nonce, 'base64')).toHaveLength(16);
  });
});
