'use client';

import Link from 'next/link';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { Badge, DepthBadge } from '@/components/badge';
import { Button } from '@/components/button';
import { FormField, inputClassName } from '@/components/form-field';
import { ModalDialog } from '@/components/modal-dialog';
import { useIssuePass } from '@/components/pass-reveal-provider';
import { ProblemAlert } from '@/components/problem-alert';
import { formatDateTime, formatLifetime, formatUpcomingStart, toDateTimeLocalValue } from '@/lib/client/format';
import { useMe } from '@/lib/client/me-context';
import { InteractionRedirectingError } from '@/lib/client/msal';
import { STEP_UP_NOTES } from '@/lib/client/pending-step-up';
import { parseTapRequest, type Reportee, type RequestLimits, type TapRequest } from '@/lib/client/portal-types';
import {
  checkJustification,
  getDefaultStart,
  GRAPH_MIN_LIFETIME_MINUTES,
  JUSTIFICATION_MAX_CHARS,
  JUSTIFICATION_MIN_CHARS,
  MAX_START_AHEAD_DAYS,
  toLifetimeInput,
  toLifetimeMinutes,
  type LifetimeInput,
} from '@/lib/client/request-form';
import { useNow } from '@/lib/client/use-now';
import { usePortalApi } from '@/lib/client/use-portal-api';
import { useRequestLimits, type RequestLimitsState } from '@/lib/client/use-request-limits';

