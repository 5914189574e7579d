// Saving the policy draft: the PUT, the second factor when the policy asks for one, and focus on
// the first field that stops the save.
'use client';

import { useState } from 'react';
import { getServerFieldErrors, parseSavedPolicy, type PolicyFields } from '@/components/policy-api';
import type { PolicyDraftState } from '@/components/policy-form/use-policy-draft';
import { StepUpRequiredError } from '@/lib/client/api-fetch';
import { InteractionRedirectingError } from '@/lib/client/msal';
import { usePortalApi, type PortalApiCall } from '@/lib/client/use-portal-api';
import { useStepUp } from '@/lib/client/use-step-up';

/** PUTs the policy with the admin's reason; answers the version now in force. */
export async function putPolicy(call: PortalApiCall, policy: PolicyFields, changeReason: string | null): Promise<number> {
  return parseSavedPolicy(await call('/api/policy', { method: 'PUT', body: changeReason === null ? policy : { ...policy, changeReason } })).version;
}

/** Restores an earlier version as a new one; answers the version now in force. */
export async function restorePolicy(call: PortalApiCall, version: number, changeReason: string): Promise<number> {
  return parseSavedPolicy(await call(`/api/policy/versions/${version}/restore`, { method: 'POST', body: { changeReason } })).version;
}

/** What a save interrupted by the second factor keeps: the policy, the reason, and for a restore the version. */
export function toPendingPolicy(policy: PolicyFields, changeReason: string, restoreVersion: number | null): Record<string, unknown> {
  return { ...policy, changeReason, ...(restoreVersion === null ? {} : { restoreVersion }) };
}

/** The reason and restored version back from {@link toPendingPolicy}. */
export function fromPendingPolicy(pending: Record<string, unknown>): { changeReason: string | null; restoreVersion: number | null } {
  const { changeReason, restoreVersion } = pending;
  return {
    changeReason: typeof changeReason === 'string' ? changeReason : null,
    restoreVersion: typeof restoreVersion === 'number' && Number.isSafeInteger(restoreVersion) ? restoreVersion : null,
  };
}

/** `fieldId` names each field's control, so a refused save can put the focus on it. */
export function usePolicySave(
  state: PolicyDraftState,
  fieldId: (field: keyof PolicyFields) => string,
  onSaved: (version: number) => void,
): { saving: boolean; confirming: boolean; save: () => void; confirm: (changeReason: string) => Promise<void>; cancel: () => void; dialogError: unknown } {
  const call = usePortalApi();
  const stepUp = useStepUp();
  const [saving, setSaving] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [dialogError, setDialogError] = useState<unknown>(null);
  const { policy, errors, showAllErrors, setFailure } = state;

  const focusFirst = (fields: object) => {
    const first = Object.keys(fields)[0] as keyof PolicyFields | undefined;
    if (first !== undefined) document.getElementById(fieldId(first))?.focus();
  };

  // Save opens the summary; only its confirmation, with a reason, sends anything.
  const save = () => {
    showAllErrors();
    if (policy === null) {
      focusFirst(errors);
      return;
    }
    setDialogError(null);
    setConfirming(true);
  };

  const confirm = async (changeReason: string) => {
    if (policy === null) return;
    setSaving(true);
    setFailure(null);
    setDialogError(null);
    try {
      let version: number;
      try {
        version = await putPolicy(call, policy, changeReason);
      } catch (error) {
        if (error instanceof StepUpRequiredError) await stepUp.begin({ kind: 'policy', policy: toPendingPolicy(policy, changeReason, null) }, error);
        throw error;
      }
      setConfirming(false);
      onSaved(version);
    } catch (error) {
      // Leaving for the second factor: the draft is saved when the admin is back.
      if (error instanceof InteractionRedirectingError) return;
      setSaving(false);
      const fieldErrors = getServerFieldErrors(error, policy);
      if (Object.keys(fieldErrors).length === 0) {
        setDialogError(error);
        return;
      }
      // A field the server refused is fixed in the form, not in the dialog.
      setConfirming(false);
      setFailure({ error, sent: policy });
      focusFirst(fieldErrors);
    }
  };

  const cancel = () => setConfirming(false);

  return { saving, confirming, save, confirm, cancel, dialogError };
}
