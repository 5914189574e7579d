// The confirmation before a policy change is saved or an earlier version restored: every field that
// changes (old → new, in the console's units) and the reason, which is required.
'use client';

import { useId, useState } from 'react';
import * as z from 'zod/mini';
import { Button } from '@/components/button';
import { FormField, inputClassName } from '@/components/form-field';
import { ModalDialog } from '@/components/modal-dialog';
import { getChangedFields, type PolicyFields } from '@/components/policy-api';
import { PolicyChangeList } from '@/components/policy-change-list';
import { ProblemAlert } from '@/components/problem-alert';
import { MAX_POLICY_CHANGE_REASON_LENGTH, policyChangeReasonSchema } from '@/lib/contract/policy';

/** The reason as the server will take it (trimmed), or what is wrong with it. */
export function checkChangeReason(text: string): { reason: string | null; error: string | null } {
  const result = z.safeParse(policyChangeReasonSchema, text);
  if (result.success) return { reason: result.data, error: null };
  const message = result.error.issues[0]?.message ?? 'is not valid';
  return { reason: null, error: text.trim() === '' ? 'Say why the policy changes.' : `The reason ${message}.` };
}

export function PolicyChangeDialog({
  title,
  intro,
  before,
  after,
  confirmLabel,
  busy,
  error,
  onConfirm,
  onClose,
}: {
  title: string;
  intro: string;
  before: PolicyFields;
  after: PolicyFields;
  confirmLabel: string;
  busy: boolean;
  error: unknown;
  onConfirm: (reason: string) => void;
  onClose: () => void;
}) {
  const id = useId();
  const [text, setText] = useState('');
  const [shownError, setShownError] = useState<string | null>(null);
  const fields = getChangedFields(before, after);
  return (
    <ModalDialog title={title} onClose={busy ? () => undefined : onClose} testId="policy-change-dialog">
      <form
        noValidate
        className="space-y-4 text-sm"
        onSubmit={(event) => {
          event.preventDefault();
          const checked = checkChangeReason(text);
          setShownError(checked.error);
          if (checked.reason === null) {
            document.getElementById(`${id}-reason`)?.focus();
            return;
          }
          onConfirm(checked.reason);
        }}
      >
        <p className="text-slate-700">{intro}</p>
        {fields.length === 0 ? (
          <p className="text-slate-700" data-testid="policy-change-none">
            No setting changes; a new version is saved all the same.
          </p>
        ) : (
          <PolicyChangeList fields={fields} before={before} after={after} label="What changes" />
        )}
        <FormField
          id={`${id}-reason`}
          label="Reason for the change"
          hint={`Required; kept with the version and in the audit trail (at most ${MAX_POLICY_CHANGE_REASON_LENGTH} characters). Never paste a credential.`}
          hintId={`${id}-reason-hint`}
          error={shownError ?? undefined}
        >
          <textarea
            id={`${id}-reason`}
            rows={3}
            value={text}
            maxLength={MAX_POLICY_CHANGE_REASON_LENGTH}
            onChange={(event) => setText(event.target.value)}
            aria-invalid={shownError !== null}
            aria-describedby={`${id}-reason-hint${shownError !== null ? ` ${id}-reason-error` : ''}`}
            className={`${inputClassName} w-full`}
            data-testid="policy-change-reason"
          />
        </FormField>
        {error !== null && <ProblemAlert error={error} />}
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" disabled={busy} data-testid="policy-change-confirm">
            {busy ? 'Saving…' : confirmLabel}
          </Button>
        </div>
      </form>
    </ModalDialog>
  );
}
