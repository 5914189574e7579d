'use client';

import { useCallback, useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { AuditEventDetail } from '@/components/audit-event-detail';
import { AuditExportButtons } from '@/components/audit-export-buttons';
import { AuditVerifyBadge } from '@/components/audit-verify-badge';
import { Badge } from '@/components/badge';
import { Button } from '@/components/button';
import { inputClassName } from '@/components/form-field';
import { ProblemAlert } from '@/components/problem-alert';
import { ListSkeleton, SectionHeading } from '@/components/section-parts';
import { AUDIT_EVENT_TYPE_OPTIONS, formatAuditType, parseAuditPage, type AuditEvent } from '@/lib/client/audit-types';
import { formatDateTime } from '@/lib/client/format';
import { useMe } from '@/lib/client/me-context';
import { canReadAudit } from '@/lib/client/navigation';
import { InteractionRedirectingError } from '@/lib/client/msal';
import { parseTapRequestList, type TapRequest } from '@/lib/client/portal-types';
import { usePortalApi, usePortalQuery } from '@/lib/client/use-portal-api';

const PAGE_SIZE = 50;

/** The filters as typed (datetime-local values are the viewer's local time). */
interface Filters {
  from: string;
  to: string;
  type: string;
  actorId: string;
  targetId: string;
  requestId: string;
}

const NO_FILTERS: Filters = { from: '', to: '', type: '', actorId: '', targetId: '', requestId: '' };

/** A datetime-local value as an ISO instant, or null when empty or unreadable. */
function toIso(local: string): string | null {
  if (local === '') return null;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function toQuery(filters: Filters, cursor: string | null): string {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  const from = toIso(filters.from);
  const to = toIso(filters.to);
  if (from !== null) query.set('from', from);
  if (to !== null) query.set('to', to);
  if (filters.type !== '') query.set('type', filters.type);
  if (filters.actorId.trim() !== '') query.set('actorId', filters.actorId.trim());
  if (filters.targetId.trim() !== '') query.set('targetId', filters.targetId.trim());
  if (filters.requestId.trim() !== '') query.set('requestId', filters.requestId.trim());
  if (cursor !== null) query.set('cursor', cursor);
  return query.toString();
}

function activeFilterCount(filters: Filters): number {
  return Object.values(filters).filter((value) => value.trim() !== '').length;
}

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

type ListState =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'success'; events: AuditEvent[]; nextCursor: string | null; loadingMore: boolean; moreError: unknown };

/**
 * Names for the ids in the trail, from the requests an auditor may read (`scope=all`): the names
 * recorded on each request when it was made. Best effort: an id without a name stays an id.
 */
function namesFromRequests(requests: readonly TapRequest[]): ReadonlyMap<string, string> {
  const names = new Map<string, string>([['system', 'TAP Broker (automatic)']]);
  for (const r of requests) {
    if (r.requesterDisplayName !== undefined) names.set(r.requesterId, r.requesterDisplayName);
    if (r.targetDisplayName !== '') names.set(r.targetUserId, r.targetDisplayName);
    if (r.decidedBy !== undefined && r.decidedByDisplayName !== undefined) names.set(r.decidedBy, r.decidedByDisplayName);
    r.chain.forEach((id, index) => {
      const name = r.chainDisplayNames[index];
      if (name !== undefined && r.chainDisplayNames.length === r.chain.length) names.set(id, name);
    });
  }
  return names;
}

const NO_NAMES: ReadonlyMap<string, string> = new Map([['system', 'TAP Broker (automatic)']]);

function AuditTrail() {
  const call = usePortalApi();
  const requests = usePortalQuery('/api/tap-requests?scope=all', parseTapRequestList);
  const names = useMemo(() => (requests.status === 'success' ? namesFromRequests(requests.data) : NO_NAMES), [requests]);
  const formId = useId();
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<ListState>({ status: 'loading' });
  const [openSeq, setOpenSeq] = useState<number | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    call(`/api/audit?${toQuery(applied, null)}`, { signal: controller.signal })
      .then(parseAuditPage)
      .then(
        (page) => {
          if (!controller.signal.aborted) setState({ status: 'success', ...page, loadingMore: false, moreError: null });
        },
        (error: unknown) => {
          if (controller.signal.aborted || error instanceof InteractionRedirectingError) return;
          setState({ status: 'error', error });
        },
      );
    return () => controller.abort();
  }, [call, applied, attempt]);

  const loadMore = useCallback(async () => {
    if (state.status !== 'success' || state.nextCursor === null || state.loadingMore) return;
    const cursor = state.nextCursor;
    setState({ ...state, loadingMore: true, moreError: null });
    try {
      const page = parseAuditPage(await call(`/api/audit?${toQuery(applied, cursor)}`));
      setState((current) =>
        current.status === 'success'
          ? { status: 'success', events: [...current.events, ...page.events], nextCursor: page.nextCursor, loadingMore: false, moreError: null }
          : current,
      );
    } catch (error) {
      if (error instanceof InteractionRedirectingError) return;
      setState((current) => (current.status === 'success' ? { ...current, loadingMore: false, moreError: error } : current));
    }
  }, [call, applied, state]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setOpenSeq(null);
    setApplied({ ...draft });
  };

  const reset = () => {
    setDraft(NO_FILTERS);
    setApplied(NO_FILTERS);
    setOpenSeq(null);
  };

  const filterBy = (key: 'actorId' | 'targetId' | 'requestId', value: string) => {
    const next = { ...NO_FILTERS, [key]: value };
    setDraft(next);
    setApplied(next);
    setOpenSeq(null);
  };

  const field = (key: keyof Filters) => ({
    id: `${formId}-${key}`,
    value: draft[key],
    onChange: (event: { target: { value: string } }) => setDraft((previous) => ({ ...previous, [key]: event.target.value })),
  });

  const filtersOn = activeFilterCount(applied);

  return (
    <section aria-labelledby="audit-title" className="space-y-5">
      <SectionHeading
        id="audit-title"
        title="Audit trail"
        description="Every request, decision, issuance and policy change, newest first. Each event carries the hash of the one before it."
        action={<AuditVerifyBadge />}
      />

      <div className="grid gap-4 lg:grid-cols-[1fr_auto] lg:items-start">
        <form
          onSubmit={apply}
          aria-label="Filter the audit trail"
          data-testid="audit-filters"
          className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
        >
          <div className="grid gap-3 text-sm sm:grid-cols-2 lg:grid-cols-3">
            <div>
              <label htmlFor={`${formId}-from`} className="block font-medium text-slate-900">
                From
              </label>
              <input type="datetime-local" className={`${inputClassName} mt-1 w-full`} {...field('from')} />
            </div>
            <div>
              <label htmlFor={`${formId}-to`} className="block font-medium text-slate-900">
                Until
              </label>
              <input type="datetime-local" className={`${inputClassName} mt-1 w-full`} {...field('to')} />
            </div>
            <div>
              <label htmlFor={`${formId}-type`} className="block font-medium text-slate-900">
                Event type
              </label>
              <select className={`${inputClassName} mt-1 w-full`} {...field('type')}>
                <option value="">Any type</option>
                {AUDIT_EVENT_TYPE_OPTIONS.map((option) => (
                  <option key={option.value} value={option.value}>
                    {option.label} ({option.value})
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label htmlFor={`${formId}-actorId`} className="block font-medium text-slate-900">
                Actor id
              </label>
              <input className={`${inputClassName} mt-1 w-full font-mono`} spellCheck={false} autoComplete="off" {...field('actorId')} />
            </div>
            <div>
              <label htmlFor={`${formId}-targetId`} className="block font-medium text-slate-900">
                Target id
              </label>
              <input className={`${inputClassName} mt-1 w-full font-mono`} spellCheck={false} autoComplete="off" {...field('targetId')} />
            </div>
            <div>
              <label htmlFor={`${formId}-requestId`} className="block font-medium text-slate-900">
                Request id
              </label>
              <input className={`${inputClassName} mt-1 w-full font-mono`} spellCheck={false} autoComplete="off" {...field('requestId')} />
            </div>
          </div>
          <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <Button variant="ghost" onClick={reset}>
              Clear filters
            </Button>
            <Button type="submit">Apply filters</Button>
          </div>
        </form>
        <AuditExportButtons from={toIso(applied.from)} to={toIso(applied.to)} />
      </div>

      {state.status === 'loading' && <ListSkeleton label="Loading the audit trail…" />}
      {state.status === 'error' && (
        <div className="space-y-3">
          <ProblemAlert error={state.error} />
          <Button variant="secondary" onClick={() => setAttempt((n) => n + 1)}>
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

const TYPE_TONES: Record<string, 'neutral' | 'blue' | 'green' | 'amber' | 'violet' | 'red'> = {
  'tap_request.created': 'blue',
  'tap_request.approved': 'green',
  'tap_request.denied': 'red',
  'tap_request.refused': 'amber',
  'tap_request.expired': 'neutral',
  'tap.issue_started': 'violet',
  'tap.issued': 'green',
  'tap.issue_failed': 'red',
  'tap.revoked': 'neutral',
  'tap.reconciled': 'violet',
  'policy.updated': 'violet',
  'policy.update_refused': 'amber',
  'notification.failed': 'amber',
};

function AuditRow({
  event,
  previous,
  open,
  onToggle,
  onFilter,
  names,
}: {
  event: AuditEvent;
  names: ReadonlyMap<string, string>;
  /** The next older event in the list, when loaded (to show the link between them). */
  previous: AuditEvent | null;
  open: boolean;
  onToggle: () => void;
  onFilter: (key: 'actorId' | 'targetId' | 'requestId', value: string) => void;
}) {
  const detailId = `audit-event-${event.seq}`;
  return (
    <li data-testid="audit-row" data-seq={event.seq} data-type={event.type}>
      <button
        type="button"
        aria-expanded={open}
        aria-controls={detailId}
        onClick={onToggle}
        className="grid w-full grid-cols-[auto_1fr] items-baseline gap-x-3 gap-y-1 px-4 py-3 text-left text-sm hover:bg-slate-50 focus-visible:bg-slate-50 sm:grid-cols-[5rem_11rem_1fr_auto]"
      >
        <span className="font-mono text-xs text-slate-600">#{event.seq}</span>
        <span className="text-slate-700 sm:order-none">
          <time dateTime={event.at}>{formatDateTime(event.at)}</time>
        </span>
        <span className="col-span-2 flex min-w-0 flex-wrap items-center gap-2 sm:col-span-1">
          <Badge tone={TYPE_TONES[event.type] ?? 'neutral'}>{formatAuditType(event.type)}</Badge>
          <span className="truncate font-mono text-xs text-slate-600">{event.type}</span>
          <span className="min-w-0 truncate text-xs text-slate-700">
            by {names.get(event.actorId) ?? `${event.actorId.slice(0, 8)}…`}
            {event.targetId !== undefined && <> · for {names.get(event.targetId) ?? `${event.targetId.slice(0, 8)}…`}</>}
          </span>
        </span>
        <span className="col-span-2 text-xs font-medium text-blue-800 sm:col-span-1">
          {open ? 'Hide details' : 'Details'}
          <span className="sr-only"> of event {event.seq}</span>
        </span>
      </button>
      {open && <AuditEventDetail id={detailId} event={event} previous={previous} onFilter={onFilter} names={names} />}
    </li>
  );
}
