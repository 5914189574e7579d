'use client';

import { useId, useMemo, useRef, useState } from 'react';
import { ApprovalHistory } from '@/components/approval-history';
import { Badge, DepthBadge } from '@/components/badge';
import { Button } from '@/components/button';
import { inputClassName } from '@/components/form-field';
import { IneligibleReasons } from '@/components/ineligible-reasons';
import { ProblemAlert } from '@/components/problem-alert';
import { RequestTerms } from '@/components/request-details';
import { ListSkeleton, SectionHeading } from '@/components/section-parts';
import { formatDateTime, formatElapsed } from '@/lib/client/format';
import { StepUpRequiredError } from '@/lib/client/api-fetch';
import { useMe } from '@/lib/client/me-context';
import { InteractionRedirectingError } from '@/lib/client/msal';
import { canReviewRequests } from '@/lib/client/navigation';
import { STEP_UP_NOTES, type PendingStepUp } from '@/lib/client/pending-step-up';
import {
  parsePendingEvaluations,
  parseTapRequest,
  parseTapRequestList,
  type PendingEvaluation,
  type TapRequest,
} from '@/lib/client/portal-types';
import { useNow } from '@/lib/client/use-now';
import { usePortalApi, usePortalQuery, type PortalApiCall, type QueryState } from '@/lib/client/use-portal-api';
import { useRequestLimits } from '@/lib/client/use-request-limits';
import { useResumeStepUp, useStepUp } from '@/lib/client/use-step-up';

type Decision = 'approve' | 'deny';

/** A decision interrupted by the second factor, being retried after it, or why that failed. */
type ResumedDecision = { requestId: string; decision: Decision; text: string } & (
  | { phase: 'running' }
  | { phase: 'failed'; error: unknown }
);

async function postDecision(call: PortalApiCall, requestId: string, decision: Decision, text: string): Promise<TapRequest> {
  const body = await call(`/api/tap-requests/${encodeURIComponent(requestId)}/${decision}`, {
    method: 'POST',
    body: decision === 'deny' ? { reason: text } : text === '' ? {} : { comment: text },
  });
  return parseTapRequest(body);
}

function oldestFirst(a: TapRequest, b: TapRequest): number {
  return a.createdAt.localeCompare(b.createdAt);
}

function personName(name: string | undefined, upn: string | undefined, id: string, meId: string | null): string {
  if (id === meId) return 'You';
  return name || upn || `User ${id.slice(0, 8)}…`;
}

/** "Approvals": the requests waiting for an approver, oldest first. Approvers and admins only. */
export function ApprovalsSection() {
  const me = useMe();
  if (me.status === 'loading') return <ListSkeleton label="Loading…" />;
  if (me.status === 'success' && !canReviewRequests(me.data.roles)) {
    return (
      <section aria-labelledby="approvals-title" className="space-y-4">
        <SectionHeading id="approvals-title" title="Approvals" description="Requests waiting for an approver." />
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
          Only approvers decide on requests. Ask your administrator for the TAP Broker Approver role if you need it.
        </p>
      </section>
    );
  }
  // A failed profile falls through: the API decides whether this user may see the queue.
  return <PendingQueue meId={me.status === 'success' ? me.data.id : null} roles={me.status === 'success' ? me.data.roles : []} />;
}

