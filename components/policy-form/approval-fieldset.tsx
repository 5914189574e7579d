// The policy form's "Approval": when a request waits for an approver, one radio card per choice.
'use client';

import type { PolicySectionProps } from '@/components/policy-form/policy-field-parts';

const CHOICES = [
  ['always', 'Always', 'Every request'],
  ['indirect-only', 'Indirect reports', 'Not for direct reports'],
  ['never', 'Never', 'Approved automatically'],
] as const;

export function ApprovalFieldset({ draft, fieldId, update }: Pick<PolicySectionProps, 'draft' | 'fieldId' | 'update'>) {
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-slate-900">Approval</legend>
      <p className="text-sm text-slate-600">When a request waits for an approver before the pass can be issued.</p>
      <div className="grid gap-2 sm:grid-cols-3">
        {CHOICES.map(([value, label, hint]) => (
          <label
            key={value}
            className="flex cursor-pointer items-start gap-2 rounded-md border border-slate-300 p-3 text-sm has-[:checked]:border-blue-700 has-[:checked]:bg-blue-50"
          >
            <input
              type="radio"
              name={fieldId('requireApproval')}
              value={value}
              checked={draft.requireApproval === value}
              onChange={() => update('requireApproval', value)}
              className="mt-0.5 size-4 accent-blue-700"
            />
            <span>
              <span className="block font-medium text-slate-900">{label}</span>
              <span className="block text-slate-600">{hint}</span>
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