/** "Request pass" for one reportee: the form, then what happened to the request. */
export function RequestPassDialog({ reportee, onClose }: { reportee: Reportee; onClose: () => void }) {
  const me = useMe();
  const limits = useRequestLimits(me.status === 'success' ? me.data.roles : []);
  const [created, setCreated] = useState<TapRequest | null>(null);

  return (
    <ModalDialog
      title={created === null ? `Request a pass for ${reportee.displayName}` : 'Request submitted'}
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

function describeApproval(limits: RequestLimits | null, depth: number): string | null {
  switch (limits?.requireApproval) {
    case 'never':
      return 'Approved automatically by policy; you can get the pass right away.';
    case 'always':
      return 'An approver has to approve it before you can get the pass.';
    case 'indirect-only':
      return depth === 1
        ? 'Approved automatically for a direct report; you can get the pass right away.'
        : 'Not a direct report, so an approver has to approve it before you can get the pass.';
    default:
      return null;
  }
}

type FieldErrors = Partial<Record<'justification' | 'lifetime' | 'start', string>>;

function RequestPassForm({
  reportee,
  limits,
  onCreated,
  onCancel,
}: {
  reportee: Reportee;
  limits: RequestLimitsState;
  onCreated: (request: TapRequest) => void;
  onCancel: () => void;
}) {
  const call = usePortalApi();
  const ids = {
    justification: useId(),
    justificationHint: useId(),
    lifetime: useId(),
    lifetimeUnit: useId(),
    lifetimeHint: useId(),
    oneTime: useId(),
    oneTimeHint: useId(),
    start: useId(),
    startHint: useId(),
  };
  const known = limits.status === 'known' ? limits.limits : null;
  const [defaultStart] = useState(() => getDefaultStart(reportee.employeeHireDate));
  const startsOn = formatUpcomingStart(reportee.employeeHireDate);

  const [justification, setJustification] = useState('');
  // null = the policy's default, which may arrive after the form opens.
  const [lifetime, setLifetime] = useState<LifetimeInput | null>(null);
  const [oneTime, setOneTime] = useState(true);
  const [startMode, setStartMode] = useState<'now' | 'later'>(defaultStart === null ? 'now' : 'later');
  const [startValue, setStartValue] = useState(defaultStart === null ? '' : toDateTimeLocalValue(defaultStart));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [submitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const failureRef = useRef<HTMLDivElement>(null);
  const now = useNow();

  // The API's refusal lands at the foot of a long form: bring it into view.
  useEffect(() => {
    if (failure !== null) failureRef.current?.scrollIntoView({ block: 'nearest' });
  }, [failure]);

  const shownLifetime = lifetime ?? (known === null ? { amount: '', unit: 'hours' as const } : toLifetimeInput(known.defaultLifetimeInMinutes));
  const minLifetime = known?.minLifetimeInMinutes ?? GRAPH_MIN_LIFETIME_MINUTES;
  const oneTimeForced = known?.isUsableOnceForced === true;
  const approval = describeApproval(known, reportee.depth);
  const farStart =
    startMode === 'later' && startValue !== '' && new Date(startValue).getTime() > now + MAX_START_AHEAD_DAYS * 86_400_000;

  const validate = (): { errors: FieldErrors; lifetimeInMinutes: number | null; startDateTime: string | null } => {
    const next: FieldErrors = {};
    const justificationError = checkJustification(justification);
    if (justificationError !== null) next.justification = justificationError;

    let lifetimeInMinutes: number | null = null;
    if (shownLifetime.amount.trim() !== '') {
      lifetimeInMinutes = toLifetimeMinutes(shownLifetime);
      if (lifetimeInMinutes === null) next.lifetime = 'Enter a whole number of minutes or hours.';
      else if (known !== null && (lifetimeInMinutes < minLifetime || lifetimeInMinutes > known.maxLifetimeInMinutes)) {
        next.lifetime = `Choose between ${formatLifetime(minLifetime)} and ${formatLifetime(known.maxLifetimeInMinutes)}.`;
      }
    } else if (known !== null) {
      next.lifetime = 'Enter how long the pass should work.';
    }

    let startDateTime: string | null = null;
    if (startMode === 'later') {
      const start = new Date(startValue);
      if (startValue === '' || Number.isNaN(start.getTime())) next.start = 'Pick a date and time, or start when issued.';
      else if (start.getTime() < Date.now() - 5 * 60_000) next.start = 'The start is in the past.';
      else startDateTime = start.toISOString();
    }
    return { errors: next, lifetimeInMinutes, startDateTime };
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const checked = validate();
    setErrors(checked.errors);
    setFailure(null);
    const firstInvalid = (['justification', 'lifetime', 'start'] as const).find((field) => checked.errors[field] !== undefined);
    if (firstInvalid !== undefined) {
      formRef.current?.querySelector<HTMLElement>(`#${CSS.escape(ids[firstInvalid])}`)?.focus();
      return;
    }
    setSubmitting(true);
    try {
      const body = await call('/api/tap-requests', {
        method: 'POST',
        body: {
          targetUserId: reportee.id,
          justification: justification.trim(),
          ...(checked.lifetimeInMinutes === null ? {} : { lifetimeInMinutes: checked.lifetimeInMinutes }),
          isUsableOnce: oneTimeForced || oneTime,
          ...(checked.startDateTime === null ? {} : { startDateTime: checked.startDateTime }),
        },
      });
      onCreated(parseTapRequest(body));
    } catch (error) {
      setFailure(error);
      setSubmitting(false);
    }
  };

  const describedBy = (...parts: (string | false)[]) => parts.filter(Boolean).join(' ') || undefined;

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="space-y-5 text-sm">
      <div className="flex flex-wrap items-center gap-2 rounded-md bg-slate-50 p-3">
        <div className="min-w-0 flex-1">
          <p className="font-medium text-slate-900">{reportee.displayName}</p>
          <p className="break-all text-xs text-slate-600">{reportee.userPrincipalName}</p>
        </div>
        <DepthBadge depth={reportee.depth} />
        {startsOn !== null && <Badge tone="blue">New hire · starts {startsOn}</Badge>}
      </div>

      <FormField
        id={ids.justification}
        label="Justification"
        hint={`Why they need a pass now. At least ${JUSTIFICATION_MIN_CHARS} characters and two words; approvers and auditors read it.`}
        hintId={ids.justificationHint}
        error={errors.justification}
      >
        <textarea
          id={ids.justification}
          value={justification}
          onChange={(event) => setJustification(event.target.value)}
          required
          autoFocus
          rows={3}
          maxLength={JUSTIFICATION_MAX_CHARS}
          aria-invalid={errors.justification !== undefined}
          aria-describedby={describedBy(ids.justificationHint, errors.justification !== undefined && `${ids.justification}-error`)}
          className={`${inputClassName} h-auto min-h-20 w-full py-2`}
        />
      </FormField>

      <FormField
        id={ids.lifetime}
        label="Lifetime"
        hint={
          known === null
            ? limits.status === 'loading'
              ? 'Loading the limits that apply…'
              : 'Leave empty for the policy’s default.'
            : `Between ${formatLifetime(minLifetime)} and ${formatLifetime(known.maxLifetimeInMinutes)}; the default is ${formatLifetime(known.defaultLifetimeInMinutes)}.`
        }
        hintId={ids.lifetimeHint}
        error={errors.lifetime}
      >
        <div className="flex gap-2">
          <input
            id={ids.lifetime}
            type="text"
            inputMode="numeric"
            autoComplete="off"
            value={shownLifetime.amount}
            placeholder={known === null ? 'Default' : undefined}
            onChange={(event) => setLifetime({ ...shownLifetime, amount: event.target.value })}
            aria-invalid={errors.lifetime !== undefined}
            aria-describedby={describedBy(ids.lifetimeHint, errors.lifetime !== undefined && `${ids.lifetime}-error`)}
            className={`${inputClassName} w-28`}
          />
          <label htmlFor={ids.lifetimeUnit} className="sr-only">
            Lifetime unit
          </label>
          <select
            id={ids.lifetimeUnit}
            value={shownLifetime.unit}
            onChange={(event) => setLifetime({ ...shownLifetime, unit: event.target.value === 'minutes' ? 'minutes' : 'hours' })}
            className={`${inputClassName} w-32`}
          >
            <option value="hours">hours</option>
            <option value="minutes">minutes</option>
          </select>
        </div>
      </FormField>

      <div>
        <div className="flex items-start gap-3">
          <input
            id={ids.oneTime}
            type="checkbox"
            checked={oneTimeForced || oneTime}
            disabled={oneTimeForced}
            onChange={(event) => setOneTime(event.target.checked)}
            aria-describedby={ids.oneTimeHint}
            className="mt-0.5 size-5 shrink-0 accent-blue-700"
          />
          <div>
            <label htmlFor={ids.oneTime} className="font-medium text-slate-900">
              One-time use
            </label>
            <p id={ids.oneTimeHint} className="text-slate-600">
              {oneTimeForced
                ? 'Required by policy: the pass works for one sign-in.'
                : 'The pass works for one sign-in. Untick to let it be used until it expires.'}
            </p>
          </div>
        </div>
      </div>

      <fieldset aria-describedby={ids.startHint}>
        <legend className="font-medium text-slate-900">Start</legend>
        <p id={ids.startHint} className="text-slate-600">
          {defaultStart !== null
            ? `${reportee.displayName} starts on ${formatDateTime(defaultStart.toISOString())}; the pass starts then unless you change it.`
            : 'When the pass starts to work.'}
        </p>
        <div className="mt-2 space-y-2">
          <label className="flex items-center gap-3">
            <input
              type="radio"
              name="start"
              value="now"
              checked={startMode === 'now'}
              onChange={() => setStartMode('now')}
              className="size-4 accent-blue-700"
            />
            When I get the pass
          </label>
          <label className="flex items-center gap-3">
            <input
              type="radio"
              name="start"
              value="later"
              checked={startMode === 'later'}
              onChange={() => setStartMode('later')}
              className="size-4 accent-blue-700"
            />
            At a set time
          </label>
        </div>
        {startMode === 'later' && (
          <div className="mt-3">
            <label htmlFor={ids.start} className="mb-1 block font-medium text-slate-800">
              Start date and time
            </label>
            <input
              id={ids.start}
              type="datetime-local"
              value={startValue}
              onChange={(event) => setStartValue(event.target.value)}
              aria-invalid={errors.start !== undefined}
              aria-describedby={describedBy(errors.start !== undefined && `${ids.start}-error`, farStart && `${ids.start}-far`)}
              className={`${inputClassName} w-full sm:w-64`}
            />
            {errors.start !== undefined && (
              <p id={`${ids.start}-error`} className="mt-1 font-medium text-red-700">
                {errors.start}
              </p>
            )}
            {farStart && (
              <p id={`${ids.start}-far`} className="mt-1 text-amber-900">
                That is more than {MAX_START_AHEAD_DAYS} days away, further than a pass may be prepared; request it closer to
                the date.
              </p>
            )}
          </div>
        )}
      </fieldset>

      {approval !== null && (
        <p className="rounded-md border border-blue-200 bg-blue-50 p-3 text-blue-950" data-testid="approval-outlook">
          {approval}
        </p>
      )}

      <div ref={failureRef} className="empty:hidden">
        {failure !== null && <ProblemAlert error={failure} />}
      </div>

      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={submitting}>
          {submitting ? 'Submitting…' : 'Submit request'}
        </Button>
      </div>
    </form>
  );
}

/**
 * After submitting: approved → get the pass now; pending → where to follow it. `stepUp`: the
 * policy asks for a second factor before a pass, so the user is told before the click.
 */
function RequestOutcome({
  request,
  targetName,
  stepUp,
  onClose,
}: {
  request: TapRequest;
  targetName: string;
  stepUp: boolean;
  onClose: () => void;
}) {
  const issue = useIssuePass();
  const [issuing, setIssuing] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);

  const getPass = async () => {
    setIssuing(true);
    setFailure(null);
    try {
      await issue({ id: request.id, targetName });
      onClose();
    } catch (error) {
      // Leaving for the second factor: the dialog comes back with the pass after it.
      if (error instanceof InteractionRedirectingError) return;
      setFailure(error);
      setIssuing(false);
    }
  };

  return (
    <div className="space-y-4 text-sm text-slate-700" data-testid="request-outcome" data-request-id={request.id} data-status={request.status}>
      {request.status === 'approved' ? (
        <>
          <p role="status">
            <span className="font-semibold text-green-800">Approved.</span> The pass for {targetName} is created when you get
            it, and shown once.
            {request.approvalExpiresAt !== undefined && <> Get it before {formatDateTime(request.approvalExpiresAt)}.</>}
          </p>
          {stepUp && (
            <p className="rounded-md border border-blue-200 bg-blue-50 p-3 text-blue-950" data-testid="step-up-note">
              {STEP_UP_NOTES.issue}
            </p>
          )}
          {failure !== null && <ProblemAlert error={failure} />}
          <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <Button variant="secondary" onClick={onClose}>
              Later
            </Button>
            <Button onClick={getPass} disabled={issuing} autoFocus>
              {issuing ? 'Creating the pass…' : 'Get pass'}
            </Button>
          </div>
        </>
      ) : request.status === 'pending_approval' ? (
        <>
          <p role="status">
            <span className="font-semibold text-slate-900">Waiting for approval.</span> An approver has to approve the request
            for {targetName}; then you can get the pass from{' '}
            <Link href="/requests" onClick={onClose} className="font-medium text-blue-800 underline">
              My requests
            </Link>
            .
          </p>
          <div className="flex justify-end">
            <Button variant="secondary" onClick={onClose} autoFocus>
              Close
            </Button>
          </div>
        </>
      ) : (
        <>
          <p role="status">The request is {request.status.replace('_', ' ')}.</p>
          <div className="flex justify-end">
            <Button variant="secondary" onClick={onClose} autoFocus>
              Close
            </Button>
          </div>
        </>
      )}
    </div>
  );
}
