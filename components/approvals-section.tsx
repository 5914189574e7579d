// The approvals page: the pending requests an approver decides on, with the decisions already made
// below them.
'use client';

import { useEffect, useMemo, useRef, useState } from 'react';
import { ApprovalHistory } from '@/components/approval-history';
import { DecisionStepUpNote } from '@/components/approvals/decision-step-up-note';
import { evaluationFor } from '@/components/approvals/evaluation-note';
import { PendingRow } from '@/components/approvals/pending-row';
import { postDecision, type Decision, type ResumedDecision } from '@/components/approvals/post-decision';
import { Button } from '@/components/button';
import { ProblemAlert } from '@/components/problem-alert';
import { ListSkeleton, SectionHeading } from '@/components/section-parts';
import { useMe } from '@/lib/client/me-context';
import { canReviewRequests } from '@/lib/client/navigation';
import type { PendingStepUp } from '@/lib/client/pending-step-up';
import { parsePendingEvaluations, parseTapRequestList, type TapRequest } from '@/lib/client/portal-types';
import { usePortalQuery } from '@/lib/client/use-portal-api';
import { useResumeStepUp, useStepUp } from '@/lib/client/use-step-up';

function oldestFirst(a: TapRequest, b: TapRequest): number {
  return a.createdAt.localeCompare(b.createdAt);
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
  const [announcement, setAnnouncement] = useState<{ text: string; serial: number } | null>(null);
  // The decided row leaves the page with the focused button in it: focus goes to what happened, so a
  // keyboard user carries on from the queue rather than from the top of the page.
  const announcementRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (announcement !== null) announcementRef.current?.focus();
  }, [announcement]);
  const shown = useMemo(
    () => (pending.status === 'success' ? pending.data.filter((r) => !decided.has(r.id)).sort(oldestFirst) : []),
    [pending, decided],
  );

  const stepUp = useStepUp();
  const [resumed, setResumed] = useState<ResumedDecision | null>(null);

  const onDecided = (request: TapRequest, decision: Decision) => {
    const target = request.targetDisplayName || 'this person';
    setAnnouncement((previous) => ({
      text: decision === 'approve' ? `Approved the request for ${target}.` : `Denied the request for ${target}.`,
      serial: (previous?.serial ?? 0) + 1,
    }));
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
          <p
            ref={announcementRef}
            tabIndex={-1}
            role="status"
            data-testid="decision-announcement"
            className="rounded-md border border-green-200 bg-green-50 p-3 text-sm text-green-900"
          >
            {announcement.text}
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
