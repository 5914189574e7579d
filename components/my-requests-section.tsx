// The "My requests" page: the signed-in user's requests, getting, revoking or withdrawing them
// (each irreversible step confirmed first), and tracking the passes issued.
'use client';

import Link from 'next/link';
import { useEffect, useMemo, useState } from 'react';
import { StatusBadge } from '@/components/badge';
import { Button } from '@/components/button';
import { ConfirmActionDialog } from '@/components/confirm-action-dialog';
import { useIssuePass, useResumedIssueCount } from '@/components/pass-reveal-provider';
import { IssuedPassesSection, PassStateBadge, usePassStatuses, type PassStatus } from '@/components/pass-tracking';
import { ProblemAlert } from '@/components/problem-alert';
import { ListSkeleton, SectionHeading } from '@/components/section-parts';
import { describeDecision, RequestTerms } from '@/components/request-details';
import { formatDateTime, formatReason } from '@/lib/client/format';
import { useMe } from '@/lib/client/me-context';
import { InteractionRedirectingError } from '@/lib/client/msal';
import { APP_ROLES } from '@/lib/client/navigation';
import { STEP_UP_NOTES } from '@/lib/client/pending-step-up';
import { parseTapRequestList, type TapRequest } from '@/lib/client/portal-types';
import { useNow } from '@/lib/client/use-now';
import { usePortalApi, usePortalQuery } from '@/lib/client/use-portal-api';
import { useRequestLimits } from '@/lib/client/use-request-limits';

type Notice = { kind: 'done'; text: string } | { kind: 'failed'; error: unknown };

/** The step waiting for the user's yes: revoke a pass, withdraw a request, or get a pass that replaces a live one. */
type Confirming = { kind: 'revoke' | 'withdraw'; request: TapRequest } | { kind: 'replace'; request: TapRequest; live: TapRequest };

/** The first 8 characters of a request id, as the portal shows it. */
export function shortRequestId(id: string): string {
  return id.slice(0, 8);
}

/**
 * Another of `requests` whose pass for the same person still works as far as the portal knows
 * (issued, not past its expiry, no outcome recorded, not reported gone by the tracking read):
 * getting `request`'s pass would replace it in Entra.
 */
function findLivePassFor(request: TapRequest, requests: readonly TapRequest[], statuses: ReadonlyMap<string, PassStatus> | null, now: number): TapRequest | null {
  const target = request.targetUserId.toLowerCase();
  return (
    requests.find((other) => {
      if (other.id === request.id || other.status !== 'issued' || other.targetUserId.toLowerCase() !== target) return false;
      if (other.passOutcome !== undefined || other.expiresDateTime === undefined || Date.parse(other.expiresDateTime) <= now) return false;
      const state = statuses?.get(other.id)?.state;
      return state === undefined || state === 'usable' || state === 'not-yet-valid' || state === 'unknown' || state === 'disabled-by-policy';
    }) ?? null
  );
}

function newestFirst(a: TapRequest, b: TapRequest): number {
  return b.createdAt.localeCompare(a.createdAt);
}

