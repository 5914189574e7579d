'use client';

import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import { PassRevealDialog } from '@/components/pass-reveal-dialog';
import { parseIssuedPass, type IssuedPass } from '@/lib/client/portal-types';
import { usePortalApi } from '@/lib/client/use-portal-api';

/** Issues the pass of an approved request and reveals it; rejects with the API's `ApiError`. */
export type IssuePass = (request: { id: string; targetName: string }) => Promise<void>;

const IssuePassContext = createContext<IssuePass | null>(null);

/**
 * Owns the reveal above the lists, so a list that reloads (the request turns `issued`) cannot
 * unmount the dialog. The pass sits in this state only while the dialog is open.
 */
export function PassRevealProvider({ children }: { children: ReactNode }) {
  const call = usePortalApi();
  const [revealed, setRevealed] = useState<{ pass: IssuedPass; targetName: string } | null>(null);

  const issue = useCallback<IssuePass>(
    async ({ id, targetName }) => {
      const body = await call(`/api/tap-requests/${encodeURIComponent(id)}/issue`, { method: 'POST', body: {} });
      setRevealed({ pass: parseIssuedPass(body), targetName });
    },
    [call],
  );

  return (
    <IssuePassContext.Provider value={issue}>
      {children}
      {revealed !== null && (
        <PassRevealDialog pass={revealed.pass} targetName={revealed.targetName} onClose={() => setRevealed(null)} />
      )}
    </IssuePassContext.Provider>
  );
}

export function useIssuePass(): IssuePass {
  const issue = useContext(IssuePassContext);
  if (issue === null) throw new Error('useIssuePass is used outside PassRevealProvider.');
  return issue;
}
