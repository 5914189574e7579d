import { Button } from '@/components/button';
import type { EligibilityScope, Reportee } from '@/lib/client/portal-types';

/** What the team's table and cards show: a page of reportees, judged at `eligibilityScope`, each with its action. */
export interface ReporteeListProps {
  reportees: Reportee[];
  eligibilityScope: EligibilityScope;
  onRequest: (reportee: Reportee) => void;
}

/** Ids that tie a reportee row's action to its name and, when disabled, to the reasons why. */
export function reporteeElementIds(reportee: Reportee): { name: string; reasons: string } {
  return { name: `reportee-${reportee.id}-name`, reasons: `reportee-${reportee.id}-reasons` };
}

/**
 * "Request pass" on a reportee row. Disabled for someone ineligible; the reasons are on the row
 * in words, and the button points at them for assistive technology.
 */
export function RequestPassButton({ reportee, onRequest }: { reportee: Reportee; onRequest: (reportee: Reportee) => void }) {
  const ids = reporteeElementIds(reportee);
  return (
    <Button
      variant="secondary"
      disabled={!reportee.eligible}
      aria-describedby={reportee.eligible ? ids.name : `${ids.name} ${ids.reasons}`}
      onClick={() => onRequest(reportee)}
      className="whitespace-nowrap"
    >
      Request pass
    </Button>
  );
}
