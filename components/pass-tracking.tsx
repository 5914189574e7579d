'use client';

import { useMemo, useState } from 'react';
import { Badge } from '@/components/badge';
import { Button } from '@/components/button';
import { ConfirmActionDialog } from '@/components/confirm-action-dialog';
import { ProblemAlert } from '@/components/problem-alert';
import { ListSkeleton } from '@/components/section-parts';
import { formatDateTime } from '@/lib/client/format';
import { parseTapRequestList, type TapRequest } from '@/lib/client/portal-types';
import { usePortalApi, usePortalQuery } from '@/lib/client/use-portal-api';
import { parseAnswer } from '@/lib/client/parse-answer';
import { passStatusListSchema, type passStatusSchema, type PassState } from '@/lib/contract/tap-requests';
import type * as z from 'zod/mini';

/** `GET /api/tap-requests/pass-status` (extension): where each issued pass stands in Graph now. */
export type PassStatus = z.infer<typeof passStatusSchema>;
export type { PassState };

export function parsePassStatuses(value: unknown): Map<string, PassStatus> {
  const { statuses } = parseAnswer(passStatusListSchema, value, 'pass status list');
  return new Map(statuses.map((status) => [status.requestId, status]));
}

const LABELS: Record<PassState, { text: string; tone: 'green' | 'blue' | 'neutral' | 'amber' | 'red' | 'violet'; hint: string }> = {
  usable: { text: 'Usable now', tone: 'green', hint: 'The pass still signs the person in.' },
  'not-yet-valid': { text: 'Not started yet', tone: 'blue', hint: 'The pass starts later.' },
  expired: { text: 'Expired', tone: 'neutral', hint: 'Its lifetime is over.' },
  used: { text: 'Used', tone: 'violet', hint: 'A one-time pass that has signed in once.' },
  'disabled-by-policy': { text: 'Blocked by tenant policy', tone: 'amber', hint: "The tenant's TAP policy does not allow it now." },
  revoked: { text: 'Revoked', tone: 'neutral', hint: 'Revoked through the broker.' },
  replaced: { text: 'Replaced', tone: 'neutral', hint: 'A newer pass issued through the broker replaced it.' },
  gone: { text: 'No longer in Entra', tone: 'neutral', hint: 'Removed or replaced outside the broker.' },
  unknown: { text: 'State unknown', tone: 'amber', hint: 'Microsoft Graph did not say.' },
};

/** A pass's live state in words (the tone only repeats it); Graph's reason is in the title. */
export function PassStateBadge({ status }: { status: PassStatus }) {
  const label = LABELS[status.state];
  return (
    <span data-testid="pass-state" data-state={status.state} title={status.methodUsabilityReason ?? label.hint}>
      <Badge tone={label.tone}>{label.text}</Badge>
    </span>
  );
}

/** The live state of the passes in `scope`, read in one batched call; stays quiet while loading or failing. */
export function usePassStatuses(scope: 'mine' | 'all') {
  return usePortalQuery(`/api/tap-requests/pass-status?scope=${scope}`, parsePassStatuses);
}

/**
 * Admins: every pass the broker issued (the newest 500 requests), with its live state from Graph
 * and a revoke for those that still sign someone in.
 */
