// The parts of a team row that the table and the cards share: the name with its tree toggle, and
// "Reports to" with the level.
import { Badge, DepthBadge } from '@/components/badge';
import { ReporteeAvatar } from '@/components/reportee-avatar';
import { reporteeElementIds } from '@/components/request-pass-button';
import type { TeamRowView } from '@/components/team/team-grid';
import { formatUpcomingStart } from '@/lib/client/format';

/** Indentation stops growing here, so a deep chain still leaves room for the name. */
const MAX_INDENT_LEVEL = 8;

/** Opens or closes a manager's team by pointer; the keyboard uses the row's arrow keys instead. */
function TreeToggle({ row, tree, onToggle }: TeamRowView) {
  if (!tree) return null;
  if (row.childCount === 0) return <span aria-hidden="true" className="w-6 shrink-0" />;
  const name = row.reportee.displayName;
  return (
    <button
      type="button"
      tabIndex={-1}
      onClick={onToggle}
      aria-label={`${row.expanded ? 'Collapse' : 'Expand'} ${name}’s team (${row.childCount})`}
      data-testid="tree-toggle"
      className="flex size-6 shrink-0 items-center justify-center rounded text-slate-700 hover:bg-slate-200"
    >
      <span aria-hidden="true" className={`inline-block transition-transform motion-reduce:transition-none ${row.expanded ? 'rotate-90' : ''}`}>
        ▸
      </span>
    </button>
  );
}

/** Avatar, name, UPN and new-hire badge, indented by level in the tree. */
export function ReporteeName(view: TeamRowView) {
  const { row, tree } = view;
  const { reportee } = row;
  const starts = formatUpcomingStart(reportee.employeeHireDate);
  const ids = reporteeElementIds(reportee);
  const indent = tree ? Math.min(row.level, MAX_INDENT_LEVEL) - 1 : 0;
  return (
    <div className="flex min-w-0 items-start gap-2" style={{ paddingInlineStart: `${indent * 1.25}rem` }}>
      <TreeToggle {...view} />
      <ReporteeAvatar name={reportee.displayName} />
      <div className="min-w-0">
        <p className="font-medium text-slate-900">
          <span id={ids.name}>{reportee.displayName}</span>
          {tree && row.childCount > 0 && (
            <span className="ml-2 text-xs font-normal text-slate-600" data-testid="team-size">
              {row.childCount} {row.childCount === 1 ? 'report' : 'reports'}
            </span>
          )}
          {starts !== null && (
            <span className="ml-2 align-middle">
              <Badge tone="blue">New hire · starts {starts}</Badge>
            </span>
          )}
        </p>
        <p className="break-all text-xs text-slate-600" data-testid="reportee-upn">
          {reportee.userPrincipalName}
        </p>
        {!row.matches && <p className="text-xs italic text-slate-600">Shown for the people below</p>}
      </div>
    </div>
  );
}

/** "Reports to Lee Gu" and the level below the caller. */
export function ReportsTo({ managerName, row }: TeamRowView) {
  return (
    <div className="flex flex-col items-start gap-1">
      <span className="text-slate-700" data-testid="reports-to">
        {managerName ?? <span className="text-slate-500">—</span>}
      </span>
      <DepthBadge depth={row.reportee.depth} />
    </div>
  );
}
