import type { ReactNode } from 'react';
import { IneligibleReasons } from '@/components/ineligible-reasons';
import { formatDepth, formatRole, formatStatus } from '@/lib/client/format';
import type { EligibilityScope, TapRequestStatus } from '@/lib/client/portal-types';

/** The portal's small labels (roles, depths, eligibility, request statuses) in one set of tones. */

type Tone = 'neutral' | 'blue' | 'green' | 'amber' | 'violet' | 'red';

const TONES: Record<Tone, string> = {
  neutral: 'bg-slate-100 text-slate-700 ring-slate-300',
  blue: 'bg-blue-50 text-blue-800 ring-blue-200',
  green: 'bg-green-50 text-green-800 ring-green-200',
  amber: 'bg-amber-50 text-amber-900 ring-amber-300',
  violet: 'bg-violet-50 text-violet-800 ring-violet-200',
  red: 'bg-red-50 text-red-800 ring-red-200',
};

export function Badge({ tone = 'neutral', children, title }: { tone?: Tone; children: ReactNode; title?: string }) {
  return (
    <span
      title={title}
      className={`inline-flex items-center whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${TONES[tone]}`}
    >
      {children}
    </span>
  );
}

export function RoleBadge({ role }: { role: string }) {
  return (
    <Badge tone="violet" title={role}>
      {formatRole(role)}
    </Badge>
  );
}

export function DepthBadge({ depth }: { depth: number }) {
  return <Badge tone={depth === 1 ? 'blue' : 'neutral'}>{formatDepth(depth)}</Badge>;
}

/**
 * Eligible, or not with each reason spelled out and explained (colour is never the only signal).
 * `id` is what a disabled "Request pass" points at, so it covers the reasons too.
 */
export function EligibilityBadge({ eligible, reasons, scope = 'full', id }: { eligible: boolean; reasons: string[]; scope?: EligibilityScope; id?: string }) {
  // With `account` scope only the account's own state was judged: the rest is checked on request.
  if (eligible) return scope === 'full' ? <Badge tone="green">Eligible</Badge> : <Badge tone="neutral">Checked on request</Badge>;
  return (
    <div className="flex max-w-xs flex-col items-start gap-1.5" id={id}>
      <Badge tone="amber">Not eligible</Badge>
      {reasons.length > 0 && <IneligibleReasons reasons={reasons} className="text-xs text-slate-700" />}
    </div>
  );
}

const STATUS_TONES: Record<TapRequestStatus, Tone> = {
  pending_approval: 'amber',
  approved: 'blue',
  denied: 'red',
  expired: 'neutral',
  issuing: 'violet',
  issued: 'green',
  revoked: 'neutral',
  failed: 'red',
  withdrawn: 'neutral',
};

/** A request's status in words (the tone only repeats it). */
export function StatusBadge({ status }: { status: TapRequestStatus }) {
  return (
    <span data-testid="request-status">
      <Badge tone={STATUS_TONES[status]}>{formatStatus(status)}</Badge>
    </span>
  );
}
