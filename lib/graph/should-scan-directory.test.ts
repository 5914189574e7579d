import { describe, expect, it } from 'vitest';
import { parseCountBody, shouldScanDirectory } from '@/lib/graph/should-scan-directory';

describe('shouldScanDirectory', () => {
  it('never scans without a directory size or with nobody left to list', () => {
    expect(shouldScanDirectory(10_000, null)).toBe(false);
    expect(shouldScanDirectory(0, 50)).toBe(false);
  });

  it('scans a directory of one page (100 people: Graph’s page cap with $expand) as soon as anyone is left to list', () => {
    expect(shouldScanDirectory(1, 100)).toBe(true);
    expect(shouldScanDirectory(1, 101)).toBe(false);
  });

  it('keeps a level on the walk until it alone costs as much as a scan', () => {
    // 100,000 people: 1,000 scan pages of 100; a level costs ⌈L / 80⌉ rounds.
    expect(shouldScanDirectory(79_920, 100_000)).toBe(false); // 999 rounds
    expect(shouldScanDirectory(79_921, 100_000)).toBe(true); // 1,000 rounds
    // 3,000 people: 30 pages.
    expect(shouldScanDirectory(2320, 3000)).toBe(false); // 29 rounds
    expect(shouldScanDirectory(2321, 3000)).toBe(true); // 30 rounds
    expect(shouldScanDirectory(8, 100_000)).toBe(false);
  });
});

describe('parseCountBody', () => {
  const ok = (body: unknown) => ({ status: 200, headers: {}, body });

  it('reads text, base64 text (a non-JSON body inside $batch) and numbers', () => {
    expect(parseCountBody(ok('42'))).toBe(42);
    expect(parseCountBody(ok(Buffer.from('1234').toString('base64')))).toBe(1234);
    expect(parseCountBody(ok(7))).toBe(7);
  });

  it('yields null for failures and anything unexpected', () => {
    expect(parseCountBody(undefined)).toBeNull();
    expect(parseCountBody({ status: 400, headers: {}, body: '12' })).toBeNull();
    expect(parseCountBody(ok({ value: 3 }))).toBeNull();
    expect(parseCountBody(ok('-3'))).toBeNull();
    expect(parseCountBody(ok(1.5))).toBeNull();
  });
});
