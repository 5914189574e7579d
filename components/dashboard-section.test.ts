/** The dashboard states a percentile only over enough passes, and says plainly how few otherwise. */
import { describe, expect, it } from 'vitest';
import { MIN_SAMPLES_FOR_PERCENTILE, percentileNote } from '@/components/dashboard-section';

describe('percentileNote', () => {
  it('speaks of "95 in 100" only from 20 passes on', () => {
    expect(MIN_SAMPLES_FOR_PERCENTILE).toBe(20);
    expect(percentileNote(20)).toBe('95 in 100 passes were issued within this time');
    expect(percentileNote(19)).toBe('19 passes so far: too few for a percentile to mean much');
    expect(percentileNote(3)).not.toContain('95 in 100');
    expect(percentileNote(1)).toBe('1 pass so far: too few for a percentile to mean much');
    expect(percentileNote(0)).toBe('No passes issued yet');
  });
});
