import { formatDateTime, formatLifetime } from '@/lib/client/format';
import type { TapRequest } from '@/lib/client/portal-types';

/** Who decided and how, in a sentence; null while nobody has. */
export function describeDecision(request: TapRequest, meId: string | null): string | null {
  if (request.decidedBy === undefined) {
    return request.status === 'expired' ? 'Expired before anyone decided.' : null;
  }
  const when = request.decidedAt === undefined ? '' : `, ${formatDateTime(request.decidedAt)}`;
  const who =
    request.decidedBy === 'system'
      ? null
      : request.decidedBy === meId
        ? 'you'
        : (request.decidedByDisplayName ?? 'an approver');
  const comment = request.decisionComment === undefined ? '' : ` — “${request.decisionComment}”`;
  if (request.status === 'denied') return `Denied by ${who ?? 'policy'}${when}${comment}`;
  if (who === null) return `Approved automatically by policy${when}.`;
  return `Approved by ${who}${when}${comment}`;
}

/** What was asked for: lifetime, use, start and the justification. */
export function RequestTerms({ request, className = '' }: { request: TapRequest; className?: string }) {
  return (
    <dl className={`grid grid-cols-3 gap-x-4 gap-y-2 text-sm sm:gap-x-6 ${className}`}>
      <div>
        <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Lifetime</dt>
        <dd className="text-slate-800">{formatLifetime(request.lifetimeInMinutes)}</dd>
      </div>
      <div>
        <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Use</dt>
        <dd className="text-slate-800">{request.isUsableOnce ? 'One sign-in' : 'Until it expires'}</dd>
      </div>
      <div>
        <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Starts</dt>
        <dd className="text-slate-800">{request.startDateTime === null ? 'When issued' : formatDateTime(request.startDateTime)}</dd>
      </div>
      <div className="col-span-3">
        <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Justification</dt>
        <dd className="whitespace-pre-line break-words text-slate-800" data-testid="request-justification">
          {request.justification}
        </dd>
      </div>
    </dl>
  );
}
