import { describe, expect, it } from 'vitest';
import { createRequestId, getClientRequestId } from '@/lib/http/request-id';

describe('request ids', () => {
  it('creates a fresh UUID for every call', () => {
    const a = createRequestId();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(createRequestId()).not.toBe(a);
  });

  it('keeps a plain client id of up to 64 characters', () => {
    expect(getClientRequestId('gw-42.abc_DEF')).toBe('gw-42.abc_DEF');
    expect(getClientRequestId('a'.repeat(64))).toBe('a'.repeat(64));
  });

  it.each([null, '', 'a'.repeat(65), ' spaced', 'has space', 'new\nline', '<script>', '=1+1', '-leading', 'colon:id', 'ü'])('drops %j', (value) => {
    expect(getClientRequestId(value)).toBeNull();
  });
});
