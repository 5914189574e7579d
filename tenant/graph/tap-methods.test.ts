/** TAP usability and pass generation: states the HTTP tests cannot reach without real time passing. */
import { describe, expect, it } from 'vitest';
import type { TapMethod, TapPolicy } from '../types';
import { getTapUsability } from '../tap-usability';
import { generateTemporaryAccessPass } from './tap-methods';

const policy: TapPolicy = {
  state: 'enabled',
  defaultLifetimeInMinutes: 60,
  minimumLifetimeInMinutes: 60,
  maximumLifetimeInMinutes: 480,
  defaultLength: 8,
  isUsableOnce: false,
  includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }],
  excludeTargets: [],
};

const start = Date.parse('2030-01-01T10:00:00Z');
const method = (over: Partial<TapMethod> = {}): TapMethod => ({
  id: 'm',
  userId: 'u',
  createdDateTime: '2030-01-01T09:00:00Z',
  startDateTime: '2030-01-01T10:00:00Z',
  lifetimeInMinutes: 60,
  isUsableOnce: true,
  usedDateTime: null,
  passHash: { salt: '', hash: '' },
  ...over,
});

describe('getTapUsability', () => {
  it('computes each methodUsabilityReason', () => {
    expect(getTapUsability(method(), policy, start - 1)).toEqual({ isUsable: false, methodUsabilityReason: 'NotYetValid' });
    expect(getTapUsability(method(), policy, start)).toEqual({ isUsable: true, methodUsabilityReason: 'EnabledByPolicy' });
    expect(getTapUsability(method(), policy, start + 60 * 60_000 - 1).isUsable).toBe(true);
    expect(getTapUsability(method(), policy, start + 60 * 60_000)).toEqual({ isUsable: false, methodUsabilityReason: 'Expired' });
    expect(getTapUsability(method({ usedDateTime: '2030-01-01T10:05:00Z' }), policy, start + 10 * 60_000)).toEqual({ isUsable: false, methodUsabilityReason: 'OneTimeUsed' });
    // A multi-use pass stays usable after a sign-in.
    expect(getTapUsability(method({ isUsableOnce: false, usedDateTime: '2030-01-01T10:05:00Z' }), policy, start + 10 * 60_000).isUsable).toBe(true);
    expect(getTapUsability(method(), { ...policy, state: 'disabled' }, start + 1)).toEqual({ isUsable: false, methodUsabilityReason: 'DisabledByPolicy' });
  });
});

describe('generateTemporaryAccessPass', () => {
  it('has the requested length and varies', () => {
    const passes = Array.from({ length: 200 }, () => generateTemporaryAccessPass(8));
    for (const p of passes) expect(p).toMatch(/^[A-Za-z0-9+\-=!@#%*?]{8}$/);
    expect(new Set(passes).size).toBe(200);
    expect(generateTemporaryAccessPass(48)).toHaveLength(48);
  });
});
