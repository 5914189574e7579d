// The audit trail's filter bar: period, event type, the people (picked by name, or an id) and the
// request id, applied together on submit.
'use client';

import { useId, type FormEvent } from 'react';
import type { AuditFilters } from '@/components/audit/audit-filters';
import { AuditPersonCombobox } from '@/components/audit/audit-person-combobox';
import { Button } from '@/components/button';
import { inputClassName } from '@/components/form-field';
import { AUDIT_EVENT_TYPE_OPTIONS } from '@/lib/client/audit-types';

/**
 * `draft`: the filters as typed, not yet applied; `onApply` applies them. `periodError`: why the
 * period cannot be applied (found by the form, or the API's 400), shown on the "Until" field.
 */
export function AuditFilterForm({
  draft,
  onDraftChange,
  onApply,
  onReset,
  periodError = null,
}: {
  draft: AuditFilters;
  onDraftChange: (update: (previous: AuditFilters) => AuditFilters) => void;
  onApply: (event: FormEvent) => void;
  onReset: () => void;
  periodError?: string | null;
}) {
  const formId = useId();
  const periodErrorId = `${formId}-to-error`;
  const field = (key: keyof AuditFilters) => ({
    id: `${formId}-${key}`,
    value: draft[key],
    onChange: (event: { target: { value: string } }) => onDraftChange((previous) => ({ ...previous, [key]: event.target.value })),
  });

  return (
    <form onSubmit={onApply} aria-label="Filter the audit trail" data-testid="audit-filters" className="min-w-0 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" noValidate>
      <div className="grid gap-3 text-sm sm:grid-cols-2 lg:grid-cols-3">
        <div>
          <label htmlFor={`${formId}-from`} className="block font-medium text-slate-900">
            From
          </label>
          <input type="datetime-local" className={`${inputClassName} mt-1 w-full`} {...field('from')} />
        </div>
        <div>
          <label htmlFor={`${formId}-to`} className="block font-medium text-slate-900">
            Until
          </label>
          <input
            type="datetime-local"
            className={`${inputClassName} mt-1 w-full`}
            aria-invalid={periodError !== null}
            {...(periodError === null ? {} : { 'aria-describedby': periodErrorId })}
            {...field('to')}
          />
          {periodError !== null && (
            <p id={periodErrorId} className="mt-1 text-xs text-red-700" data-testid="audit-period-error">
              {periodError}
            </p>
          )}
        </div>
        <div>
          <label htmlFor={`${formId}-type`} className="block font-medium text-slate-900">
            Event type
          </label>
          <select className={`${inputClassName} mt-1 w-full`} {...field('type')}>
            <option value="">Any type</option>
            {AUDIT_EVENT_TYPE_OPTIONS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label} ({option.value})
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${formId}-actorId`} className="block font-medium text-slate-900">
            Actor
          </label>
          <AuditPersonCombobox id={`${formId}-actorId`} value={draft.actorId} onChange={(value) => onDraftChange((previous) => ({ ...previous, actorId: value }))} />
        </div>
        <div>
          <label htmlFor={`${formId}-targetId`} className="block font-medium text-slate-900">
            Target
          </label>
          <AuditPersonCombobox id={`${formId}-targetId`} value={draft.targetId} onChange={(value) => onDraftChange((previous) => ({ ...previous, targetId: value }))} />
        </div>
        <div>
          <label htmlFor={`${formId}-requestId`} className="block font-medium text-slate-900">
            Request id
          </label>
          <input className={`${inputClassName} mt-1 w-full font-mono`} spellCheck={false} autoComplete="off" {...field('requestId')} />
        </div>
      </div>
      <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="ghost" onClick={onReset}>
          Clear filters
        </Button>
        <Button type="submit">Apply filters</Button>
      </div>
    </form>
  );
}
