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

/** PUTs the policy; answers the version now in force. */
export async function putPolicy(call: PortalApiCall, policy: PolicyFields): Promise<number> {
  return parseSavedPolicy(await call('/api/policy', { method: 'PUT', body: policy })).version;
}

/** `fieldId` names each field's control, so a refused save can put the focus on it. */
export function usePolicySave(
  state: PolicyDraftState,
  fieldId: (field: keyof PolicyFields) => string,
  onSaved: (version: number) => void,
): { saving: boolean; save: () => Promise<void> } {
  const call = usePortalApi();
  const stepUp = useStepUp();
  const [saving, setSaving] = useState(false);
  const { policy, errors, showAllErrors, setFailure } = state;

  const focusFirst = (fields: object) => {
    const first = Object.keys(fields)[0] as keyof PolicyFields | undefined;
    if (first !== undefined) document.getElementById(fieldId(first))?.focus();
  };

  const save = async () => {
    showAllErrors();
    if (policy === null) {
      focusFirst(errors);
      return;
    }
    setSaving(true);
    setFailure(null);
    try {
      let version: number;
      try {
        version = await putPolicy(call, policy);
      } catch (error) {
        if (error instanceof StepUpRequiredError) await stepUp.begin({ kind: 'policy', policy: { ...policy } }, error);
        throw error;
      }
      onSaved(version);
    } catch (error) {
      // Leaving for the second factor: the draft is saved when the admin is back.
      if (error instanceof InteractionRedirectingError) return;
      setFailure({ error, sent: policy });
      setSaving(false);
      focusFirst(getServerFieldErrors(error, policy));
    }
  };

  return { saving, save };
}
