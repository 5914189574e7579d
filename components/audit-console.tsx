'use client';

import { useMemo, useState, type FormEvent } from 'react';
import { AuditExportButtons } from '@/components/audit-export-buttons';
import { AuditVerifyBadge } from '@/components/audit-verify-badge';
import { AuditFilterForm } from '@/components/audit/audit-filter-form';
import { activeFilterCount, getPeriodError, NO_FILTERS, type AuditFilters, type AuditIdFilter } from '@/components/audit/audit-filters';
import { namesFromRequests, NO_NAMES } from '@/components/audit/audit-names';
import { AuditRow } from '@/components/audit/audit-row';
import { useAuditEvents } from '@/components/audit/use-audit-events';
import { Button } from '@/components/button';
import { ProblemAlert } from '@/components/problem-alert';
import { ListSkeleton, SectionHeading } from '@/components/section-parts';
import { ApiError } from '@/lib/client/api-fetch';
import { useMe } from '@/lib/client/me-context';
import { canReadAudit } from '@/lib/client/navigation';
import { parseTapRequestList } from '@/lib/client/portal-types';
import { usePortalQuery } from '@/lib/client/use-portal-api';

/** "Audit": the audit trail, filterable and keyset-paginated, with its verification and exports. Auditors and admins. */
export function AuditConsole() {
  const me = useMe();
  if (me.status === 'loading') return <ListSkeleton label="Loading…" />;
  if (me.status === 'success' && !canReadAudit(me.data.roles)) {
    return (
      <section aria-labelledby="audit-title" className="space-y-4">
        <SectionHeading id="audit-title" title="Audit trail" description="Every decision the broker made, hash-chained." />
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
          Only auditors and administrators read the audit trail.
        </p>
      </section>
    );
  }
  return <AuditTrail />;
}

function AuditTrail() {
  const requests = usePortalQuery('/api/tap-requests?scope=all', parseTapRequestList);
  const names = useMemo(() => (requests.status === 'success' ? namesFromRequests(requests.data) : NO_NAMES), [requests]);
  const [draft, setDraft] = useState<AuditFilters>(NO_FILTERS);
  const [applied, setApplied] = useState<AuditFilters>(NO_FILTERS);
  const [openSeq, setOpenSeq] = useState<number | null>(null);
  const [formPeriodError, setFormPeriodError] = useState<string | null>(null);
  const { state, retry, loadMore } = useAuditEvents(applied);
  // The API refuses an inverted window too (`validation-failed` on `to`): shown on the same field.
  const apiPeriodError = state.status === 'error' ? getPeriodProblem(state.error) : null;
  const periodError = formPeriodError ?? apiPeriodError;

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const problem = getPeriodError(draft);
    setFormPeriodError(problem);
    if (problem !== null) return;
    setOpenSeq(null);
    setApplied({ ...draft });
  };

  const reset = () => {
    setFormPeriodError(null);
    setDraft(NO_FILTERS);
    setApplied(NO_FILTERS);
    setOpenSeq(null);
  };

  const filterBy = (key: AuditIdFilter, value: string) => {
    const next = { ...NO_FILTERS, [key]: value };
    setFormPeriodError(null);
    setDraft(next);
    setApplied(next);
    setOpenSeq(null);
  };

  const filtersOn = activeFilterCount(applied);

  return (
    <section aria-labelledby="audit-title" className="space-y-5">
      <SectionHeading
        id="audit-title"
        title="Audit trail"
        description="Every request, decision, issuance and policy change, newest first. Each event carries the hash of the one before it."
        action={<AuditVerifyBadge />}
      />

      {/* Stacked, not side by side: the export's messages (a long file name) must never squeeze the filter card. */}
      <div className="space-y-4">
        <AuditFilterForm draft={draft} onDraftChange={setDraft} onApply={apply} onReset={reset} periodError={periodError} />
        <AuditExportButtons
          filters={applied}
          shown={state.status === 'success' ? { count: state.events.length, more: state.nextCursor !== null } : null}
          onExported={retry}
        />
      </div>

      {state.status === 'loading' && <ListSkeleton label="Loading the audit trail…" />}
      {state.status === 'error' && apiPeriodError === null && (
        <div className="space-y-3">
          <ProblemAlert error={state.error} />
          <Button variant="secondary" onClick={retry}>
            Try again
          </Button>
        </div>
      )}
      {state.status === 'success' && (
        <>
          <p className="text-sm text-slate-600" role="status" data-testid="audit-count">
            {state.events.length === 0
              ? filtersOn > 0
                ? 'No events match these filters.'
                : 'The audit trail is empty.'
              : `Showing ${state.events.length} event${state.events.length === 1 ? '' : 's'}${state.nextCursor !== null ? ' (more below)' : ''}${
                  filtersOn > 0 ? ` · ${filtersOn} filter${filtersOn === 1 ? '' : 's'} on` : ''
                }.`}
          </p>
          {state.events.length > 0 && (
            <ol className="divide-y divide-slate-100 overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm" aria-label="Audit events">
              {state.events.map((event, index) => (
                <AuditRow
                  key={event.seq}
                  event={event}
                  previous={state.events[index + 1] ?? null}
                  open={openSeq === event.seq}
                  onToggle={() => setOpenSeq((current) => (current === event.seq ? null : event.seq))}
                  onFilter={filterBy}
                  names={names}
                />
              ))}
            </ol>
          )}
          {state.moreError !== null && <ProblemAlert error={state.moreError} />}
          {state.nextCursor !== null && (
            <div className="flex justify-center">
              <Button variant="secondary" onClick={loadMore} disabled={state.loadingMore} data-testid="audit-load-more">
                {state.loadingMore ? 'Loading…' : 'Load more'}
              </Button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** The API's refusal of the period (`validation-failed` naming `to` or `from`), as the field's message. */
function getPeriodProblem(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.code !== 'validation-failed') return null;
  const issue = error.issues.find((i) => i.path === 'to' || i.path === 'from');
  return issue === undefined ? null : `"Until" must be after "From" (${issue.message}).`;
}
