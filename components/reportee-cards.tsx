// The team on narrow screens: the same virtualised tree or list as the table, one card-like
// `reportee-row` per person, stacked.
import { Badge, EligibilityBadge } from '@/components/badge';
import { RequestPassButton, reporteeElementIds } from '@/components/request-pass-button';
import type { TeamLayoutProps } from '@/components/reportee-table';
import { PassState } from '@/components/team/pass-state';
import { ReporteeName } from '@/components/team/reportee-name';
import { TeamGrid, type TeamRowView } from '@/components/team/team-grid';
import { formatDepth } from '@/lib/client/format';

export function ReporteeCards({ eligibilityScope, onRequest, ...grid }: TeamLayoutProps) {
  const renderCells = (view: TeamRowView) => {
    const { reportee } = view.row;
    const role = [reportee.jobTitle, reportee.department].filter((part) => part !== null).join(' · ');
    return (
      <>
        <div role="rowheader" className="min-w-0">
          <ReporteeName {...view} />
          {role !== '' && <p className="mt-1 text-sm text-slate-700">{role}</p>}
          <p className="mt-1 text-sm text-slate-700">
            Reports to <span data-testid="reports-to">{view.managerName ?? '—'}</span>
          </p>
        </div>
        <div role="gridcell" className="flex flex-wrap items-start gap-2">
          <Badge tone={reportee.depth === 1 ? 'blue' : 'neutral'}>{formatDepth(reportee.depth)}</Badge>
          <EligibilityBadge eligible={reportee.eligible} reasons={reportee.ineligibleReasons} scope={eligibilityScope} id={reporteeElementIds(reportee).reasons} />
          <PassState current={reportee.currentRequest} />
        </div>
        <div role="gridcell">
          <RequestPassButton reportee={reportee} onRequest={onRequest} />
        </div>
      </>
    );
  };
  return (
    <div className="overflow-hidden rounded-lg border border-slate-200 bg-white text-sm shadow-sm">
      <TeamGrid
        {...grid}
        onRequest={onRequest}
        estimatedRowHeight={190}
        rowClassName="flex flex-col gap-3 border-b border-slate-100 bg-white p-4"
        headerClassName="sr-only"
        renderCells={renderCells}
        columns={
          <>
            <div role="columnheader" className="sr-only">Person</div>
            <div role="columnheader" className="sr-only">Level, eligibility and pass</div>
            <div role="columnheader" className="sr-only">Actions</div>
          </>
        }
      />
    </div>
  );
}
