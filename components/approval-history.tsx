// The approvals page's "Decided" list: past decisions, filterable, so approvers can see what was
// decided, by whom and why.
'use client';

import { useEffect, useId, useMemo, useState } from 'react';
import { Badge, StatusBadge } from '@/components/badge';
import { Button } from '@/components/button';
import { inputClassName } from '@/components/form-field';
import { ProblemAlert } from '@/components/problem-alert';
import { ListSkeleton } from '@/components/section-parts';
import { formatDateTime } from '@/lib/client/format';
import { parseTapRequestList, type TapRequest } from '@/lib/client/portal-types';
import { usePortalQuery } from '@/lib/client/use-portal-api';

type DecisionFilter = 'all' | 'approved' | 'denied' | 'mine';

const PAGE = 20;

function decisionOf(request: TapRequest): 'approved' | 'denied' {
  return request.status === 'denied' ? 'denied' : 'approved';
}

function newestDecisionFirst(a: TapRequest, b: TapRequest): number {
  return (b.decidedAt ?? '').localeCompare(a.decidedAt ?? '') || b.id.localeCompare(a.id);
}

/**
 * "Decided": requests an approver (or the policy) decided, newest decision first, with the
 * decision, who made it and their comment. Read from `GET /api/tap-requests?scope=all` (the newest
 * 500 requests) and filtered here; `refreshKey` changes when the queue above decides something.
 */
export function ApprovalHistory({ meId, refreshKey }: { meId: string | null; refreshKey: number }) {
  const all = usePortalQuery('/api/tap-requests?scope=all', parseTapRequestList);
  const filterId = useId();
  const [filter, setFilter] = useState<DecisionFilter>('all');
  const [shown, setShown] = useState(PAGE);
  const { refresh } = all;
  useEffect(() => {
    if (refreshKey > 0) refresh();
  }, [refreshKey, refresh]);

  const decided = useMemo(() => {
    if (all.status !== 'success') return [];
    return all.data
      .filter((r) => r.decidedAt !== undefined && r.decidedBy !== undefined)
      .filter((r) =>
        filter === 'all' ? true : filter === 'mine' ? r.decidedBy === meId : decisionOf(r) === filter,
      )
      .sort(newestDecisionFirst);
  }, [all, filter, meId]);

  return (
    <section aria-labelledby="approval-history-title" className="space-y-3 border-t border-slate-200 pt-6" data-testid="approval-history">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
        <div>
          <h3 id="approval-history-title" className="text-lg font-semibold text-slate-900">
            Decided
          </h3>
          <p className="text-sm text-slate-600">Decisions on recent requests, newest first.</p>
        </div>
        <div className="flex items-end gap-2">
          <div className="text-sm">
            <label htmlFor={filterId} className="block font-medium text-slate-900">
              Show
            </label>
            <select
              id={filterId}
              value={filter}
              onChange={(event) => {
                setFilter(event.target.value as DecisionFilter);
                setShown(PAGE);
              }}
              className={`${inputClassName} pr-8`}
            >
              <option value="all">All decisions</option>
              <option value="approved">Approved</option>
              <option value="denied">Denied</option>
              <option value="mine">Decided by me</option>
            </select>
          </div>
          {all.status !== 'loading' && (
            <Button variant="secondary" onClick={all.refresh}>
              Refresh
            </Button>
          )}
        </div>
      </div>
      {all.status === 'loading' && <ListSkeleton label="Loading the decided requests…" />}
      {all.status === 'error' && <ProblemAlert error={all.error} />}
      {all.status === 'success' && decided.length === 0 && (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-center text-sm text-slate-700">
          No decisions to show.
        </p>
      )}
      {decided.length > 0 && (
        <>
          <ul className="divide-y divide-slate-200 overflow-hidden rounded-lg border border-slate-200 bg-white" aria-label="Decided requests">
            {decided.slice(0, shown).map((request) => (
              <DecidedRow key={request.id} request={request} meId={meId} />
            ))}
          </ul>
          {decided.length > shown && (
            <Button variant="secondary" onClick={() => setShown((n) => n + PAGE)}>
              Show {Math.min(PAGE, decided.length - shown)} more of {decided.length - shown}
            </Button>
          )}
        </>
      )}
    </section>
  );
}

function DecidedRow({ request, meId }: { request: TapRequest; meId: string | null }) {
  const decision = decisionOf(request);
  const target = request.targetDisplayName || request.targetUserPrincipalName || `User ${request.targetUserId.slice(0, 8)}…`;
  const requester =
    request.requesterId === meId ? 'you' : (request.requesterDisplayName ?? 'a manager');
  const by =
    request.decidedBy === 'system'
      ? 'policy (automatic)'
      : request.decidedBy === meId
        ? 'you'
        : (request.decidedByDisplayName ?? 'an approver');
  return (
    <li data-testid="decided-row" data-request-id={request.id} data-decision={decision} className="p-4 text-sm">
      <div className="flex flex-col gap-2 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <p className="font-medium text-slate-900">
            Pass for {target} <span className="font-normal text-slate-600">· requested by {requester}</span>
          </p>
          <p className="mt-0.5 text-slate-700">
            {decision === 'denied' ? 'Denied' : 'Approved'} by <span className="font-medium text-slate-900">{by}</span>
            {request.decidedAt !== undefined && (
              <>
                {' '}
                · <time dateTime={request.decidedAt}>{formatDateTime(request.decidedAt)}</time>
              </>
            )}
          </p>
          {request.decisionComment !== undefined && (
            <p className="mt-1 break-words text-slate-700" data-testid="decided-comment">
              “{request.decisionComment}”
            </p>
          )}
          {request.replacedByRequestId !== undefined && (
            <p className="mt-1 text-slate-700" data-testid="decided-replaced">
              Its pass was replaced by request <span className="font-mono">{request.replacedByRequestId.slice(0, 8)}</span>
              {request.replacedAt !== undefined && <> on {formatDateTime(request.replacedAt)}</>}.
            </p>
          )}
        </div>
        <div className="flex shrink-0 flex-wrap items-center gap-2">
          <Badge tone={decision === 'denied' ? 'red' : 'green'}>{decision === 'denied' ? 'Denied' : 'Approved'}</Badge>
          {request.replacedByRequestId !== undefined ? (
            <Badge tone="neutral">Replaced</Badge>
          ) : (
            request.status !== 'denied' && request.status !== 'approved' && <StatusBadge status={request.status} />
          )}
        </div>
      </div>
    </li>
  );
}
