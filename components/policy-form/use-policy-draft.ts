// The policy form's draft: the text the admin types, its validation against the tenant, whether it
// differs from the saved policy, and which errors to show beside which field.
'use client';

import { useMemo, useState } from 'react';
import {
  getServerFieldErrors,
  samePolicy,
  toDraft,
  validateDraft,
  type DraftErrors,
  type PolicyDraft,
  type PolicyFields,
  type PolicySettingsView,
} from '@/components/policy-api';

/** A save the server refused, with the policy that was sent (its field errors point into it). */
export interface PolicySaveFailure {
  error: unknown;
  sent: PolicyFields;
}

export type UpdatePolicyDraft = <K extends keyof PolicyDraft>(key: K, value: PolicyDraft[K]) => void;

export interface PolicyDraftState {
  draft: PolicyDraft;
  /** The draft as a policy to send, or null while it does not validate. */
  policy: PolicyFields | null;
  /** Every validation error, shown or not. */
  errors: DraftErrors;
  /** The errors to show beside their fields now. */
  liveErrors: DraftErrors;
  /** The draft validates and equals the saved policy. */
  unchanged: boolean;
  failure: PolicySaveFailure | null;
  update: UpdatePolicyDraft;
  discard: () => void;
  showAllErrors: () => void;
  setFailure: (failure: PolicySaveFailure | null) => void;
}

/** `initialDraft`: a draft that failed its step-up, restored instead of the saved policy. */
export function usePolicyDraft(settings: PolicySettingsView, initialDraft: PolicyFields | null, onEdited: () => void): PolicyDraftState {
  const [draft, setDraft] = useState<PolicyDraft>(() => toDraft(initialDraft ?? settings));
  const [showErrors, setShowErrors] = useState(false);
  const [failure, setFailure] = useState<PolicySaveFailure | null>(null);
  const { policy, errors } = useMemo(() => validateDraft(draft, settings.tenantTapPolicy), [draft, settings.tenantTapPolicy]);

  const update: UpdatePolicyDraft = (key, value) => {
    setDraft((previous) => ({ ...previous, [key]: value }));
    setFailure(null);
    onEdited();
  };

  return {
    draft,
    policy,
    errors,
    liveErrors: getLiveErrors(errors, showErrors, failure),
    unchanged: policy !== null && samePolicy(policy, settings),
    failure,
    update,
    discard: () => setDraft(toDraft(settings)),
    showAllErrors: () => setShowErrors(true),
    setFailure,
  };
}

function getLiveErrors(errors: DraftErrors, showErrors: boolean, failure: PolicySaveFailure | null): DraftErrors {
  const liveErrors: DraftErrors = showErrors ? { ...errors } : {};
  // Problems the tenant's policy causes are worth showing while typing; format errors wait for a save.
  for (const [field, message] of Object.entries(errors) as [keyof PolicyFields, string][]) {
    if (message.includes('tenant') || message.includes('exceed')) liveErrors[field] = message;
  }
  // The server's refusal of a save stands beside its field until the admin edits the form.
  const serverErrors = failure === null ? {} : getServerFieldErrors(failure.error, failure.sent);
  for (const [field, message] of Object.entries(serverErrors) as [keyof PolicyFields, string][]) {
    liveErrors[field] ??= message;
  }
  return liveErrors;
}
