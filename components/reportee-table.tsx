// The team on wide screens: a virtualised grid, one `reportee-row` per person, as a tree or a flat list.
import { EligibilityBadge } from '@/components/badge';
import { RequestPassButton, reporteeElementIds } from '@/components/request-pass-button';
import { PassState } from '@/components/team/pass-state';
import { ReporteeName, ReportsTo } from '@/components/team/reportee-name';
import { TeamGrid, type TeamGridProps, type TeamRowView } from '@/components/team/team-grid';
import type { EligibilityScope } from '@/lib/client/portal-types';

const COLUMNS = 'grid grid-cols-[minmax(15rem,2fr)_minmax(8rem,1fr)_minmax(8rem,1fr)_minmax(10rem,1.4fr)_minmax(8rem,1fr)_8.5rem] gap-x-4 px-4';
const HEADER = 'py-3 text-xs font-semibold uppercase tracking-wide text-slate-600';

export type TeamLayoutProps = Omit<TeamGridProps, 'columns' | 'renderCells' | 'estimatedRowHeight' | 'rowClassName' | 'headerClassName'> & {
  eligibilityScope: EligibilityScope;
};

export function ReporteeTable({ eligibilityScope, onRequest, ...grid }: TeamLayoutProps) {
  const renderCells = (view: TeamRowView) => {
    const { reportee } = view.row;
    return (
      <>
        <div role="rowheader" className="min-w-0 py-3">
          <ReporteeName {...view} />
        </div>
        <div role="gridcell" className="py-3">
          <ReportsTo {...view} />
        </div>
        <div role="gridcell" className="py-3 text-slate-700">
          <p>{reportee.jobTitle ?? <span className="text-slate-500">—</span>}</p>
          {reportee.department !== null && <p className="text-xs text-slate-600">{reportee.department}</p>}
        </div>
        <div role="gridcell" className="py-3">
          <EligibilityBadge eligible={reportee.eligible} reasons={reportee.ineligibleReasons} scope={eligibilityScope} id={reporteeElementIds(reportee).reasons} />
        </div>
        <div role="gridcell" className="py-3">
          <PassState current={reportee.currentRequest} />
        </div>
        <div role="gridcell" className="py-3 text-right">
          <RequestPassButton reportee={reportee} onRequest={onRequest} />
        </div>
      </>
    );
  };
  return (
    <div className="rounded-lg border border-slate-200 bg-white text-left text-sm shadow-sm">
      <TeamGrid
        {...grid}
        onRequest={onRequest}
        estimatedRowHeight={76}
        rowClassName={`${COLUMNS} border-b border-slate-100 bg-white hover:bg-slate-50`}
        headerClassName={`${COLUMNS} border-b border-slate-200 bg-slate-50`}
        renderCells={renderCells}
        columns={
          <>
            <div role="columnheader" className={HEADER}>Name</div>
            <div role="columnheader" className={HEADER}>Reports to</div>
            <div role="columnheader" className={HEADER}>Job title</div>
            <div role="columnheader" className={HEADER}>Eligibility</div>
            <div role="columnheader" className={HEADER}>Pass</div>
            <div role="columnheader" className={HEADER}>
              <span className="sr-only">Actions</span>
            </div>
          </>
        }
      />
    </div>
  );
}