function PendingQueue({ meId, roles }: { meId: string | null; roles: readonly string[] }) {
  const pending = usePortalQuery('/api/tap-requests?scope=pending', parseTapRequestList);
  // Re-judged against the directory now, for all pending requests in one batched read.
  const evaluation = usePortalQuery('/api/tap-requests/evaluation', parsePendingEvaluations);
  const [decided, setDecided] = useState<ReadonlySet<string>>(new Set());
  const [announcement, setAnnouncement] = useState<string | null>(null);
  const shown = useMemo(
    () => (pending.status === 'success' ? pending.data.filter((r) => !decided.has(r.id)).sort(oldestFirst) : []),
    [pending, decided],
  );

  const stepUp = useStepUp();
  const [resumed, setResumed] = useState<ResumedDecision | null>(null);

  const onDecided = (request: TapRequest, decision: Decision) => {
    const target = request.targetDisplayName || 'this person';
    setAnnouncement(decision === 'approve' ? `Approved the request for ${target}.` : `Denied the request for ${target}.`);
    setDecided((previous) => new Set(previous).add(request.id));
    pending.refresh();
    evaluation.refresh();
  };

  // Back from the second factor: the same decision, with the same comment, retried once.
  useResumeStepUp(['approve', 'deny'], (interrupted: Extract<PendingStepUp, { kind: Decision }>) => {
    const base = { requestId: interrupted.requestId, decision: interrupted.kind, text: interrupted.text };
    setResumed({ ...base, phase: 'running' });
    stepUp.retry(interrupted, (call) => postDecision(call, base.requestId, base.decision, base.text)).then(
      (request) => {
        setResumed(null);
        onDecided(request, base.decision);
      },
      (error: unknown) => setResumed({ ...base, phase: 'failed', error }),
    );
  });
  // A retried decision whose request is no longer in the queue reports here instead of in its row.
  const unlisted = resumed !== null && pending.status === 'success' && !shown.some((request) => request.id === resumed.requestId);
  const refreshAll = () => {
    pending.refresh();
    evaluation.refresh();
  };

  return (
    <section aria-labelledby="approvals-title" className="space-y-5">
      <SectionHeading
        id="approvals-title"
        title="Approvals"
        description="Requests waiting for an approver, oldest first. A decision is final."
        action={
          pending.status !== 'loading' && (
            <Button variant="secondary" onClick={refreshAll}>
              Refresh
            </Button>
          )
        }
      />
      <div aria-live="polite">
        {announcement !== null && (
          <p role="status" className="rounded-md border border-green-200 bg-green-50 p-3 text-sm text-green-900">
            {announcement}
          </p>
        )}
      </div>
      {unlisted && resumed.phase === 'failed' && <ProblemAlert error={resumed.error} />}
      {shown.length > 0 && <DecisionStepUpNote roles={roles} />}

      {pending.status === 'loading' && <ListSkeleton label="Loading the requests waiting for approval…" />}
      {pending.status === 'error' && (
        <div className="space-y-3">
          <ProblemAlert error={pending.error} />
          <Button variant="secondary" onClick={pending.reload}>
            Try again
          </Button>
        </div>
      )}
      {pending.status === 'success' && shown.length === 0 && (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
          Nothing is waiting for approval.
        </p>
      )}
      {shown.length > 0 && (
        <>
          <p className="text-sm text-slate-600" data-testid="pending-count">
            {shown.length} waiting
          </p>
          <ul className="space-y-3" aria-label="Requests waiting for approval">
            {shown.map((request) => (
              <PendingRow
                key={request.id}
                request={request}
                meId={meId}
                onDecided={onDecided}
                evaluation={evaluationFor(evaluation, request.id)}
                resumed={resumed?.requestId === request.id ? resumed : null}
                onDeciding={() => setResumed(null)}
              />
            ))}
          </ul>
        </>
      )}
      <ApprovalHistory meId={meId} refreshKey={decided.size} />
    </section>
  );
}

/** Said above the queue when the policy asks for a second factor before a decision. */
function DecisionStepUpNote({ roles }: { roles: readonly string[] }) {
  const limits = useRequestLimits(roles);
  if (limits.status !== 'known' || !limits.limits.stepUpRequiredFor.includes('approve')) return null;
  return (
    <p className="rounded-md border border-blue-200 bg-blue-50 p-3 text-sm text-blue-950" data-testid="step-up-note">
      {STEP_UP_NOTES.decide}
    </p>
  );
}

type RowEvaluation = { status: 'loading' } | { status: 'error' } | { status: 'done'; value: PendingEvaluation | null };

function evaluationFor(state: QueryState<Map<string, PendingEvaluation>>, requestId: string): RowEvaluation {
  if (state.status === 'loading') return { status: 'loading' };
  if (state.status === 'error') return { status: 'error' };
  return { status: 'done', value: state.data.get(requestId) ?? null };
}

/** What the directory says now, before the approver decides (approval re-checks anyway). */
function EvaluationNote({ evaluation }: { evaluation: RowEvaluation }) {
  if (evaluation.status === 'loading') {
    return <p className="mt-2 text-xs text-slate-600">Checking against the directory…</p>;
  }
  if (evaluation.status === 'error' || evaluation.value === null) {
    return <p className="mt-2 text-xs text-slate-600">Could not check against the directory just now; approving checks again.</p>;
  }
  const e = evaluation.value;
  const ineligible = e.code === 'target-ineligible';
  const text = e.approvable
    ? 'Checked now: the requester is still in the reporting line and the person is eligible.'
    : ineligible
      ? e.reasons.length > 0
        ? 'Checked now: not eligible any more, so approving will fail:'
        : 'Checked now: not eligible any more. Approving will fail.'
      : e.code === 'forbidden'
        ? 'Checked now: the requester’s account is no longer an enabled member. Approving will fail.'
        : 'Checked now: the requester is no longer in this person’s reporting line. Approving will fail.';
  return (
    <div
      data-testid="pending-evaluation"
      data-approvable={e.approvable ? 'true' : 'false'}
      className={`mt-2 rounded-md px-2 py-1 text-xs ring-1 ring-inset ${e.approvable ? 'bg-green-50 text-green-900 ring-green-200' : 'bg-amber-50 text-amber-950 ring-amber-300'}`}
    >
      <p>{text}</p>
      {ineligible && e.reasons.length > 0 && <IneligibleReasons reasons={e.reasons} className="mt-1.5 pb-1" />}
    </div>
  );
}

function PendingRow({
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

  const target = personName(request.targetDisplayName, request.targetUserPrincipalName, request.targetUserId, meId);
  const requester = personName(request.requesterDisplayName, undefined, request.requesterId, meId);
  const ownRequest = meId !== null && request.requesterId === meId;
  const aboutMe = meId !== null && request.targetUserId === meId;
  const titleId = `pending-${request.id}-title`;
  const now = useNow();

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
      )}
    </li>
  );
}
