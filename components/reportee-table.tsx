import { Badge, DepthBadge, EligibilityBadge } from '@/components/badge';
import { ReporteeAvatar } from '@/components/reportee-avatar';
import { reporteeElementIds, RequestPassButton, type ReporteeListProps } from '@/components/request-pass-button';
import { formatUpcomingStart } from '@/lib/client/format';

/** The team on wide screens. Each person is one `reportee-row`. */
export function ReporteeTable({ reportees, eligibilityScope, onRequest }: ReporteeListProps) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Your team</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-xs font-semibold uppercase tracking-wide text-slate-600">
          <tr>
            <th scope="col" className="px-4 py-3">Name</th>
            <th scope="col" className="px-4 py-3">Job title</th>
            <th scope="col" className="px-4 py-3">Department</th>
            <th scope="col" className="px-4 py-3">Level</th>
            <th scope="col" className="px-4 py-3">Eligibility</th>
            <th scope="col" className="px-4 py-3">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {reportees.map((reportee) => {
            const starts = formatUpcomingStart(reportee.employeeHireDate);
            const ids = reporteeElementIds(reportee);
            return (
              <tr key={reportee.id} data-testid="reportee-row" data-user-id={reportee.id} className="align-top hover:bg-slate-50">
                <th scope="row" className="px-4 py-3 font-normal">
                  <div className="flex items-center gap-3">
                    <ReporteeAvatar name={reportee.displayName} />
                    <div className="min-w-0">
                      <p className="font-medium text-slate-900">
                        <span id={ids.name}>{reportee.displayName}</span>
                        {starts !== null && (
                          <span className="ml-2 align-middle">
                            <Badge tone="blue">New hire · starts {starts}</Badge>
                          </span>
                        )}
                      </p>
                      <p className="break-all text-xs text-slate-600" data-testid="reportee-upn">
                        {reportee.userPrincipalName}
                      </p>
                    </div>
                  </div>
                </th>
                <td className="px-4 py-3 text-slate-700">{reportee.jobTitle ?? <span className="text-slate-500">—</span>}</td>
                <td className="px-4 py-3 text-slate-700">{reportee.department ?? <span className="text-slate-500">—</span>}</td>
                <td className="px-4 py-3">
                  <DepthBadge depth={reportee.depth} />
                </td>
                <td className="px-4 py-3">
                  <EligibilityBadge eligible={reportee.eligible} reasons={reportee.ineligibleReasons} scope={eligibilityScope} id={ids.reasons} />
                </td>
                <td className="px-4 py-3 text-right">
                  <RequestPassButton reportee={reportee} onRequest={onRequest} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
