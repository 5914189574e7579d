'use client';

import { useState } from 'react';
import { ModalDialog } from '@/components/modal-dialog';
import { RequestOutcome } from '@/components/request-pass/request-outcome';
import { RequestPassForm } from '@/components/request-pass/request-pass-form';
import { useMe } from '@/lib/client/me-context';
import type { Reportee, TapRequest } from '@/lib/client/portal-types';
import { useRequestLimits } from '@/lib/client/use-request-limits';

/** Says what happened: an automatic approval is not "submitted", it is ready. */
function outcomeTitle(request: TapRequest): string {
  if (request.status === 'approved') return 'Approved — ready to issue';
  if (request.status === 'pending_approval') return 'Request submitted — waiting for an approver';
  return 'Request recorded';
}

/** "Request pass" for one reportee: the form, then what happened to the request. */
export function RequestPassDialog({ reportee, onClose }: { reportee: Reportee; onClose: () => void }) {
  const me = useMe();
  const limits = useRequestLimits(me.status === 'success' ? me.data.roles : []);
  const [created, setCreated] = useState<TapRequest | null>(null);

  return (
    <ModalDialog
      title={created === null ? `Request a pass for ${reportee.displayName}` : outcomeTitle(created)}
      onClose={onClose}
      testId="request-pass-dialog"
    >
      {created === null ? (
        <RequestPassForm reportee={reportee} limits={limits} onCreated={setCreated} onCancel={onClose} />
      ) : (
        <RequestOutcome
          request={created}
          targetName={reportee.displayName}
          stepUp={limits.status === 'known' && limits.limits.stepUpRequiredFor.includes('issue')}
          onClose={onClose}
        />
      )}
    </ModalDialog>
  );
}
