// The ids that tie the request form's controls to their hints and errors.
'use client';

import { useId } from 'react';

export type RequestPassIds = ReturnType<typeof useRequestPassIds>;

export function useRequestPassIds() {
  return {
    justification: useId(),
    justificationHint: useId(),
    lifetime: useId(),
    lifetimeUnit: useId(),
    lifetimeHint: useId(),
    oneTime: useId(),
    oneTimeHint: useId(),
    start: useId(),
    startHint: useId(),
  };
}

/** An `aria-describedby` from the parts that apply, or none at all. */
export function describedBy(...parts: (string | false)[]): string | undefined {
  return parts.filter(Boolean).join(' ') || undefined;
}
