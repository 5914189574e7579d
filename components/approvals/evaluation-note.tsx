// What the directory says about a pending request now, shown in its row before the approver decides.
'use client';

import { IneligibleReasons } from '@/components/ineligible-reasons';
import type { PendingEvaluation } from '@/lib/client/portal-types';
import type { QueryState } from '@/lib/client/use-portal-api';

export type RowEvaluation = { status: 'loading' } | { status: 'error' } | { status: 'done'; value: PendingEvaluation | null };

export function evaluationFor(state: QueryState<Map<string, PendingEvaluation>>, requestId: string): RowEvaluation {
  if (state.status === 'loading') return { status: 'loading' };
  if (state.status === 'error') return { status: 'error' };
  return { status: 'done', value: state.data.get(requestId) ?? null };
}

/** What the directory says now, before the approver decides (approval re-checks anyway). */
export function EvaluationNote({ evaluation }: { evaluation: RowEvaluation }) {
  if (evaluation.status === 'loading') {
    return <p className="mt-2 text-xs text-slate-600">Checking against the directory…</p>;
  }
  if (evaluation.status === 'error' || evaluation.value === null) {
    return <p className="mt-2 text-xs text-slate-600">Could not check against the directory just now; approving checks again.</p>;
  }
  const e = evaluation.value;
  const ineligible = e.code === 'target-ineligible';
  const text = e.approvable
    ? 'Checked now: the requester is still in the reporting line and the person is eligible.'
    : ineligible
      ? e.reasons.length > 0
        ? 'Checked now: not eligible any more, so approving will fail:'
        : 'Checked now: not eligible any more. Approving will fail.'
      : e.code === 'forbidden'
        ? 'Checked now: the requester’s account is no longer an enabled member. Approving will fail.'
        : 'Checked now: the requester is no longer in this person’s reporting line. Approving will fail.';
  return (
    <div
      data-testid="pending-evaluation"
      data-approvable={e.approvable ? 'true' : 'false'}
      className={`mt-2 rounded-md px-2 py-1 text-xs ring-1 ring-inset ${e.approvable ? 'bg-green-50 text-green-900 ring-green-200' : 'bg-amber-50 text-amber-950 ring-amber-300'}`}
    >
      <p>{text}</p>
      {ineligible && e.reasons.length > 0 && <IneligibleReasons reasons={e.reasons} className="mt-1.5 pb-1" />}
    </div>
  );
}
