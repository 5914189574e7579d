// Whom the pass is for, at the top of the request form: name, sign-in name, depth, start date.
'use client';

import { Badge, DepthBadge } from '@/components/badge';
import { formatUpcomingStart } from '@/lib/client/format';
import type { Reportee } from '@/lib/client/portal-types';

export function ReporteeSummary({ reportee }: { reportee: Reportee }) {
  const startsOn = formatUpcomingStart(reportee.employeeHireDate);
  return (
    <div className="flex flex-wrap items-center gap-2 rounded-md bg-slate-50 p-3">
      <div className="min-w-0 flex-1">
        <p className="font-medium text-slate-900">{reportee.displayName}</p>
        <p className="break-all text-xs text-slate-600">{reportee.userPrincipalName}</p>
      </div>
      <DepthBadge depth={reportee.depth} />
      {startsOn !== null && <Badge tone="blue">New hire · starts {startsOn}</Badge>}
    </div>
  );
}
