// The policy form's numbers and pass kind: lifetimes, how long an approval lasts, the daily cap per
// manager, how many requests one requester may have waiting, and whether passes are one-time.
'use client';

import { inputClassName } from '@/components/form-field';
import type { DurationDraft, TenantTapPolicyView } from '@/components/policy-api';
import { FieldError, NumberField, type PolicySectionProps } from '@/components/policy-form/policy-field-parts';
import { formatLifetime } from '@/lib/client/format';

export function LifetimeFields({ draft, errors, fieldId, describedBy, update, tenant }: PolicySectionProps & { tenant: TenantTapPolicyView }) {
  const lifetimeHint = `The tenant allows ${formatLifetime(tenant.minimumLifetimeInMinutes)} to ${formatLifetime(tenant.maximumLifetimeInMinutes)}.`;
  return (
    <>
      <div className="grid gap-4 sm:grid-cols-2">
        <DurationField
          id={fieldId('defaultLifetimeInMinutes')}
          label="Default lifetime"
          hint={lifetimeHint}
          value={draft.defaultLifetimeInMinutes}
          error={errors.defaultLifetimeInMinutes}
          onChange={(value) => update('defaultLifetimeInMinutes', value)}
        />
        <DurationField
          id={fieldId('maxLifetimeInMinutes')}
          label="Maximum lifetime"
          hint={lifetimeHint}
          value={draft.maxLifetimeInMinutes}
          error={errors.maxLifetimeInMinutes}
          onChange={(value) => update('maxLifetimeInMinutes', value)}
        />
        <DurationField
          id={fieldId('approvalValidityMinutes')}
          label="Approval valid for"
          hint="How long an approval stays usable for getting the pass."
          value={draft.approvalValidityMinutes}
          error={errors.approvalValidityMinutes}
          onChange={(value) => update('approvalValidityMinutes', value)}
        />
        <NumberField
          id={fieldId('maxIssuancesPerManagerPerDay')}
          label="Passes per manager per day"
          hint="Rolling 24 hours; 0 stops issuance."
          value={draft.maxIssuancesPerManagerPerDay}
          error={errors.maxIssuancesPerManagerPerDay}
          onChange={(value) => update('maxIssuancesPerManagerPerDay', value)}
        />
        <NumberField
          id={fieldId('maxPendingRequestsPerRequester')}
          label="Requests waiting per requester"
          hint="Requests one person may have waiting for an approver at once (1 to 100)."
          value={draft.maxPendingRequestsPerRequester}
          error={errors.maxPendingRequestsPerRequester}
          onChange={(value) => update('maxPendingRequestsPerRequester', value)}
        />
      </div>

      <div>
        <label className="inline-flex min-h-10 items-center gap-2 text-sm font-medium text-slate-900">
          <input
            id={fieldId('isUsableOnce')}
            type="checkbox"
            checked={draft.isUsableOnce}
            onChange={(event) => update('isUsableOnce', event.target.checked)}
            aria-invalid={errors.isUsableOnce !== undefined}
            aria-describedby={describedBy('isUsableOnce')}
            className="size-4 accent-blue-700"
          />
          One-time passes
        </label>
        <p id={`${fieldId('isUsableOnce')}-hint`} className="text-sm text-slate-600">
          A one-time pass signs in once; otherwise it works until it expires.
          {tenant.isUsableOnce ? ' The tenant requires it.' : ''}
        </p>
        <FieldError id={fieldId('isUsableOnce')} error={errors.isUsableOnce} />
      </div>
    </>
  );
}

/** A duration as an amount and a unit (hours or minutes), like the request dialog's lifetime. */
function DurationField({
  id,
  label,
  hint,
  value,
  error,
  onChange,
}: {
  id: string;
  label: string;
  hint: string;
  value: DurationDraft;
  error: string | undefined;
  onChange: (value: DurationDraft) => void;
}) {
  return (
    <div className="text-sm">
      <label htmlFor={id} className="block font-medium text-slate-900">
        {label}
      </label>
      <p id={`${id}-hint`} className="mb-1.5 text-slate-600">
        {hint}
      </p>
      <div className="flex gap-2">
        <input
          id={id}
          inputMode="numeric"
          value={value.amount}
          onChange={(event) => onChange({ ...value, amount: event.target.value })}
          aria-invalid={error !== undefined}
          aria-describedby={`${id}-hint${error !== undefined ? ` ${id}-error` : ''}`}
          className={`${inputClassName} w-full min-w-0`}
        />
        <label htmlFor={`${id}-unit`} className="sr-only">
          {label} unit
        </label>
        <select
          id={`${id}-unit`}
          value={value.unit}
          onChange={(event) => onChange({ ...value, unit: event.target.value === 'minutes' ? 'minutes' : 'hours' })}
          className={`${inputClassName} w-32 shrink-0`}
        >
          <option value="hours">hours</option>
          <option value="minutes">minutes</option>
        </select>
      </div>
      <FieldError id={id} error={error} />
    </div>
  );
}
