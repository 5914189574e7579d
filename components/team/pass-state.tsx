// A reportee's open request or live pass in words, for the team's rows and cards.
import type { ReporteeCurrentRequest } from '@/lib/contract/reportees';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayTimeFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** "14:30" today, "3 Dec, 14:30" on another day (in the viewer's time zone). */
function formatUntil(iso: string, now: Date): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toDateString() === now.toDateString() ? timeFormat.format(date) : dayTimeFormat.format(date);
}

/** "Pass active until 14:30 · one-time", "Waiting for approval", "Approved — ready to issue", "Being issued". */
export function describeCurrentRequest(current: ReporteeCurrentRequest, now: Date = new Date()): string {
  let text: string;
  switch (current.status) {
    case 'issued':
      text =
        current.expiresDateTime === undefined ? 'Pass active' : `Pass active until ${formatUntil(current.expiresDateTime, now)}`;
      if (current.isUsableOnce) text += ' · one-time';
      break;
    case 'pending_approval':
      text = 'Waiting for approval';
      break;
    case 'approved':
      text = 'Approved — ready to issue';
      break;
    case 'issuing':
      text = 'Being issued';
      break;
  }
  return current.requestedByCaller ? text : `${text} · requested by another manager`;
}

// Like the portal's badges, but wrapping: a long "until … · requested by another manager" fits a phone.
const TONES: Record<ReporteeCurrentRequest['status'], string> = {
  issued: 'bg-green-50 text-green-800 ring-green-200',
  pending_approval: 'bg-amber-50 text-amber-900 ring-amber-300',
  approved: 'bg-blue-50 text-blue-800 ring-blue-200',
  issuing: 'bg-violet-50 text-violet-800 ring-violet-200',
};

/** The pass column of a row: nothing when the person has no open request or live pass. */
export function PassState({ current }: { current: ReporteeCurrentRequest | undefined }) {
  if (current === undefined) return <span className="text-slate-500">—</span>;
  return (
    <span
      data-testid="reportee-pass"
      data-pass-status={current.status}
      className={`inline-flex rounded-md px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${TONES[current.status]}`}
    >
      {describeCurrentRequest(current)}
    </span>
  );
}
