// The request form's justification: why the pass is needed, read by approvers and auditors.
'use client';

import { FormField, inputClassName } from '@/components/form-field';
import { describedBy, type RequestPassIds } from '@/components/request-pass/request-pass-ids';
import type { RequestPassDraft } from '@/components/request-pass/use-request-pass-draft';
import { JUSTIFICATION_MAX_CHARS, JUSTIFICATION_MIN_CHARS } from '@/lib/client/request-form';

export function JustificationField({ ids, draft, error }: { ids: RequestPassIds; draft: RequestPassDraft; error: string | undefined }) {
  return (
    <FormField
      id={ids.justification}
      label="Justification"
      hint={`Why they need a pass now. At least ${JUSTIFICATION_MIN_CHARS} characters and two words; approvers and auditors read it.`}
      hintId={ids.justificationHint}
      error={error}
    >
      <textarea
        id={ids.justification}
        value={draft.justification}
        onChange={(event) => draft.setJustification(event.target.value)}
        required
        autoFocus
        rows={3}
        maxLength={JUSTIFICATION_MAX_CHARS}
        aria-invalid={error !== undefined}
        aria-describedby={describedBy(ids.justificationHint, error !== undefined && `${ids.justification}-error`)}
        className={`${inputClassName} h-auto min-h-20 w-full py-2`}
      />
    </FormField>
  );
}
