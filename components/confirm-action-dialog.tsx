// A yes/no question before an action that cannot be undone (revoke a pass, withdraw a request,
// issue a pass that replaces a live one), on the shared modal.
'use client';

import { useState, type ReactNode } from 'react';
import { Button } from '@/components/button';
import { ModalDialog } from '@/components/modal-dialog';
import { ProblemAlert } from '@/components/problem-alert';

/**
 * Asks before `onConfirm` runs. Cancel (or Escape) closes without doing anything; while the action
 * runs both buttons are disabled; a failure is shown in the dialog so the user can retry or cancel.
 * `onConfirm` resolves when done; the caller unmounts the dialog then (it closes itself only on
 * cancel).
 */
export function ConfirmActionDialog({
  title,
  children,
  confirmLabel,
  busyLabel,
  cancelLabel = 'Cancel',
  tone = 'danger',
  confirmDisabled = false,
  onConfirm,
  onCancel,
  testId,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busyLabel: string;
  cancelLabel?: string;
  /** `danger` for what cannot be undone; `primary` when going ahead is the expected answer. */
  tone?: 'danger' | 'primary';
  /** Held off until the user has ticked what the dialog asks them to acknowledge. */
  confirmDisabled?: boolean;
  onConfirm: () => Promise<void>;
  onCancel: () => void;
  testId?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const confirm = async () => {
    setBusy(true);
    setFailure(null);
    try {
      await onConfirm();
    } catch (error) {
      setFailure(error);
      setBusy(false);
    }
  };
  return (
    <ModalDialog title={title} onClose={busy ? () => undefined : onCancel} testId={testId ?? 'confirm-dialog'}>
      <div className="space-y-4 text-sm text-slate-700">
        {children}
        {failure !== null && <ProblemAlert error={failure} />}
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <Button variant="secondary" onClick={onCancel} disabled={busy} autoFocus>
            {cancelLabel}
          </Button>
          <Button variant={tone} onClick={() => void confirm()} disabled={busy || confirmDisabled}>
            {busy ? busyLabel : confirmLabel}
          </Button>
        </div>
      </div>
    </ModalDialog>
  );
}
