import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  AuditEncodingError,
  canonicalJson,
  computeAuditEventHash,
  encodeAuditEvent,
  GENESIS_PREV_HASH,
  splitAuditEventEncoding,
  toAuditJson,
} from '@/lib/audit/canonical';

// Test vectors for re-implementations (the offline verifier, scripts/audit-verify.ts): if one of
// these changes, every stored chain breaks.
const VECTOR_EVENT = {
  seq: 1n,
  id: '6f1c1a9e-3b0e-4c5e-9d7a-0d6c2b1f4e21',
  at: new Date('2025-03-01T09:30:00.123Z'),
  type: 'tap_request.created',
  actorId: 'a1b2c3d4-0000-4000-8000-000000000001',
  targetId: 'a1b2c3d4-0000-4000-8000-000000000002',
  requestId: '11111111-2222-4333-8444-555555555555',
  data: {
    status: 'approved',
    justification: 'Lost phone — "new" device\n',
    lifetimeInMinutes: 60,
    isUsableOnce: true,
    startDateTime: null,
    chain: ['a1b2c3d4-0000-4000-8000-000000000001'],
    context: { requestId: 'r-1', ip: '10.0.0.1', userAgent: 'Mozilla/5.0' },
    ratio: 1.5,
    big: 1e21,
  },
};

const VECTOR_ENCODING =
  '{"actorId":"a1b2c3d4-0000-4000-8000-000000000001","at":"2025-03-01T09:30:00.123Z",' +
  '"data":{"big":1e+21,"chain":["a1b2c3d4-0000-4000-8000-000000000001"],' +
  '"context":{"ip":"10.0.0.1","requestId":"r-1","userAgent":"Mozilla/5.0"},' +
  '"isUsableOnce":true,"justification":"Lost phone — \\"new\\" device\\n","lifetimeInMinutes":60,' +
  '"ratio":1.5,"startDateTime":null,"status":"approved"},' +
  '"id":"6f1c1a9e-3b0e-4c5e-9d7a-0d6c2b1f4e21","requestId":"11111111-2222-4333-8444-555555555555",' +
  '"seq":1,"targetId":"a1b2c3d4-0000-4000-8000-000000000002","type":"tap_request.created"}';

