// What happened to a submitted request: get the pass now when approved, or where to follow it.
'use client';

import Link from 'next/link';
import { useState } from 'react';
import { Button } from '@/components/button';
import { useIssuePass } from '@/components/pass-reveal-provider';
import { ProblemAlert } from '@/components/problem-alert';
import { formatDateTime } from '@/lib/client/format';
import { InteractionRedirectingError } from '@/lib/client/msal';
import { STEP_UP_NOTES } from '@/lib/client/pending-step-up';
import type { TapRequest } from '@/lib/client/portal-types';

/**
 * After submitting: approved → get the pass now; pending → where to follow it. `stepUp`: the
 * policy asks for a second factor before a pass, so the user is told before the click.
 */
export function RequestOutcome({
  request,
  targetName,
  stepUp,
  onClose,
}: {
  request: TapRequest;
  targetName: string;
  stepUp: boolean;
  onClose: () => void;
}) {
  const issue = useIssuePass();
  const [issuing, setIssuing] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);

  const getPass = async () => {
    setIssuing(true);
    setFailure(null);
    try {
      await issue({ id: request.id, targetName });
      onClose();
    } catch (error) {
      // Leaving for the second factor: the dialog comes back with the pass after it.
      if (error instanceof InteractionRedirectingError) return;
      setFailure(error);
      setIssuing(false);
    }
  };

  return (
    <div className="space-y-4 text-sm text-slate-700" data-testid="request-outcome" data-request-id={request.id} data-status={request.status}>
      {request.status === 'approved' ? (
        <>
          <p role="status">
            <span className="font-semibold text-green-800">Approved.</span> The pass for {targetName} is created when you get
            it, and shown once.
            {request.approvalExpiresAt !== undefined && <> Get it before {formatDateTime(request.approvalExpiresAt)}.</>}
          </p>
          {stepUp && (
            <p className="rounded-md border border-blue-200 bg-blue-50 p-3 text-blue-950" data-testid="step-up-note">
              {STEP_UP_NOTES.issue}
            </p>
          )}
          {failure !== null && <ProblemAlert error={failure} />}
          <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <Button variant="secondary" onClick={onClose}>
              Later
            </Button>
            <Button onClick={getPass} disabled={issuing} autoFocus>
              {issuing ? 'Creating the pass…' : 'Get pass'}
            </Button>
          </div>
        </>
      ) : request.status === 'pending_approval' ? (
        <>
          <p role="status">
            <span className="font-semibold text-slate-900">Waiting for approval.</span> An approver has to approve the request
            for {targetName}; then you can get the pass from{' '}
            <Link href="/requests" onClick={onClose} className="font-medium text-blue-800 underline">
              My requests
            </Link>
            .
          </p>
          <div className="flex justify-end">
            <Button variant="secondary" onClick={onClose} autoFocus>
              Close
            </Button>
          </div>
        </>
      ) : (
        <>
          <p role="status">The request is {request.status.replace('_', ' ')}.</p>
          <div className="flex justify-end">
            <Button variant="secondary" onClick={onClose} autoFocus>
              Close
            </Button>
          </div>
        </>
      )}
    </div>
  );
}
