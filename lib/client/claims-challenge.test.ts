import { describe, expect, it } from 'vitest';
import { getStepUpWwwAuthenticate } from '@/lib/http/claims-challenge';
import { decodeBase64Url, getClaimsForAuthContext, readAuthParams, readClaimsChallenge } from '@/lib/client/claims-challenge';

const CLAIMS = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
// base64url without padding, as the API sends it; computed independently of the code under test.
const ENCODED = Buffer.from(CLAIMS, 'utf8').toString('base64url');
const HEADER = `Bearer realm="", error="insufficient_claims", error_description="A claims challenge is required for this action", claims="${ENCODED}"`;

describe('reading the claims challenge', () => {
  it('decodes the API’s challenge to the exact claims request', () => {
    expect(ENCODED).not.toContain('=');
    expect(readClaimsChallenge(HEADER)).toBe(CLAIMS);
  });

  it('reads the header the server really sends', () => {
    expect(readClaimsChallenge(getStepUpWwwAuthenticate('c1'))).toBe(CLAIMS);
    expect(readClaimsChallenge(getStepUpWwwAuthenticate('c42'))).toBe(getClaimsForAuthContext('c42'));
  });

  it('reads every auth-param, quoted or not, escapes undone', () => {
    const params = readAuthParams('Bearer realm="", Error=insufficient_claims, error_description="say \\"hi\\", twice", claims="abc"');
    expect(params.get('realm')).toBe('');
    expect(params.get('error')).toBe('insufficient_claims');
    expect(params.get('error_description')).toBe('say "hi", twice');
    expect(params.get('claims')).toBe('abc');
  });

  it('decodes base64url with or without padding, and UTF-8', () => {
    const text = '{"note":"café ✓ ~~~???"}';
    expect(decodeBase64Url(Buffer.from(text).toString('base64url'))).toBe(text);
    expect(decodeBase64Url(`${Buffer.from('ab').toString('base64url')}==`)).toBe('ab');
    expect(decodeBase64Url('')).toBe('');
  });

  it('refuses what is not base64url of UTF-8', () => {
    expect(decodeBase64Url('abc+/')).toBeNull(); // plain base64 alphabet
    expect(decodeBase64Url('a')).toBeNull(); // impossible length
    expect(decodeBase64Url(Buffer.from([0xff, 0xfe, 0xfd]).toString('base64url'))).toBeNull();
  });

  it('is null for anything but an insufficient_claims Bearer challenge carrying a JSON object', () => {
    expect(readClaimsChallenge(null)).toBeNull();
    expect(readClaimsChallenge('Bearer error="invalid_token"')).toBeNull();
    expect(readClaimsChallenge(HEADER.replace('insufficient_claims', 'invalid_token'))).toBeNull();
    expect(readClaimsChallenge(HEADER.replace(/^Bearer/, 'Basic'))).toBeNull();
    expect(readClaimsChallenge('Bearer error="insufficient_claims"')).toBeNull();
    expect(readClaimsChallenge(`Bearer error="insufficient_claims", claims="${Buffer.from('[1]').toString('base64url')}"`)).toBeNull();
    expect(readClaimsChallenge(`Bearer error="insufficient_claims", claims="${Buffer.from('not json').toString('base64url')}"`)).toBeNull();
  });

  it('builds the same claims request from an authentication context id, and only from one', () => {
    expect(getClaimsForAuthContext('c1')).toBe(CLAIMS);
    expect(getClaimsForAuthContext('c99')).toBe('{"access_token":{"acrs":{"essential":true,"value":"c99"}}}');
    expect(getClaimsForAuthContext('c100')).toBeNull();
    expect(getClaimsForAuthContext('"},"x":{"')).toBeNull();
  });
});
