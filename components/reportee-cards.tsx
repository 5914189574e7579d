import { Badge, DepthBadge, EligibilityBadge } from '@/components/badge';
import { ReporteeAvatar } from '@/components/reportee-avatar';
import { reporteeElementIds, RequestPassButton, type ReporteeListProps } from '@/components/request-pass-button';
import { formatUpcomingStart } from '@/lib/client/format';

/** The team on narrow screens: one card per person, each a `reportee-row`. */
export function ReporteeCards({ reportees, eligibilityScope, onRequest }: ReporteeListProps) {
  return (
    <ul className="space-y-3" aria-label="Your team">
      {reportees.map((reportee) => {
        const starts = formatUpcomingStart(reportee.employeeHireDate);
        const role = [reportee.jobTitle, reportee.department].filter((part) => part !== null).join(' · ');
        const ids = reporteeElementIds(reportee);
        return (
          <li
            key={reportee.id}
            data-testid="reportee-row"
            data-user-id={reportee.id}
            className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
          >
            <div className="flex items-start gap-3">
              <ReporteeAvatar name={reportee.displayName} />
              <div className="min-w-0 flex-1">
                <p className="font-medium text-slate-900" id={ids.name}>
                  {reportee.displayName}
                </p>
                <p className="break-all text-xs text-slate-600" data-testid="reportee-upn">
                  {reportee.userPrincipalName}
                </p>
                {role !== '' && <p className="mt-1 text-sm text-slate-700">{role}</p>}
                <div className="mt-3 flex flex-wrap items-start gap-2">
                  <DepthBadge depth={reportee.depth} />
                  {starts !== null && <Badge tone="blue">New hire · starts {starts}</Badge>}
                  <EligibilityBadge eligible={reportee.eligible} reasons={reportee.ineligibleReasons} scope={eligibilityScope} id={ids.reasons} />
                </div>
                <div className="mt-3">
                  <RequestPassButton reportee={reportee} onRequest={onRequest} />
                </div>
              </div>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