describe('canonical encoding', () => {
  test('the test vector: sorted keys at every depth, no whitespace, JSON.stringify strings and numbers', () => {
    expect(encodeAuditEvent(VECTOR_EVENT)).toBe(VECTOR_ENCODING);
  });

  test('the hash is SHA-256 hex over prevHash followed by the encoding', () => {
    const expected = createHash('sha256').update(GENESIS_PREV_HASH + VECTOR_ENCODING, 'utf8').digest('hex');
    expect(computeAuditEventHash(GENESIS_PREV_HASH, VECTOR_EVENT)).toBe(expected);
    expect(expected).toBe('654fff1374cbe3986a8018a90768f78432d5b65aba02c14305f18b724fa094f8');
    expect(GENESIS_PREV_HASH).toBe('0'.repeat(64));
  });

  test('equal content in any key order, any seq type, any at spelling, hashes the same', () => {
    const shuffled = {
      ...VECTOR_EVENT,
      seq: 1,
      at: '2025-03-01T10:30:00.123+01:00',
      id: VECTOR_EVENT.id.toUpperCase(),
      data: Object.fromEntries(Object.entries(VECTOR_EVENT.data).reverse()),
    };
    expect(computeAuditEventHash(GENESIS_PREV_HASH, shuffled)).toBe(computeAuditEventHash(GENESIS_PREV_HASH, VECTOR_EVENT));
  });

  test('any change to any hashed field, or to prevHash, changes the hash', () => {
    const base = computeAuditEventHash(GENESIS_PREV_HASH, VECTOR_EVENT);
    const variants = [
      { ...VECTOR_EVENT, seq: 2n },
      { ...VECTOR_EVENT, id: '6f1c1a9e-3b0e-4c5e-9d7a-0d6c2b1f4e22' },
      { ...VECTOR_EVENT, at: new Date('2025-03-01T09:30:00.124Z') },
      { ...VECTOR_EVENT, type: 'tap_request.approved' },
      { ...VECTOR_EVENT, actorId: 'someone-else' },
      { ...VECTOR_EVENT, targetId: null },
      { ...VECTOR_EVENT, requestId: null },
      { ...VECTOR_EVENT, data: { ...VECTOR_EVENT.data, lifetimeInMinutes: 61 } },
      { ...VECTOR_EVENT, data: { ...VECTOR_EVENT.data, chain: [] } },
    ];
    for (const variant of variants) expect(computeAuditEventHash(GENESIS_PREV_HASH, variant)).not.toBe(base);
    expect(computeAuditEventHash('1'.repeat(64), VECTOR_EVENT)).not.toBe(base);
  });

  test('escapes and non-ASCII as ECMAScript JSON.stringify writes them', () => {
    expect(canonicalJson({ b: '\u0001\t', a: 'é😀', c: [1, -0, 0.1, 1e-7] })).toBe(
      '{"a":"é😀","b":"\\u0001\\t","c":[1,0,0.1,1e-7]}',
    );
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
  });

  test('the pieces around `at` and `seq` (what the database completes) join to the encoding', () => {
    const events = [
      VECTOR_EVENT,
      { ...VECTOR_EVENT, seq: 9_007_199_254_740_991n, id: VECTOR_EVENT.id.toUpperCase(), requestId: null, targetId: null },
      { ...VECTOR_EVENT, seq: 12, actorId: 'ü "x" \\ \n', type: 'tap.issued', data: { z: { '': [null, 'é😀\u2028'] }, a: -1.5e-7 } },
    ];
    for (const event of events) {
      const { beforeAt, beforeSeq, afterSeq } = splitAuditEventEncoding({ ...event, dataCanonical: canonicalJson(event.data) });
      const at = event.at.toISOString();
      expect(beforeAt + at + beforeSeq + String(event.seq) + afterSeq).toBe(encodeAuditEvent(event));
    }
    const vector = splitAuditEventEncoding({ ...VECTOR_EVENT, dataCanonical: canonicalJson(VECTOR_EVENT.data) });
    expect(vector.beforeAt + '2025-03-01T09:30:00.123Z' + vector.beforeSeq + '1' + vector.afterSeq).toBe(VECTOR_ENCODING);
  });

  test('refuses values that are not JSON', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(AuditEncodingError);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(AuditEncodingError);
    expect(() => canonicalJson(1n)).toThrow(AuditEncodingError);
    expect(() => canonicalJson(undefined)).toThrow(AuditEncodingError);
    expect(() => canonicalJson(new Map())).toThrow(AuditEncodingError);
    expect(() => encodeAuditEvent({ ...VECTOR_EVENT, seq: 0n })).toThrow(AuditEncodingError);
    expect(() => encodeAuditEvent({ ...VECTOR_EVENT, at: 'not a date' })).toThrow(AuditEncodingError);
  });
});

describe('toAuditJson: what is stored is what is hashed', () => {
  test('Dates become ISO strings, undefined members are dropped, -0 becomes 0', () => {
    expect(toAuditJson({ a: new Date('2025-01-01T00:00:00Z'), b: undefined, c: -0, d: [null, 'x'] })).toEqual({
      a: '2025-01-01T00:00:00.000Z',
      c: 0,
      d: [null, 'x'],
    });
  });

  test('refuses what PostgreSQL jsonb would reject or alter, naming the path', () => {
    expect(() => toAuditJson({ a: 'x\u0000y' })).toThrow(/data\.a: contains a NUL/);
    expect(() => toAuditJson({ a: ['\uD800'] })).toThrow(/data\.a\.0: contains a lone surrogate/);
    expect(() => toAuditJson({ a: [undefined] })).toThrow(/undefined in an array/);
    expect(() => toAuditJson({ a: Number.NaN })).toThrow(/non-finite/);
    expect(() => toAuditJson({ a: 1n })).toThrow(/bigint/);
    expect(() => toAuditJson({ a: new URL('https://example.test') })).toThrow(/not a plain object/);
    expect(() => toAuditJson({ 'k\u0000': 1 })).toThrow(/NUL/);
    expect(toAuditJson({ a: '😀' })).toEqual({ a: '😀' });
  });
});
