// The approval queue's note that a decision will ask for the second factor.
'use client';

import { STEP_UP_NOTES } from '@/lib/client/pending-step-up';
import { useRequestLimits } from '@/lib/client/use-request-limits';

/** Said above the queue when the policy asks for a second factor before a decision. */
export function DecisionStepUpNote({ roles }: { roles: readonly string[] }) {
  const limits = useRequestLimits(roles);
  if (limits.status !== 'known' || !limits.limits.stepUpRequiredFor.includes('approve')) return null;
  return (
    <p className="rounded-md border border-blue-200 bg-blue-50 p-3 text-sm text-blue-950" data-testid="step-up-note">
      {STEP_UP_NOTES.decide}
    </p>
  );
}
