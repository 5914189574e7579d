/**
 * The action a step-up interrupted, kept in the tab's sessionStorage across the sign-in redirect
 * so the portal can pick it up where the user left it and retry it once.
 *
 * What is kept is only what the user asked for (which request, the comment typed, the policy
 * draft) and the claims request to satisfy — never a pass, a token or anything the API answered.
 * Writing goes through an allow-list of fields, and reading re-checks every field, so nothing else
 * can ride along in either direction.
 */

export const PENDING_STEP_UP_KEY = 'tapbroker.pendingStepUp';

/** How long an interrupted action stays resumable: a sign-in left half-done is not picked up hours later. */
export const PENDING_STEP_UP_MAX_AGE_MS = 15 * 60_000;

/** Longest comment or reason the approvals form accepts (it caps the textarea at this). */
const MAX_TEXT_CHARS = 1000;

export type PendingStepUpAction =
  | { kind: 'issue'; requestId: string; targetName: string }
  | { kind: 'approve' | 'deny'; requestId: string; text: string }
  | { kind: 'policy'; policy: Record<string, unknown> };

export type PendingStepUpKind = PendingStepUpAction['kind'];

/** An interrupted action with the claims request its retry needs a token for. */
export type PendingStepUp = PendingStepUpAction & { claims: string };

type StepUpStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** The fields of `action` worth keeping, and only those. */
function pick(action: PendingStepUpAction): PendingStepUpAction {
  switch (action.kind) {
    case 'issue':
      return { kind: 'issue', requestId: action.requestId, targetName: action.targetName };
    case 'approve':
    case 'deny':
      return { kind: action.kind, requestId: action.requestId, text: action.text };
    case 'policy':
      return { kind: 'policy', policy: action.policy };
  }
}

/**
 * Keeps `action` for after the redirect, replacing any earlier one (one interaction at a time).
 * @returns false when the browser refuses to store it (storage disabled or full): the redirect
 *   still goes ahead, and the user repeats the action on their return.
 */
export function savePendingStepUp(storage: StepUpStorage, action: PendingStepUpAction, claims: string, now: number): boolean {
  try {
    storage.setItem(PENDING_STEP_UP_KEY, JSON.stringify({ ...pick(action), claims, savedAt: now }));
    return true;
  } catch {
    return false;
  }
}

export function clearPendingStepUp(storage: StepUpStorage): void {
  try {
    storage.removeItem(PENDING_STEP_UP_KEY);
  } catch {
    // Nothing stored, or storage unavailable: nothing to clear either way.
  }
}

function text(record: Record<string, unknown>, key: string, max: number): string | null {
  const value = record[key];
  return typeof value === 'string' && value.length <= max ? value : null;
}

function parse(raw: string, now: number): PendingStepUp | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const savedAt = record.savedAt;
  if (typeof savedAt !== 'number' || savedAt > now || now - savedAt > PENDING_STEP_UP_MAX_AGE_MS) return null;
  const claims = text(record, 'claims', 4000);
  if (claims === null || claims === '') return null;
  const requestId = text(record, 'requestId', 200);
  switch (record.kind) {
    case 'issue': {
      const targetName = text(record, 'targetName', 500);
      return requestId && targetName !== null ? { kind: 'issue', requestId, targetName, claims } : null;
    }
    case 'approve':
    case 'deny': {
      const typed = text(record, 'text', MAX_TEXT_CHARS);
      return requestId && typed !== null ? { kind: record.kind, requestId, text: typed, claims } : null;
    }
    case 'policy': {
      const policy = record.policy;
      if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return null;
      return { kind: 'policy', policy: policy as Record<string, unknown>, claims };
    }
    default:
      return null;
  }
}

/**
 * The interrupted action if it is one of `kinds`, removed from storage so it is retried once at
 * most. An action of another kind stays for the screen that handles it; one that is malformed or
 * older than {@link PENDING_STEP_UP_MAX_AGE_MS} is dropped.
 */
export function takePendingStepUp<K extends PendingStepUpKind>(
  storage: StepUpStorage,
  kinds: readonly K[],
  now: number,
): Extract<PendingStepUp, { kind: K }> | null {
  let raw: string | null;
  try {
    raw = storage.getItem(PENDING_STEP_UP_KEY);
  } catch {
    return null;
  }
  if (raw === null) return null;
  const pending = parse(raw, now);
  if (pending === null) {
    clearPendingStepUp(storage);
    return null;
  }
  if (!(kinds as readonly PendingStepUpKind[]).includes(pending.kind)) return null;
  clearPendingStepUp(storage);
  return pending as Extract<PendingStepUp, { kind: K }>;
}

const NOT_COMPLETED: Record<PendingStepUpKind, string> = {
  issue: 'The second factor was not completed; no pass was issued.',
  approve: 'The second factor was not completed; nothing was approved.',
  deny: 'The second factor was not completed; nothing was denied.',
  policy: 'The second factor was not completed; the policy was not changed.',
};

/**
 * The retry after a step-up could not go ahead: the sign-in service did not prove the context
 * (wrong codes, cancelled, no authenticator), or the API still asked for it. Nothing was done.
 */
export class StepUpNotCompletedError extends Error {
  readonly kind: PendingStepUpKind;
  readonly hint = 'Try again, and enter the code from your authenticator app when you are asked for it.';

  constructor(kind: PendingStepUpKind, options?: { cause?: unknown }) {
    super(NOT_COMPLETED[kind], options);
    this.name = 'StepUpNotCompletedError';
    this.kind = kind;
  }
}

/** What a screen says before the click when the policy asks for a second factor for its action. */
export const STEP_UP_NOTES = {
  issue: 'You’ll be asked for a code from your authenticator app before the pass is shown.',
  decide: 'You’ll be asked for a code from your authenticator app before your decision is saved.',
  policy: 'You’ll be asked for a code from your authenticator app before the change is saved.',
} as const;
