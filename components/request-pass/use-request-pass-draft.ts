// The request form's draft: what the user typed, the policy's defaults until they type, and the
// check that turns it into the request's lifetime and start.
'use client';

import { useState } from 'react';
import { formatLifetime, toDateTimeLocalValue } from '@/lib/client/format';
import type { Reportee, RequestLimits } from '@/lib/client/portal-types';
import {
  checkJustification,
  getDefaultStart,
  GRAPH_MIN_LIFETIME_MINUTES,
  MAX_START_AHEAD_DAYS,
  toLifetimeInput,
  toLifetimeMinutes,
  type LifetimeInput,
} from '@/lib/client/request-form';
import { useNow } from '@/lib/client/use-now';

export type RequestFieldErrors = Partial<Record<'justification' | 'lifetime' | 'start', string>>;

export interface CheckedRequest {
  errors: RequestFieldErrors;
  lifetimeInMinutes: number | null;
  startDateTime: string | null;
}

export type RequestPassDraft = ReturnType<typeof useRequestPassDraft>;

/** `known`: the limits that apply, or null while they load or when they could not be read. */
export function useRequestPassDraft(reportee: Reportee, known: RequestLimits | null) {
  const [defaultStart] = useState(() => getDefaultStart(reportee.employeeHireDate));
  const [justification, setJustification] = useState('');
  // null = the policy's default, which may arrive after the form opens.
  const [lifetime, setLifetime] = useState<LifetimeInput | null>(null);
  const [oneTime, setOneTime] = useState(true);
  const [startMode, setStartMode] = useState<'now' | 'later'>(defaultStart === null ? 'now' : 'later');
  const [startValue, setStartValue] = useState(defaultStart === null ? '' : toDateTimeLocalValue(defaultStart));
  const now = useNow();

  const shownLifetime = lifetime ?? (known === null ? { amount: '', unit: 'hours' as const } : toLifetimeInput(known.defaultLifetimeInMinutes));
  const minLifetime = known?.minLifetimeInMinutes ?? GRAPH_MIN_LIFETIME_MINUTES;
  const oneTimeForced = known?.isUsableOnceForced === true;
  const farStart =
    startMode === 'later' && startValue !== '' && new Date(startValue).getTime() > now + MAX_START_AHEAD_DAYS * 86_400_000;

  const validate = (): CheckedRequest => {
    const next: RequestFieldErrors = {};
    const justificationError = checkJustification(justification);
    if (justificationError !== null) next.justification = justificationError;

    let lifetimeInMinutes: number | null = null;
    if (shownLifetime.amount.trim() !== '') {
      lifetimeInMinutes = toLifetimeMinutes(shownLifetime);
      if (lifetimeInMinutes === null) next.lifetime = 'Enter a whole number of minutes or hours.';
      else if (known !== null && (lifetimeInMinutes < minLifetime || lifetimeInMinutes > known.maxLifetimeInMinutes)) {
        next.lifetime = `Choose between ${formatLifetime(minLifetime)} and ${formatLifetime(known.maxLifetimeInMinutes)}.`;
      }
    } else if (known !== null) {
      next.lifetime = 'Enter how long the pass should work.';
    }

    let startDateTime: string | null = null;
    if (startMode === 'later') {
      const start = new Date(startValue);
      if (startValue === '' || Number.isNaN(start.getTime())) next.start = 'Pick a date and time, or start when issued.';
      else if (start.getTime() < Date.now() - 5 * 60_000) next.start = 'The start is in the past.';
      else startDateTime = start.toISOString();
    }
    return { errors: next, lifetimeInMinutes, startDateTime };
  };

  return {
    defaultStart,
    justification,
    setJustification,
    shownLifetime,
    setLifetime,
    minLifetime,
    oneTime: oneTimeForced || oneTime,
    oneTimeForced,
    setOneTime,
    startMode,
    setStartMode,
    startValue,
    setStartValue,
    farStart,
    validate,
  };
}