export function IssuedPassesSection() {
  const requests = usePortalQuery('/api/tap-requests?scope=all', parseTapRequestList);
  const statuses = usePassStatuses('all');
  const call = usePortalApi();
  const [busyId, setBusyId] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ kind: 'done'; text: string } | { kind: 'failed'; error: unknown } | null>(null);
  const [onlyLive, setOnlyLive] = useState(true);

  const issued = useMemo(() => {
    if (requests.status !== 'success') return [];
    const list = requests.data.filter((r) => r.status === 'issued' || r.status === 'revoked');
    if (!onlyLive || statuses.status !== 'success') return list;
    return list.filter((r) => statuses.data.get(r.id)?.revocable === true);
  }, [requests, statuses, onlyLive]);

  const refresh = () => {
    requests.refresh();
    statuses.refresh();
  };

  const [confirming, setConfirming] = useState<TapRequest | null>(null);
  // Confirmed in the dialog; a refusal stays there, so the admin can retry or cancel.
  const revoke = async (request: TapRequest) => {
    setBusyId(request.id);
    setNotice(null);
    try {
      await call(`/api/tap-requests/${encodeURIComponent(request.id)}/revoke`, { method: 'POST', body: {} });
      setConfirming(null);
      setNotice({ kind: 'done', text: `The pass for ${request.targetDisplayName || 'this person'} is revoked.` });
    } finally {
      setBusyId(null);
      refresh();
    }
  };

  return (
    <section aria-labelledby="issued-passes-title" className="space-y-3 border-t border-slate-200 pt-6" data-testid="issued-passes">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
        <div>
          <h3 id="issued-passes-title" className="text-lg font-semibold text-slate-900">
            Issued passes (all managers)
          </h3>
          <p className="text-sm text-slate-600">As an admin you may revoke any pass that still signs someone in.</p>
        </div>
        <div className="flex flex-wrap items-center gap-3">
          <label className="inline-flex min-h-10 items-center gap-2 text-sm text-slate-900">
            <input type="checkbox" checked={onlyLive} onChange={(event) => setOnlyLive(event.target.checked)} className="size-4 accent-blue-700" />
            Only passes that still work
          </label>
          <Button variant="secondary" onClick={refresh}>
            Refresh
          </Button>
        </div>
      </div>
      <div aria-live="polite">
        {notice?.kind === 'done' && (
          <p role="status" className="rounded-md border border-green-200 bg-green-50 p-3 text-sm text-green-900">
            {notice.text}
          </p>
        )}
      </div>
      {notice?.kind === 'failed' && <ProblemAlert error={notice.error} />}
      {statuses.status === 'error' && <ProblemAlert error={statuses.error} />}
      {requests.status === 'loading' && <ListSkeleton label="Loading the issued passes…" />}
      {requests.status === 'error' && <ProblemAlert error={requests.error} />}
      {requests.status === 'success' && issued.length === 0 && (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-center text-sm text-slate-700">
          {onlyLive ? 'No issued pass signs anyone in right now.' : 'No passes have been issued yet.'}
        </p>
      )}
      {issued.length > 0 && (
        <ul className="divide-y divide-slate-200 overflow-hidden rounded-lg border border-slate-200 bg-white" aria-label="Issued passes">
          {issued.map((request) => {
            const status = statuses.status === 'success' ? statuses.data.get(request.id) : undefined;
            const nameId = `issued-${request.id}-name`;
            return (
              <li key={request.id} data-testid="issued-pass-row" data-request-id={request.id} className="flex flex-col gap-2 p-4 text-sm sm:flex-row sm:items-center sm:justify-between">
                <div className="min-w-0">
                  <p id={nameId} className="font-medium text-slate-900">
                    {request.targetDisplayName || request.targetUserPrincipalName || request.targetUserId}
                  </p>
                  <p className="text-slate-600">
                    Issued by {request.requesterDisplayName ?? 'a manager'}
                    {request.issuedAt !== undefined && <> · {formatDateTime(request.issuedAt)}</>}
                    {request.expiresDateTime !== undefined && <> · until {formatDateTime(request.expiresDateTime)}</>}
                  </p>
                </div>
                <div className="flex shrink-0 flex-wrap items-center gap-2">
                  {status === undefined ? (
                    statuses.status === 'loading' && <span className="text-xs text-slate-600">Checking…</span>
                  ) : (
                    <PassStateBadge status={status} />
                  )}
                  {request.status === 'issued' && status?.revocable === true && (
                    <Button variant="secondary" onClick={() => setConfirming(request)} disabled={busyId !== null} aria-describedby={nameId}>
                      {busyId === request.id ? 'Revoking…' : 'Revoke'}
                    </Button>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {confirming !== null && (
        <ConfirmActionDialog
          title={`Revoke the pass for ${confirming.targetDisplayName || 'this person'}?`}
          confirmLabel="Revoke pass"
          busyLabel="Revoking…"
          cancelLabel="Keep the pass"
          testId="confirm-revoke"
          onCancel={() => setConfirming(null)}
          onConfirm={() => revoke(confirming)}
        >
          <p>
            Issued by {confirming.requesterDisplayName ?? 'a manager'}. The pass is deleted in Entra at once and no longer signs{' '}
            {confirming.targetDisplayName || 'the person'} in. This cannot be undone.
          </p>
        </ConfirmActionDialog>
      )}
    </section>
  );
}
