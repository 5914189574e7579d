// A pending row's decision: the comment or reason, and Approve or Deny, including the second
// factor the policy may ask for and the retry after it.
'use client';

import { useId, useRef, useState } from 'react';
import { postDecision, type Decision, type ResumedDecision } from '@/components/approvals/post-decision';
import { Button } from '@/components/button';
import { inputClassName } from '@/components/form-field';
import { ProblemAlert } from '@/components/problem-alert';
import { StepUpRequiredError } from '@/lib/client/api-fetch';
import { InteractionRedirectingError } from '@/lib/client/msal';
import type { TapRequest } from '@/lib/client/portal-types';
import { usePortalApi } from '@/lib/client/use-portal-api';
import { useStepUp } from '@/lib/client/use-step-up';

/** `titleId`: the row's heading, which names the request each button decides. */
export function DecisionForm({
  request,
  titleId,
  onDecided,
  resumed,
  onDeciding,
}: {
  request: TapRequest;
  titleId: string;
  onDecided: (request: TapRequest, decision: Decision) => void;
  /** This row's decision, back from the second factor. */
  resumed: ResumedDecision | null;
  onDeciding: () => void;
}) {
  const call = usePortalApi();
  const stepUp = useStepUp();
  const commentId = useId();
  const commentRef = useRef<HTMLTextAreaElement>(null);
  const [comment, setComment] = useState(resumed?.text ?? '');
  const [commentError, setCommentError] = useState<string | null>(null);
  const [ownBusy, setBusy] = useState<Decision | null>(null);
  const [ownFailure, setFailure] = useState<unknown>(null);
  // The comment typed before the second factor comes back with the row.
  const [shownResume, setShownResume] = useState(resumed);
  if (resumed !== shownResume) {
    setShownResume(resumed);
    if (resumed !== null) setComment(resumed.text);
  }
  const busy = ownBusy ?? (resumed?.phase === 'running' ? resumed.decision : null);
  const failure = ownFailure ?? (resumed?.phase === 'failed' ? resumed.error : null);

  const decide = async (decision: Decision) => {
    const text = comment.trim();
    if (decision === 'deny' && text === '') {
      setCommentError('Give a reason to deny; the requester sees it.');
      commentRef.current?.focus();
      return;
    }
    setCommentError(null);
    setFailure(null);
    onDeciding();
    setBusy(decision);
    try {
      try {
        await postDecision(call, request.id, decision, text);
      } catch (error) {
        if (error instanceof StepUpRequiredError) await stepUp.begin({ kind: decision, requestId: request.id, text }, error);
        throw error;
      }
      onDecided(request, decision);
    } catch (error) {
      // Leaving for the second factor: the decision is retried when the user is back.
      if (error instanceof InteractionRedirectingError) return;
      setFailure(error);
      setBusy(null);
    }
  };

  return (
    <div className="mt-4 space-y-3 border-t border-slate-100 pt-4">
      <div>
        <label htmlFor={commentId} className="block text-sm font-medium text-slate-900">
          Comment or reason
        </label>
        <p id={`${commentId}-hint`} className="mb-1.5 text-sm text-slate-600">
          Optional when you approve; required when you deny. The requester sees it.
        </p>
        <textarea
          ref={commentRef}
          id={commentId}
          value={comment}
          onChange={(event) => setComment(event.target.value)}
          rows={2}
          maxLength={1000}
          aria-invalid={commentError !== null}
          aria-describedby={`${commentId}-hint${commentError !== null ? ` ${commentId}-error` : ''}`}
          className={`${inputClassName} h-auto min-h-16 w-full py-2`}
        />
        {commentError !== null && (
          <p id={`${commentId}-error`} className="mt-1 text-sm font-medium text-red-700">
            {commentError}
          </p>
        )}
      </div>
      {failure !== null && <ProblemAlert error={failure} />}
      <div className="flex flex-col gap-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={() => decide('deny')} disabled={busy !== null} aria-describedby={titleId}>
          {busy === 'deny' ? 'Denying…' : 'Deny'}
        </Button>
        <Button onClick={() => decide('approve')} disabled={busy !== null} aria-describedby={titleId}>
          {busy === 'approve' ? 'Approving…' : 'Approve'}
        </Button>
      </div>
    </div>
  );
}
