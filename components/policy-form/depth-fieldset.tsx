// The policy form's "Reporting depth": unlimited, or how many levels below a manager.
'use client';

import { inputClassName } from '@/components/form-field';
import { FieldError, type PolicySectionProps } from '@/components/policy-form/policy-field-parts';

export function DepthFieldset({ draft, errors, fieldId, describedBy, update }: PolicySectionProps) {
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-slate-900">Reporting depth</legend>
      <p id={`${fieldId('maxDepth')}-hint`} className="text-sm text-slate-600">
        How far below themselves a manager may request passes. 1 means direct reports only.
      </p>
      <div className="flex flex-wrap items-center gap-x-6 gap-y-2">
        <label className="inline-flex min-h-10 items-center gap-2 text-sm text-slate-900">
          <input
            type="checkbox"
            checked={draft.unlimitedDepth}
            onChange={(event) => update('unlimitedDepth', event.target.checked)}
            className="size-4 accent-blue-700"
          />
          Unlimited
        </label>
        <label htmlFor={fieldId('maxDepth')} className="inline-flex items-center gap-2 text-sm text-slate-900">
          Levels
          <input
            id={fieldId('maxDepth')}
            inputMode="numeric"
            value={draft.maxDepth}
            disabled={draft.unlimitedDepth}
            onChange={(event) => update('maxDepth', event.target.value)}
            aria-invalid={errors.maxDepth !== undefined}
            aria-describedby={describedBy('maxDepth')}
            className={`${inputClassName} w-20 disabled:bg-slate-100 disabled:text-slate-500`}
          />
        </label>
      </div>
      <FieldError id={fieldId('maxDepth')} error={errors.maxDepth} />
    </fieldset>
  );
}