/** "My requests": what the signed-in manager asked for, where each request stands, and its next step. */
export function MyRequestsSection() {
  const requests = usePortalQuery('/api/tap-requests?scope=mine', parseTapRequestList);
  const call = usePortalApi();
  const issue = useIssuePass();
  const me = useMe();
  const meId = me.status === 'success' ? me.data.id : null;
  const isAdmin = me.status === 'success' && me.data.roles.includes(APP_ROLES.admin);
  // Tracking after issuance: the live state of every issued pass here, in one batched Graph read.
  const tracking = usePassStatuses('mine');
  const refreshTracking = tracking.refresh;
  const [busyId, setBusyId] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  const now = useNow();
  // A pass issued on the way back from the second factor: the list loaded meanwhile is stale.
  const resumedIssues = useResumedIssueCount();
  const refreshRequests = requests.refresh;
  useEffect(() => {
    if (resumedIssues === 0) return;
    refreshRequests();
    refreshTracking();
  }, [resumedIssues, refreshRequests, refreshTracking]);
  const sorted = useMemo(() => (requests.status === 'success' ? [...requests.data].sort(newestFirst) : []), [requests]);

  const run = async (request: TapRequest, action: () => Promise<string | null>) => {
    setBusyId(request.id);
    setNotice(null);
    try {
      const done = await action();
      if (done !== null) setNotice({ kind: 'done', text: done });
    } catch (error) {
      // Leaving for the second factor: the pass is shown when the user is back.
      if (error instanceof InteractionRedirectingError) return;
      setNotice({ kind: 'failed', error });
    } finally {
      setBusyId(null);
      // The request changed state, or the API said it could not: either way show what is true now.
      requests.refresh();
      refreshTracking();
    }
  };

  const targetName = (request: TapRequest) => request.targetDisplayName || request.targetUserPrincipalName || 'this person';

  const issueNow = (request: TapRequest) =>
    run(request, async () => {
      await issue({ id: request.id, targetName: targetName(request) });
      return null;
    });

  // Entra keeps one pass per person: a new one silently ends the live one, so ask first.
  const getPass = (request: TapRequest) => {
    const live = findLivePassFor(request, sorted, tracking.status === 'success' ? tracking.data : null, now);
    if (live === null) void issueNow(request);
    else setConfirming({ kind: 'replace', request, live });
  };

  /** Runs a confirmed step; a refusal stays in the dialog, success closes it with a notice. */
  const confirmed = async (request: TapRequest, action: 'revoke' | 'withdraw', done: string) => {
    await call(`/api/tap-requests/${encodeURIComponent(request.id)}/${action}`, { method: 'POST', body: {} });
    setConfirming(null);
    setNotice({ kind: 'done', text: done });
    requests.refresh();
    refreshTracking();
  };

  return (
    <section aria-labelledby="my-requests-title" className="space-y-5">
      <SectionHeading
        id="my-requests-title"
        title="My requests"
        description="Passes you asked for, newest first. Get a pass once it is approved; it is shown to you once."
        action={
          requests.status !== 'loading' && (
            <Button
              variant="secondary"
              onClick={() => {
                requests.refresh();
                refreshTracking();
              }}
            >
              Refresh
            </Button>
          )
        }
      />

      <div aria-live="polite">
        {notice?.kind === 'done' && (
          <p role="status" className="rounded-md border border-green-200 bg-green-50 p-3 text-sm text-green-900">
            {notice.text}
          </p>
        )}
      </div>
      {notice?.kind === 'failed' && <ProblemAlert error={notice.error} />}

      {me.status === 'success' && sorted.some((request) => request.status === 'approved') && <StepUpNote roles={me.data.roles} />}

      {requests.status === 'loading' && <ListSkeleton label="Loading your requests…" />}
      {requests.status === 'error' && (
        <div className="space-y-3">
          <ProblemAlert error={requests.error} />
          <Button variant="secondary" onClick={requests.reload}>
            Try again
          </Button>
        </div>
      )}
      {requests.status === 'success' && sorted.length === 0 && (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
          You have not requested any passes yet. Start from{' '}
          <Link href="/" className="font-medium text-blue-800 underline">
            your team
          </Link>
          .
        </p>
      )}
      {sorted.length > 0 && (
        <ul className="space-y-3" aria-label="My requests">
          {sorted.map((request) => (
            <MyRequestRow
              key={request.id}
              request={request}
              meId={meId}
              busy={busyId === request.id}
              passStatus={tracking.status === 'success' ? tracking.data.get(request.id) : undefined}
              anyBusy={busyId !== null}
              onGetPass={getPass}
              onRevoke={(r) => setConfirming({ kind: 'revoke', request: r })}
              onWithdraw={(r) => setConfirming({ kind: 'withdraw', request: r })}
            />
          ))}
        </ul>
      )}
      {isAdmin && <IssuedPassesSection />}
      {confirming?.kind === 'revoke' && (
        <ConfirmActionDialog
          title={`Revoke the pass for ${targetName(confirming.request)}?`}
          confirmLabel="Revoke pass"
          busyLabel="Revoking…"
          cancelLabel="Keep the pass"
          testId="confirm-revoke"
          onCancel={() => setConfirming(null)}
          onConfirm={() =>
            confirmed(confirming.request, 'revoke', `The pass for ${targetName(confirming.request)} is revoked; it no longer signs anyone in.`)
          }
        >
          <p>
            The pass is deleted in Entra at once: {targetName(confirming.request)} can no longer sign in with it. This cannot be
            undone; another pass needs a new request.
          </p>
        </ConfirmActionDialog>
      )}
      {confirming?.kind === 'withdraw' && (
        <ConfirmActionDialog
          title={`Withdraw the request for ${targetName(confirming.request)}?`}
          confirmLabel="Withdraw request"
          busyLabel="Withdrawing…"
          cancelLabel="Keep the request"
          testId="confirm-withdraw"
          onCancel={() => setConfirming(null)}
          onConfirm={() => confirmed(confirming.request, 'withdraw', `The request for ${targetName(confirming.request)} is withdrawn; no pass will be created.`)}
        >
          <p>
            {confirming.request.status === 'pending_approval'
              ? 'It leaves the approvers’ queue and no pass is created.'
              : 'The approval is given up and no pass is created.'}{' '}
            This cannot be undone; ask again if a pass is needed later.
          </p>
        </ConfirmActionDialog>
      )}
      {confirming?.kind === 'replace' && (
        <ReplacePassDialog
          request={confirming.request}
          live={confirming.live}
          name={targetName(confirming.request)}
          onCancel={() => setConfirming(null)}
          onConfirm={async () => {
            setConfirming(null);
            await issueNow(confirming.request);
          }}
        />
      )}
    </section>
  );
}

