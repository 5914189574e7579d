// One event in the audit trail: a summary line that opens its detail.
'use client';

import { AuditEventDetail } from '@/components/audit-event-detail';
import { Badge } from '@/components/badge';
import { formatAuditType, type AuditEvent } from '@/lib/client/audit-types';
import type { AuditEventType } from '@/lib/contract/audit';
import { formatDateTime } from '@/lib/client/format';

// Every type the catalogue lists has a tone (the compiler checks it); a type the trail holds from an
// older catalogue reads neutral.
const TYPE_TONES: Record<AuditEventType, 'neutral' | 'blue' | 'green' | 'amber' | 'violet' | 'red'> = {
  'tap_request.created': 'blue',
  'tap_request.approved': 'green',
  'tap_request.denied': 'red',
  'tap_request.refused': 'amber',
  'tap_request.expired': 'neutral',
  'tap_request.withdrawn': 'neutral',
  'tap.issue_started': 'violet',
  'tap.issued': 'green',
  'tap.issue_failed': 'red',
  'tap.revoked': 'neutral',
  'tap.replaced': 'amber',
  'tap.outcome_observed': 'neutral',
  'tap.reconciled': 'violet',
  'policy.updated': 'violet',
  'policy.update_refused': 'amber',
  'audit.exported': 'blue',
  'audit.verified': 'blue',
  'notification.failed': 'amber',
  'rate_limit.exceeded': 'amber',
};

export function AuditRow({
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
          <Badge tone={Object.hasOwn(TYPE_TONES, event.type) ? TYPE_TONES[event.type as AuditEventType] : 'neutral'}>{formatAuditType(event.type)}</Badge>
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
