// One request in the approval queue: whom it is for, who asked, its terms, what the directory says
// now, and the decision (or why this approver may not make it).
'use client';

import { DecisionForm } from '@/components/approvals/decision-form';
import { EvaluationNote, type RowEvaluation } from '@/components/approvals/evaluation-note';
import type { Decision, ResumedDecision } from '@/components/approvals/post-decision';
import { Badge, DepthBadge } from '@/components/badge';
import { RequestTerms } from '@/components/request-details';
import { formatDateTime, formatElapsed } from '@/lib/client/format';
import type { TapRequest } from '@/lib/client/portal-types';
import { useNow } from '@/lib/client/use-now';

/** Within a sentence: "Pass for you", "Requested by you". */
function personName(name: string | undefined, upn: string | undefined, id: string, meId: string | null): string {
  if (id === meId) return 'you';
  return name || upn || `User ${id.slice(0, 8)}…`;
}

export function PendingRow({
  request,
  meId,
  onDecided,
  evaluation,
  resumed,
  onDeciding,
}: {
  request: TapRequest;
  meId: string | null;
  onDecided: (request: TapRequest, decision: Decision) => void;
  evaluation: RowEvaluation;
  /** This row's decision, back from the second factor. */
  resumed: ResumedDecision | null;
  onDeciding: () => void;
}) {
  const target = personName(request.targetDisplayName, request.targetUserPrincipalName, request.targetUserId, meId);
  const requester = personName(request.requesterDisplayName, undefined, request.requesterId, meId);
  const ownRequest = meId !== null && request.requesterId === meId;
  const aboutMe = meId !== null && request.targetUserId === meId;
  const titleId = `pending-${request.id}-title`;
  const now = useNow();

  return (
    <li
      data-testid="pending-row"
      data-request-id={request.id}
      data-own={ownRequest || undefined}
      aria-labelledby={titleId}
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5"
    >
      <div className="flex flex-col gap-2 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <h3 id={titleId} className="font-semibold text-slate-900">
            Pass for {target}
          </h3>
          {request.targetUserPrincipalName !== undefined && (
            <p className="break-all text-xs text-slate-600">{request.targetUserPrincipalName}</p>
          )}
          <p className="mt-1 text-sm text-slate-700">
            Requested by <span className="font-medium text-slate-900">{requester}</span>
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-2 sm:justify-end">
          <DepthBadge depth={request.depth} />
          {ownRequest && <Badge tone="violet">Your own request</Badge>}
          {aboutMe && !ownRequest && <Badge tone="violet">A pass for you</Badge>}
          <span className="text-xs text-slate-600" title={formatDateTime(request.createdAt)}>
            Waiting {formatElapsed(request.createdAt, new Date(now))}
          </span>
        </div>
      </div>

      <RequestTerms request={request} className="mt-3" />
      <EvaluationNote evaluation={evaluation} />
      {request.chainDisplayNames.length > 0 && request.chainDisplayNames.length === request.chain.length ? (
        <p className="mt-2 text-xs text-slate-600" data-testid="pending-chain">
          <span className="font-medium text-slate-700">Reporting line:</span> {target} →{' '}
          {request.chainDisplayNames.join(' → ')}
        </p>
      ) : (
        request.chain.length > 1 && (
          <p className="mt-2 text-xs text-slate-600">
            {request.chain.length - 1} manager{request.chain.length === 2 ? '' : 's'} between the requester and the person.
          </p>
        )
      )}

      {ownRequest || aboutMe ? (
        <p className="mt-4 rounded-md bg-slate-50 p-3 text-sm text-slate-700">
          {ownRequest ? 'You made this request, so' : 'This pass would be for you, so'} another approver has to decide it.
        </p>
      ) : (
        <DecisionForm request={request} titleId={titleId} onDecided={onDecided} resumed={resumed} onDeciding={onDeciding} />
      )}
    </li>
  );
}
