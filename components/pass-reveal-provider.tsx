'use client';

import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import { Button } from '@/components/button';
import { ModalDialog } from '@/components/modal-dialog';
import { PassRevealDialog } from '@/components/pass-reveal-dialog';
import { ProblemAlert } from '@/components/problem-alert';
import { StepUpRequiredError } from '@/lib/client/api-fetch';
import type { PendingStepUp } from '@/lib/client/pending-step-up';
import { parseIssuedPass, type IssuedPass } from '@/lib/client/portal-types';
import { usePortalApi, type PortalApiCall } from '@/lib/client/use-portal-api';
import { useResumeStepUp, useStepUp } from '@/lib/client/use-step-up';

/**
 * Issues the pass of an approved request and reveals it; rejects with the API's `ApiError`, or
 * with `InteractionRedirectingError` when the page leaves to ask for the second factor first.
 */
export type IssuePass = (request: { id: string; targetName: string }) => Promise<void>;

const IssuePassContext = createContext<IssuePass | null>(null);
/** Passes issued after a step-up round trip, so lists loaded on the way back can refresh. */
const ResumedIssueCountContext = createContext(0);

type Resumed = { targetName: string; phase: 'running' } | { targetName: string; phase: 'failed'; error: unknown };

async function postIssue(call: PortalApiCall, id: string): Promise<IssuedPass> {
  return parseIssuedPass(await call(`/api/tap-requests/${encodeURIComponent(id)}/issue`, { method: 'POST', body: {} }));
}

/**
 * Owns the reveal above the lists, so a list that reloads (the request turns `issued`) cannot
 * unmount the dialog. The pass sits in this state only while the dialog is open.
 *
 * When the policy asks for a second factor before a pass, the API refuses the first attempt with
 * a claims challenge: the request id and the reportee's name are kept for the sign-in redirect,
 * and back on the page the issue is retried once with the stepped-up token, so the pass is revealed
 * right after the second factor, never from a session that merely sat open.
 */
export function PassRevealProvider({ children }: { children: ReactNode }) {
  const call = usePortalApi();
  const stepUp = useStepUp();
  const [revealed, setRevealed] = useState<{ pass: IssuedPass; targetName: string } | null>(null);
  const [resumed, setResumed] = useState<Resumed | null>(null);
  const [resumedIssues, setResumedIssues] = useState(0);

  const issue = useCallback<IssuePass>(
    async ({ id, targetName }) => {
      let pass: IssuedPass;
      try {
        pass = await postIssue(call, id);
      } catch (error) {
        if (error instanceof StepUpRequiredError) await stepUp.begin({ kind: 'issue', requestId: id, targetName }, error);
        throw error;
      }
      setRevealed({ pass, targetName });
    },
    [call, stepUp],
  );

  const resume = useCallback(
    (pending: Extract<PendingStepUp, { kind: 'issue' }>) => {
      const { targetName } = pending;
      setResumed({ targetName, phase: 'running' });
      stepUp.retry(pending, (stepUpCall) => postIssue(stepUpCall, pending.requestId)).then(
        (pass) => {
          setResumed(null);
          setRevealed({ pass, targetName });
          setResumedIssues((n) => n + 1);
        },
        (error: unknown) => setResumed({ targetName, phase: 'failed', error }),
      );
    },
    [stepUp],
  );
  useResumeStepUp(['issue'], resume);

  return (
    <IssuePassContext.Provider value={issue}>
      <ResumedIssueCountContext.Provider value={resumedIssues}>{children}</ResumedIssueCountContext.Provider>
      {revealed !== null && (
        <PassRevealDialog pass={revealed.pass} targetName={revealed.targetName} onClose={() => setRevealed(null)} />
      )}
      {resumed !== null && <ResumedIssueDialog resumed={resumed} onClose={() => setResumed(null)} />}
    </IssuePassContext.Provider>
  );
}

/** Back from the second factor: the pass is being created, or why there is none. */
function ResumedIssueDialog({ resumed, onClose }: { resumed: Resumed; onClose: () => void }) {
  return (
    <ModalDialog
      title={`Temporary Access Pass for ${resumed.targetName}`}
      onClose={onClose}
      dismissible={resumed.phase === 'failed'}
      testId="step-up-resume"
    >
      <div className="space-y-4 text-sm text-slate-700" data-phase={resumed.phase}>
        {resumed.phase === 'running' ? (
          <p role="status">Checking your second factor and creating the pass…</p>
        ) : (
          <>
            <ProblemAlert error={resumed.error} />
            <div className="flex justify-end">
              <Button variant="secondary" onClick={onClose} autoFocus>
                Close
              </Button>
            </div>
          </>
        )}
      </div>
    </ModalDialog>
  );
}

/** Grows by one each time a pass is issued on the way back from a step-up (the list behind is stale then). */
export function useResumedIssueCount(): number {
  return useContext(ResumedIssueCountContext);
}

export function useIssuePass(): IssuePass {
  const issue = useContext(IssuePassContext);
  if (issue === null) throw new Error('useIssuePass is used outside PassRevealProvider.');
  return issue;
}