/** Before a pass that ends a live one: says until when the live one would have worked, and needs a tick. */
function ReplacePassDialog({
  request,
  live,
  name,
  onCancel,
  onConfirm,
}: {
  request: TapRequest;
  live: TapRequest;
  name: string;
  onCancel: () => void;
  onConfirm: () => Promise<void>;
}) {
  const [understood, setUnderstood] = useState(false);
  return (
    <ConfirmActionDialog
      title={`Replace the pass for ${name}?`}
      confirmLabel="Get new pass"
      busyLabel="Creating the pass…"
      tone="primary"
      testId="confirm-replace"
      confirmDisabled={!understood}
      onCancel={onCancel}
      onConfirm={onConfirm}
    >
      <p data-testid="replace-warning" data-request-id={request.id}>
        {name} already has a pass valid until {formatDateTime(live.expiresDateTime ?? '')} (request {shortRequestId(live.id)}). Entra
        keeps one pass per person: getting this one ends that one at once.
      </p>
      <label className="flex items-start gap-2 text-slate-900">
        <input type="checkbox" checked={understood} onChange={(event) => setUnderstood(event.target.checked)} className="mt-0.5 size-4 accent-blue-700" />
        I understand the current pass stops working.
      </label>
    </ConfirmActionDialog>
  );
}

/**
 * Said before "Get pass" when the policy asks for a second factor first. Loaded only while a pass
 * is waiting to be fetched: the limits cost the broker a Graph read.
 */
function StepUpNote({ roles }: { roles: readonly string[] }) {
  const limits = useRequestLimits(roles);
  if (limits.status !== 'known' || !limits.limits.stepUpRequiredFor.includes('issue')) return null;
  return (
    <p className="rounded-md border border-blue-200 bg-blue-50 p-3 text-sm text-blue-950" data-testid="step-up-note">
      {STEP_UP_NOTES.issue}
    </p>
  );
}

