// In the request form: the person already has a live pass or an open request, so a new pass would
// replace the live one in Entra; the form is not sent until the user says they understand.
'use client';

import { formatDateTime } from '@/lib/client/format';
import type { Reportee } from '@/lib/client/portal-types';

type CurrentRequest = NonNullable<Reportee['currentRequest']>;

/** The warning's sentence for the person's current request, or null when there is nothing to warn about. */
export function describeCurrentRequest(name: string, current: CurrentRequest | undefined): string | null {
  if (current === undefined) return null;
  const by = current.requestedByCaller ? 'you' : 'another manager';
  switch (current.status) {
    case 'issued':
      return `${name} already has a pass${current.expiresDateTime === undefined ? '' : ` valid until ${formatDateTime(current.expiresDateTime)}`} (requested by ${by}); a new one replaces it, and it stops working when the new one is issued.`;
    case 'issuing':
      return `A pass for ${name} is being created right now (requested by ${by}); a new one would replace it.`;
    case 'approved':
      return `${name} already has an approved request waiting to be issued (requested by ${by}); whichever pass is issued last replaces the other.`;
    case 'pending_approval':
      return `${name} already has a request waiting for approval (requested by ${by}); if both are issued, the later pass replaces the earlier one.`;
  }
}

/** The warning and its required tick; renders nothing when the person has no current request. */
export function CurrentRequestWarning({
  reportee,
  acknowledged,
  onAcknowledge,
  id,
}: {
  reportee: Reportee;
  acknowledged: boolean;
  onAcknowledge: (value: boolean) => void;
  id: string;
}) {
  const text = describeCurrentRequest(reportee.displayName, reportee.currentRequest);
  if (text === null) return null;
  return (
    <div
      className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950"
      data-testid="current-request-warning"
      data-status={reportee.currentRequest?.status}
    >
      <p id={`${id}-text`}>{text}</p>
      <label className="flex items-start gap-2 font-medium">
        <input
          id={id}
          type="checkbox"
          checked={acknowledged}
          onChange={(event) => onAcknowledge(event.target.checked)}
          aria-describedby={`${id}-text`}
          className="mt-0.5 size-4 accent-amber-700"
        />
        I understand a new pass replaces the current one.
      </label>
    </div>
  );
}
