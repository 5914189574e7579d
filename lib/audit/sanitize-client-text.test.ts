import { describe, expect, it } from 'vitest';
import { assertNoSecrets } from '@/lib/audit/assert-no-secrets';
import { sanitizeClientText } from '@/lib/audit/sanitize-client-text';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('sanitizeClientText', () => {
  it('keeps ordinary text as it is', () => {
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';
    expect(sanitizeClientText(ua, 512)).toBe(ua);
  });

  it('replaces token-shaped substrings and keeps the rest', () => {
    expect(sanitizeClientText(`tool/1 Bearer ${'a'.repeat(20)} (x)`, 512)).toBe('tool/1 [redacted] (x)');
    expect(sanitizeClientText(`tool/1 ${JWT}`, 512)).toBe('tool/1 [redacted]');
    expect(sanitizeClientText('-----BEGIN RSA PRIVATE KEY-----MIIB', 512)).toBe('[redacted]MIIB');
  });

  it('removes control characters and lone surrogates, and answers null when nothing is left', () => {
    expect(sanitizeClientText('a\u0000b\r\nc\u007fd\u009be', 512)).toBe('abcde');
    expect(sanitizeClientText('x\uD800y\uDC00z 😀', 512)).toBe('xyz 😀');
    expect(sanitizeClientText('\u0000\t', 512)).toBeNull();
    expect(sanitizeClientText('', 512)).toBeNull();
  });

  it('caps the length without splitting a surrogate pair', () => {
    expect(sanitizeClientText('x'.repeat(2000), 512)).toHaveLength(512);
    expect(sanitizeClientText(`${'x'.repeat(511)}😀`, 512)).toBe('x'.repeat(511));
  });

  it.each([
    `curl ${JWT}`,
    `Bearer\t${'b'.repeat(30)}`,
    `eyJhbGciOiJSUzI1\u0000NiJ9.${'a'.repeat(10)}.${'b'.repeat(10)}`,
    `Bear\u0001er ${'c'.repeat(30)}`,
    `Bearer Bearer ${'d'.repeat(30)}`,
    `Bearer ${JWT}`,
    `-----BEGIN\u0002 PRIVATE KEY-----`,
  ])('leaves nothing the audit guard would refuse in %j', (value) => {
    const cleaned = sanitizeClientText(value, 512);
    expect(cleaned).toContain('[redacted]');
    expect(() => assertNoSecrets(cleaned)).not.toThrow();
  });
});
