// The request form's lifetime: an amount and its unit, inside the limits the policy sets.
'use client';

import { FormField, inputClassName } from '@/components/form-field';
import { describedBy, type RequestPassIds } from '@/components/request-pass/request-pass-ids';
import type { RequestPassDraft } from '@/components/request-pass/use-request-pass-draft';
import { formatLifetime } from '@/lib/client/format';
import type { RequestLimitsState } from '@/lib/client/use-request-limits';

export function LifetimeField({
  ids,
  draft,
  limits,
  error,
}: {
  ids: RequestPassIds;
  draft: RequestPassDraft;
  limits: RequestLimitsState;
  error: string | undefined;
}) {
  const known = limits.status === 'known' ? limits.limits : null;
  const { shownLifetime, setLifetime, minLifetime } = draft;
  return (
    <FormField
      id={ids.lifetime}
      label="Lifetime"
      hint={
        known === null
          ? limits.status === 'loading'
            ? 'Loading the limits that apply…'
            : 'Leave empty for the policy’s default.'
          : `Between ${formatLifetime(minLifetime)} and ${formatLifetime(known.maxLifetimeInMinutes)}; the default is ${formatLifetime(known.defaultLifetimeInMinutes)}.`
      }
      hintId={ids.lifetimeHint}
      error={error}
    >
      <div className="flex gap-2">
        <input
          id={ids.lifetime}
          type="text"
          inputMode="numeric"
          autoComplete="off"
          value={shownLifetime.amount}
          placeholder={known === null ? 'Default' : undefined}
          onChange={(event) => setLifetime({ ...shownLifetime, amount: event.target.value })}
          aria-invalid={error !== undefined}
          aria-describedby={describedBy(ids.lifetimeHint, error !== undefined && `${ids.lifetime}-error`)}
          className={`${inputClassName} w-28`}
        />
        <label htmlFor={ids.lifetimeUnit} className="sr-only">
          Lifetime unit
        </label>
        <select
          id={ids.lifetimeUnit}
          value={shownLifetime.unit}
          onChange={(event) => setLifetime({ ...shownLifetime, unit: event.target.value === 'minutes' ? 'minutes' : 'hours' })}
          className={`${inputClassName} w-32`}
        >
          <option value="hours">hours</option>
          <option value="minutes">minutes</option>
        </select>
      </div>
    </FormField>
  );
}
