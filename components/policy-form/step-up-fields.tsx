// The policy form's step-up section: the authentication context a second factor proves, and the
// actions besides issuing a pass that ask for it.
'use client';

import { inputClassName } from '@/components/form-field';
import { STEP_UP_ACTION_LABELS, STEP_UP_OPTIONAL_ACTIONS, toggleStepUpAction } from '@/components/policy-api';
import { FieldError, type PolicySectionProps } from '@/components/policy-form/policy-field-parts';

/**
 * Step-up: the Conditional Access authentication context a second-factor sign-in proves (empty =
 * off), and which actions besides issuing a pass ask for it.
 */
export function StepUpFields({ draft, errors, fieldId, describedBy, update }: PolicySectionProps) {
  const contextId = fieldId('stepUpAuthContextId');
  const actionsId = fieldId('stepUpActions');
  return (
    <div className="space-y-4 border-t border-slate-100 pt-6" data-testid="policy-step-up">
      <div className="space-y-1.5 text-sm">
        <label htmlFor={contextId} className="block font-medium text-slate-900">
          Step-up authentication context
        </label>
        <div id={`${contextId}-hint`} className="space-y-1 text-slate-600">
          <p>
            The Conditional Access authentication context (c1 to c99) that asks for a second factor right before a pass is
            shown. Create it and the Conditional Access policy that protects it in Entra first. Leave empty to turn step-up off.
          </p>
          <p className="font-medium text-slate-800">Strongly recommended in production: without it, anyone holding a manager’s open session can get passes.</p>
        </div>
        <input
          id={contextId}
          value={draft.stepUpAuthContextId}
          onChange={(event) => update('stepUpAuthContextId', event.target.value)}
          spellCheck={false}
          autoComplete="off"
          placeholder="Off"
          aria-invalid={errors.stepUpAuthContextId !== undefined}
          aria-describedby={describedBy('stepUpAuthContextId')}
          className={`${inputClassName} w-32 font-mono`}
        />
        <FieldError id={contextId} error={errors.stepUpAuthContextId} />
      </div>

      <fieldset className="space-y-2" aria-describedby={`${actionsId}-hint`}>
        <legend className="text-sm font-medium text-slate-900">Also ask for it before</legend>
        <p id={`${actionsId}-hint`} className="text-sm text-slate-600">
          Issuing a pass always needs it when a context is set.
        </p>
        <div className="flex flex-wrap gap-x-6 gap-y-1">
          {STEP_UP_OPTIONAL_ACTIONS.map((action, index) => (
            <label key={action} className="inline-flex min-h-10 items-center gap-2 text-sm text-slate-900">
              <input
                id={index === 0 ? actionsId : undefined}
                type="checkbox"
                value={action}
                checked={draft.stepUpActions.includes(action)}
                onChange={(event) => update('stepUpActions', toggleStepUpAction(draft.stepUpActions, action, event.target.checked))}
                className="size-4 shrink-0 accent-blue-700"
              />
              {STEP_UP_ACTION_LABELS[action]}
            </label>
          ))}
        </div>
        <FieldError id={actionsId} error={errors.stepUpActions} />
      </fieldset>
    </div>
  );
}
