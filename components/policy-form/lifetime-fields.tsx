// The policy form's numbers and pass kind: lifetimes, how long an approval lasts, the daily cap per
// manager, how many requests one requester may have waiting, and whether passes are one-time.
'use client';

import type { TenantTapPolicyView } from '@/components/policy-api';
import { FieldError, NumberField, type PolicySectionProps } from '@/components/policy-form/policy-field-parts';

export function LifetimeFields({ draft, errors, fieldId, describedBy, update, tenant }: PolicySectionProps & { tenant: TenantTapPolicyView }) {
  const lifetimeHint = `Minutes; the tenant allows ${tenant.minimumLifetimeInMinutes} to ${tenant.maximumLifetimeInMinutes}.`;
  return (
    <>
      <div className="grid gap-4 sm:grid-cols-2">
        <NumberField
          id={fieldId('defaultLifetimeInMinutes')}
          label="Default lifetime"
          hint={lifetimeHint}
          value={draft.defaultLifetimeInMinutes}
          error={errors.defaultLifetimeInMinutes}
          onChange={(value) => update('defaultLifetimeInMinutes', value)}
        />
        <NumberField
          id={fieldId('maxLifetimeInMinutes')}
          label="Maximum lifetime"
          hint={lifetimeHint}
          value={draft.maxLifetimeInMinutes}
          error={errors.maxLifetimeInMinutes}
          onChange={(value) => update('maxLifetimeInMinutes', value)}
        />
        <NumberField
          id={fieldId('approvalValidityMinutes')}
          label="Approval valid for"
          hint="Minutes an approval stays usable for getting the pass."
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