function MyRequestRow({
  request,
  meId,
  busy,
  anyBusy,
  onGetPass,
  onRevoke,
  onWithdraw,
  passStatus,
}: {
  request: TapRequest;
  meId: string | null;
  passStatus?: PassStatus | undefined;
  busy: boolean;
  anyBusy: boolean;
  onGetPass: (request: TapRequest) => void;
  onRevoke: (request: TapRequest) => void;
  onWithdraw: (request: TapRequest) => void;
}) {
  const name = request.targetDisplayName || request.targetUserPrincipalName || request.targetUserId;
  const nameId = `request-${request.id}-name`;
  const now = useNow();
  const expired = request.expiresDateTime !== undefined && new Date(request.expiresDateTime).getTime() <= now;
  const decision = describeDecision(request, meId);
  return (
    <li
      id={`request-${request.id}`}
      data-testid="request-row"
      data-request-id={request.id}
      data-status={request.status}
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5"
    >
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h3 id={nameId} className="font-semibold text-slate-900">
              {name}
            </h3>
            <StatusBadge status={request.status} />
            {passStatus !== undefined && request.status === 'issued' && <PassStateBadge status={passStatus} />}
          </div>
          {request.targetUserPrincipalName !== undefined && (
            <p className="break-all text-xs text-slate-600">{request.targetUserPrincipalName}</p>
          )}
          <p className="mt-1 text-xs text-slate-600">Requested {formatDateTime(request.createdAt)}</p>
        </div>
        <div className="flex shrink-0 flex-col items-start gap-1 sm:items-end">
          {request.status === 'approved' && (
            <>
              <Button onClick={() => onGetPass(request)} disabled={anyBusy} aria-describedby={nameId}>
                {busy ? 'Creating the pass…' : 'Get pass'}
              </Button>
              {request.approvalExpiresAt !== undefined && (
                <p className="text-xs text-slate-600">Before {formatDateTime(request.approvalExpiresAt)}</p>
              )}
            </>
          )}
          {request.status === 'issued' && !expired && passStatus?.revocable !== false && (
            <Button variant="secondary" onClick={() => onRevoke(request)} disabled={anyBusy} aria-describedby={nameId}>
              {busy ? 'Revoking…' : 'Revoke'}
            </Button>
          )}
          {request.status === 'issuing' && <p className="text-sm text-slate-700">Being created — refresh in a moment</p>}
          {(request.status === 'pending_approval' || request.status === 'approved') && (
            <Button variant="ghost" onClick={() => onWithdraw(request)} disabled={anyBusy} aria-describedby={nameId}>
              Withdraw
            </Button>
          )}
        </div>
      </div>

      <RequestTerms request={request} className="mt-3" />

      <div className="mt-3 space-y-1 text-sm text-slate-700">
        {decision !== null && <p data-testid="request-decision">{decision}</p>}
        {request.issuedAt !== undefined && (
          <p>
            Issued {formatDateTime(request.issuedAt)}
            {request.expiresDateTime !== undefined && (
              <>
                {' '}
                · {expired ? 'expired' : 'expires'} {formatDateTime(request.expiresDateTime)}
              </>
            )}
          </p>
        )}
        {request.revokedAt !== undefined && <p>Revoked {formatDateTime(request.revokedAt)}</p>}
        {request.replacedByRequestId !== undefined && (
          <p data-testid="request-replaced">
            Replaced by request{' '}
            <a href={`#request-${request.replacedByRequestId}`} className="font-mono font-medium text-blue-800 underline">
              {shortRequestId(request.replacedByRequestId)}
            </a>
            {request.replacedAt !== undefined && <> on {formatDateTime(request.replacedAt)}</>} — Entra keeps one pass per person, so this one
            stopped working.
          </p>
        )}
        {request.withdrawnAt !== undefined && (
          <p data-testid="request-withdrawn">
            Withdrawn {formatDateTime(request.withdrawnAt)}
            {request.withdrawReason !== undefined && <> — “{request.withdrawReason}”</>}
          </p>
        )}
        {(request.failureReason ?? request.failureCode) !== undefined && (
          <p className="text-red-800">{request.failureReason ?? formatReason(request.failureCode ?? '')}</p>
        )}
      </div>
    </li>
  );
}
