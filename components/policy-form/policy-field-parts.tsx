// Pieces every policy form section shares: the props a section gets, a field's error line, and a
// labelled whole-number input.
'use client';

import { inputClassName } from '@/components/form-field';
import type { DraftErrors, PolicyDraft, PolicyFields } from '@/components/policy-api';
import type { UpdatePolicyDraft } from '@/components/policy-form/use-policy-draft';

/** What a section of the policy form reads and writes: the draft, its errors and the fields' ids. */
export interface PolicySectionProps {
  draft: PolicyDraft;
  errors: DraftErrors;
  fieldId: (field: keyof PolicyFields) => string;
  /** The hint, and the error when there is one. */
  describedBy: (field: keyof PolicyFields) => string;
  update: UpdatePolicyDraft;
}

export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  if (error === undefined) return null;
  return (
    <p id={`${id}-error`} className="text-sm font-medium text-red-700">
      {error}
    </p>
  );
}

export function NumberField({
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
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}) {
  return (
    <div className="text-sm">
      <label htmlFor={id} className="block font-medium text-slate-900">
        {label}
      </label>
      <p id={`${id}-hint`} className="mb-1.5 text-slate-600">
        {hint}
      </p>
      <input
        id={id}
        inputMode="numeric"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error !== undefined}
        aria-describedby={`${id}-hint${error !== undefined ? ` ${id}-error` : ''}`}
        className={`${inputClassName} w-full`}
      />
      <FieldError id={id} error={error} />
    </div>
  );
}
