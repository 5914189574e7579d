import { describe, expect, it } from 'vitest';
import {
  PENDING_STEP_UP_KEY,
  PENDING_STEP_UP_MAX_AGE_MS,
  savePendingStepUp,
  StepUpNotCompletedError,
  takePendingStepUp,
  type PendingStepUpAction,
} from '@/lib/client/pending-step-up';

const CLAIMS = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
const NOW = Date.parse('2026-12-01T10:00:00Z');

/** sessionStorage's interface over a Map, so the test can read exactly what was written. */
function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

describe('the pending step-up action', () => {
  it('brings an issue back once, with its claims, then nothing', () => {
    const storage = memoryStorage();
    expect(savePendingStepUp(storage, { kind: 'issue', requestId: 'r-1', targetName: 'Hana Sato' }, CLAIMS, NOW)).toBe(true);
    expect(takePendingStepUp(storage, ['issue'], NOW + 60_000)).toEqual({ kind: 'issue', requestId: 'r-1', targetName: 'Hana Sato', claims: CLAIMS });
    expect(takePendingStepUp(storage, ['issue'], NOW + 60_000)).toBeNull();
    expect(storage.items.size).toBe(0);
  });

  it('keeps the comment typed for a decision', () => {
    const storage = memoryStorage();
    savePendingStepUp(storage, { kind: 'deny', requestId: 'r-2', text: 'No ticket for this.' }, CLAIMS, NOW);
    expect(takePendingStepUp(storage, ['approve', 'deny'], NOW)).toEqual({ kind: 'deny', requestId: 'r-2', text: 'No ticket for this.', claims: CLAIMS });
  });

  it('leaves an action of another kind for the screen that handles it', () => {
    const storage = memoryStorage();
    savePendingStepUp(storage, { kind: 'approve', requestId: 'r-3', text: '' }, CLAIMS, NOW);
    expect(takePendingStepUp(storage, ['issue'], NOW)).toBeNull();
    expect(storage.items.has(PENDING_STEP_UP_KEY)).toBe(true);
    expect(takePendingStepUp(storage, ['approve', 'deny'], NOW)?.requestId).toBe('r-3');
  });

  it('stores only the fields of the action: never a pass or a token that rides along', () => {
    const storage = memoryStorage();
    const action = {
      kind: 'issue',
      requestId: 'r-4',
      targetName: 'Lee Gu',
      temporaryAccessPass: 'Pass-Never-Stored',
      accessToken: 'eyJ.never.stored',
    } as PendingStepUpAction;
    savePendingStepUp(storage, action, CLAIMS, NOW);
    const raw = storage.items.get(PENDING_STEP_UP_KEY) ?? '';
    expect(Object.keys(JSON.parse(raw) as object).sort()).toEqual(['claims', 'kind', 'requestId', 'savedAt', 'targetName']);
    expect(raw).not.toContain('never');
  });

  it('reads back only what it wrote: extra fields are dropped, a malformed entry is removed', () => {
    const storage = memoryStorage();
    storage.setItem(PENDING_STEP_UP_KEY, JSON.stringify({ kind: 'issue', requestId: 'r-5', targetName: 'X', claims: CLAIMS, savedAt: NOW, pass: 'p' }));
    expect(takePendingStepUp(storage, ['issue'], NOW)).toEqual({ kind: 'issue', requestId: 'r-5', targetName: 'X', claims: CLAIMS });
    for (const bad of ['{', '[]', JSON.stringify({ kind: 'issue', requestId: 'r', targetName: 'X', savedAt: NOW }), JSON.stringify({ kind: 'revoke', requestId: 'r', claims: CLAIMS, savedAt: NOW })]) {
      storage.setItem(PENDING_STEP_UP_KEY, bad);
      expect(takePendingStepUp(storage, ['issue'], NOW), bad).toBeNull();
      expect(storage.items.has(PENDING_STEP_UP_KEY), bad).toBe(false);
    }
  });

  it('drops an action older than the limit, or from the future', () => {
    const storage = memoryStorage();
    savePendingStepUp(storage, { kind: 'issue', requestId: 'r-6', targetName: 'X' }, CLAIMS, NOW);
    expect(takePendingStepUp(storage, ['approve'], NOW + PENDING_STEP_UP_MAX_AGE_MS + 1)).toBeNull();
    expect(storage.items.size).toBe(0);
    savePendingStepUp(storage, { kind: 'issue', requestId: 'r-6', targetName: 'X' }, CLAIMS, NOW + 1000);
    expect(takePendingStepUp(storage, ['issue'], NOW)).toBeNull();
  });

  it('reports a storage that refuses the write instead of throwing', () => {
    const full = { ...memoryStorage(), setItem: () => { throw new DOMException('full', 'QuotaExceededError'); } };
    expect(savePendingStepUp(full, { kind: 'issue', requestId: 'r', targetName: 'X' }, CLAIMS, NOW)).toBe(false);
  });

  it('says plainly that nothing happened when the second factor was not completed', () => {
    expect(new StepUpNotCompletedError('issue').message).toBe('The second factor was not completed; no pass was issued.');
    expect(new StepUpNotCompletedError('approve').message).toBe('The second factor was not completed; nothing was approved.');
  });
});
