// The admin's form for a new policy version: its sections, the preview, and save or discard.
'use client';

import { useId } from 'react';
import { Button } from '@/components/button';
import type { PolicyFields, PolicySettingsView } from '@/components/policy-api';
import { PolicyChangeDialog } from '@/components/policy-change-dialog';
import { ApprovalFieldset } from '@/components/policy-form/approval-fieldset';
import { DepthFieldset } from '@/components/policy-form/depth-fieldset';
import { EligibilityFields } from '@/components/policy-form/eligibility-fields';
import { LifetimeFields } from '@/components/policy-form/lifetime-fields';
import type { PolicySectionProps } from '@/components/policy-form/policy-field-parts';
import { PolicyPreviewPanel } from '@/components/policy-form/policy-preview-panel';
import { StepUpFields } from '@/components/policy-form/step-up-fields';
import { usePolicyDraft } from '@/components/policy-form/use-policy-draft';
import { usePolicySave } from '@/components/policy-form/use-policy-save';
import { ProblemAlert } from '@/components/problem-alert';
import { STEP_UP_NOTES } from '@/lib/client/pending-step-up';

/** `initialDraft`: a draft whose save failed after the second factor, shown instead of `settings`. */
export function PolicyForm({
  settings,
  initialDraft,
  onSaved,
  onEdited,
}: {
  settings: PolicySettingsView;
  initialDraft: PolicyFields | null;
  onSaved: (version: number) => void;
  onEdited: () => void;
}) {
  const baseId = useId();
  const state = usePolicyDraft(settings, initialDraft, onEdited);
  const fieldId = (field: keyof PolicyFields) => `${baseId}-${field}`;
  const { saving, confirming, save, confirm, cancel, dialogError } = usePolicySave(state, fieldId, onSaved);
  const { draft, policy, liveErrors, unchanged, failure, update, discard } = state;
  const describedBy = (field: keyof PolicyFields) =>
    `${fieldId(field)}-hint${liveErrors[field] !== undefined ? ` ${fieldId(field)}-error` : ''}`;
  const section: PolicySectionProps = { draft, errors: liveErrors, fieldId, describedBy, update };

  return (
    <>
      <form
        noValidate
        aria-labelledby={`${baseId}-title`}
        data-testid="policy-form"
        className="space-y-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-6"
        onSubmit={(event) => {
          event.preventDefault();
          save();
        }}
      >
        <h3 id={`${baseId}-title`} className="text-lg font-semibold text-slate-900">
          Edit the policy
        </h3>

        <DepthFieldset {...section} />
        <ApprovalFieldset {...section} />
        <LifetimeFields {...section} tenant={settings.tenantTapPolicy} />
        <EligibilityFields {...section} saved={settings} />
        <StepUpFields {...section} />

        <PolicyPreviewPanel draft={policy} current={settings} unchanged={unchanged} />
        {settings.stepUpAuthContextId !== null && settings.stepUpActions.includes('policy') && (
          <p className="rounded-md border border-blue-200 bg-blue-50 p-3 text-sm text-blue-950" data-testid="step-up-note">
            {STEP_UP_NOTES.policy}
          </p>
        )}

        {failure !== null && <ProblemAlert error={failure.error} />}
        <div className="flex flex-col gap-2 border-t border-slate-100 pt-4 sm:flex-row sm:items-center sm:justify-end">
          {unchanged && <p className="text-sm text-slate-600 sm:mr-auto">No changes yet.</p>}
          <Button variant="secondary" onClick={discard} disabled={saving || unchanged}>
            Discard changes
          </Button>
          <Button type="submit" disabled={saving || unchanged} data-testid="policy-save">
            {saving ? 'Saving…' : `Save as version ${settings.version + 1}`}
          </Button>
        </div>
      </form>
      {confirming && policy !== null && (
        <PolicyChangeDialog
          title={`Save version ${settings.version + 1}?`}
          intro={`These settings change from version ${settings.version}:`}
          before={settings}
          after={policy}
          confirmLabel={`Save version ${settings.version + 1}`}
          busy={saving}
          error={dialogError}
          onConfirm={(reason) => void confirm(reason)}
          onClose={cancel}
        />
      )}
    </>
  );
}
