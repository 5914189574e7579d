// The "Request pass" form: its fields, the approval outlook, and the submit that creates the request.
'use client';

import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { Button } from '@/components/button';
import { ProblemAlert } from '@/components/problem-alert';
import { CurrentRequestWarning } from '@/components/request-pass/current-request-warning';
import { describeApproval } from '@/components/request-pass/describe-approval';
import { JustificationField } from '@/components/request-pass/justification-field';
import { LifetimeField } from '@/components/request-pass/lifetime-field';
import { OneTimeField } from '@/components/request-pass/one-time-field';
import { ReporteeSummary } from '@/components/request-pass/reportee-summary';
import { useRequestPassIds } from '@/components/request-pass/request-pass-ids';
import { StartFieldset } from '@/components/request-pass/start-fieldset';
import { useRequestPassDraft, type RequestFieldErrors } from '@/components/request-pass/use-request-pass-draft';
import { parseTapRequest, type Reportee, type TapRequest } from '@/lib/client/portal-types';
import { usePortalApi } from '@/lib/client/use-portal-api';
import type { RequestLimitsState } from '@/lib/client/use-request-limits';

export function RequestPassForm({
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
  const ids = useRequestPassIds();
  const known = limits.status === 'known' ? limits.limits : null;
  const draft = useRequestPassDraft(reportee, known);
  const [errors, setErrors] = useState<RequestFieldErrors>({});
  const [submitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  // A live pass or an open request for the person: a new pass replaces it, so ask for a tick first.
  const needsAcknowledgement = reportee.currentRequest !== undefined;
  const [acknowledged, setAcknowledged] = useState(false);
  const acknowledgeId = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const failureRef = useRef<HTMLDivElement>(null);

  // The API's refusal lands at the foot of a long form: bring it into view.
  useEffect(() => {
    if (failure !== null) failureRef.current?.scrollIntoView({ block: 'nearest' });
  }, [failure]);

  const approval = describeApproval(known, reportee.depth);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const checked = draft.validate();
    setErrors(checked.errors);
    setFailure(null);
    const firstInvalid = (['justification', 'lifetime', 'start'] as const).find((field) => checked.errors[field] !== undefined);
    if (firstInvalid !== undefined) {
      formRef.current?.querySelector<HTMLElement>(`#${CSS.escape(ids[firstInvalid])}`)?.focus();
      return;
    }
    if (needsAcknowledgement && !acknowledged) return;
    setSubmitting(true);
    try {
      const body = await call('/api/tap-requests', {
        method: 'POST',
        body: {
          targetUserId: reportee.id,
          justification: draft.justification.trim(),
          ...(checked.lifetimeInMinutes === null ? {} : { lifetimeInMinutes: checked.lifetimeInMinutes }),
          isUsableOnce: draft.oneTime,
          ...(checked.startDateTime === null ? {} : { startDateTime: checked.startDateTime }),
        },
      });
      onCreated(parseTapRequest(body));
    } catch (error) {
      setFailure(error);
      setSubmitting(false);
    }
  };

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="space-y-5 text-sm">
      <ReporteeSummary reportee={reportee} />
      <JustificationField ids={ids} draft={draft} error={errors.justification} />
      <LifetimeField ids={ids} draft={draft} limits={limits} error={errors.lifetime} />
      <OneTimeField ids={ids} draft={draft} />
      <StartFieldset ids={ids} draft={draft} targetName={reportee.displayName} error={errors.start} />

      {approval !== null && (
        <p className="rounded-md border border-blue-200 bg-blue-50 p-3 text-blue-950" data-testid="approval-outlook">
          {approval}
        </p>
      )}

      <CurrentRequestWarning reportee={reportee} acknowledged={acknowledged} onAcknowledge={setAcknowledged} id={acknowledgeId} />

      <div ref={failureRef} className="empty:hidden">
        {failure !== null && <ProblemAlert error={failure} />}
      </div>

      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={submitting || (needsAcknowledgement && !acknowledged)}>
          {submitting ? 'Submitting…' : 'Submit request'}
        </Button>
      </div>
    </form>
  );
}
