// One audit event opened in full, with the evidence that links it into the hash chain.
'use client';

import type { ReactNode } from 'react';
import { Button } from '@/components/button';
import type { AuditEvent } from '@/lib/client/audit-types';
import { formatDateTime } from '@/lib/client/format';

const GENESIS_PREV_HASH = '0'.repeat(64);

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">{label}</dt>
      <dd className="mt-0.5 break-all text-sm text-slate-900">{children}</dd>
    </div>
  );
}

/** What the list can tell about the link from this event to the one before it. */
function linkEvidence(event: AuditEvent, previous: AuditEvent | null): { text: string; tone: 'ok' | 'bad' | 'unknown' } {
  if (event.seq === 1) {
    return event.prevHash === GENESIS_PREV_HASH
      ? { text: 'First event: its previous hash is the genesis value (64 zeros).', tone: 'ok' }
      : { text: 'First event, but its previous hash is not the genesis value.', tone: 'bad' };
  }
  if (previous === null || previous.seq !== event.seq - 1) {
    return {
      text: `Event #${event.seq - 1} is not in this list (filtered out or not loaded); the verification badge checks every link.`,
      tone: 'unknown',
    };
  }
  return previous.hash === event.prevHash
    ? { text: `Links to event #${previous.seq}: its hash equals this event's previous hash.`, tone: 'ok' }
    : { text: `Does not link to event #${previous.seq}: its hash differs from this event's previous hash.`, tone: 'bad' };
}

/**
 * One event in full: identity, the acting and affected ids (each a one-click filter), the recorded
 * data, and its chain evidence (previous hash and hash). The recomputation itself is the server's
 * (`/api/audit/verify`) and the offline verifier's job; this shows the evidence they check.
 */
export function AuditEventDetail({
  id,
  event,
  previous,
  onFilter,
  names,
}: {
  id: string;
  event: AuditEvent;
  previous: AuditEvent | null;
  /** Display names for ids, where the console knows them. */
  names: ReadonlyMap<string, string>;
  onFilter: (key: 'actorId' | 'targetId' | 'requestId', value: string) => void;
}) {
  const link = linkEvidence(event, previous);
  return (
    <div id={id} data-testid="audit-detail" className="space-y-4 border-t border-slate-100 bg-slate-50 px-4 py-4">
      <dl className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        <Field label="Sequence">#{event.seq}</Field>
        <Field label="Event id">
          <code className="font-mono text-xs">{event.id}</code>
        </Field>
        <Field label="When">
          <time dateTime={event.at}>{formatDateTime(event.at)}</time>{' '}
          <span className="font-mono text-xs text-slate-600">({event.at})</span>
        </Field>
        <Field label="Type">
          <code className="font-mono text-xs">{event.type}</code>
        </Field>
        <Field label="Actor">
          {names.has(event.actorId) && <span className="mr-1 font-medium">{names.get(event.actorId)}</span>}
          <code className="font-mono text-xs">{event.actorId}</code>{' '}
          <FilterLink onClick={() => onFilter('actorId', event.actorId)} what="by this actor" />
        </Field>
        <Field label="Target">
          {event.targetId === undefined ? (
            <span className="text-slate-600">None</span>
          ) : (
            <>
              {names.has(event.targetId) && <span className="mr-1 font-medium">{names.get(event.targetId)}</span>}
              <code className="font-mono text-xs">{event.targetId}</code>{' '}
              <FilterLink onClick={() => onFilter('targetId', event.targetId ?? '')} what="by this target" />
            </>
          )}
        </Field>
        <Field label="TAP request">
          {event.requestId === undefined ? (
            <span className="text-slate-600">None</span>
          ) : (
            <>
              <code className="font-mono text-xs">{event.requestId}</code>{' '}
              <FilterLink onClick={() => onFilter('requestId', event.requestId ?? '')} what="by this request" />
            </>
          )}
        </Field>
      </dl>

      <div>
        <h3 className="text-xs font-medium uppercase tracking-wide text-slate-600">Recorded data</h3>
        <pre
          tabIndex={0}
          aria-label={`Recorded data of event ${event.seq}`}
          className="mt-1 max-h-80 overflow-auto rounded-md border border-slate-200 bg-white p-3 font-mono text-xs leading-5 text-slate-900"
        >
          {JSON.stringify(event.data, null, 2)}
        </pre>
      </div>

      <div>
        <h3 className="text-xs font-medium uppercase tracking-wide text-slate-600">Chain evidence</h3>
        <dl className="mt-1 space-y-2 rounded-md border border-slate-200 bg-white p-3">
          <Field label="Previous hash">
            <code className="font-mono text-xs" data-testid="audit-prev-hash">
              {event.prevHash}
            </code>
          </Field>
          <Field label="Hash = SHA-256(previous hash ‖ canonical event)">
            <code className="font-mono text-xs" data-testid="audit-hash">
              {event.hash}
            </code>
          </Field>
        </dl>
        <p
          data-testid="audit-link"
          data-link={link.tone}
          className={`mt-2 text-sm ${link.tone === 'ok' ? 'text-green-800' : link.tone === 'bad' ? 'font-semibold text-red-800' : 'text-slate-700'}`}
        >
          {link.text}
        </p>
      </div>
    </div>
  );
}

/** Replaces the filters with this one value; the visible word starts the accessible name (WCAG 2.5.3). */
function FilterLink({ onClick, what }: { onClick: () => void; what: string }) {
  return (
    <Button variant="ghost" onClick={onClick} className="min-h-8 px-2 py-0 text-xs text-blue-800">
      Filter<span className="sr-only"> {what}</span>
    </Button>
  );
}
