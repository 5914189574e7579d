import { describe, expect, it } from 'vitest';
import { countReadsInFlight, joinInFlight } from '@/lib/graph/single-flight';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('joinInFlight', () => {
  it('joins calls with the same key while one runs, and keeps nothing afterwards', async () => {
    let reads = 0;
    const gate = deferred<string>();
    const read = () => {
      reads++;
      return gate.promise;
    };
    const first = joinInFlight('k', read);
    const second = joinInFlight('k', read);
    const other = joinInFlight('other', async () => 'other');
    expect(reads).toBe(1);
    gate.resolve('answer');
    expect(await Promise.all([first, second, other])).toEqual(['answer', 'answer', 'other']);
    expect(countReadsInFlight()).toBe(0);
    expect(await joinInFlight('k', async () => 'fresh')).toBe('fresh');
  });

  it('gives every joined caller the same error, and the next call tries again', async () => {
    const gate = deferred<string>();
    const first = joinInFlight('failing', () => gate.promise);
    const second = joinInFlight('failing', () => Promise.resolve('never used'));
    gate.reject(new Error('Graph is down'));
    await expect(first).rejects.toThrow('Graph is down');
    await expect(second).rejects.toThrow('Graph is down');
    expect(await joinInFlight('failing', async () => 'recovered')).toBe('recovered');
  });
});
