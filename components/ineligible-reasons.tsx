import { describeReason } from '@/lib/client/ineligibility-reasons';

/**
 * Each reason a pass is refused, as its label and what it means and who can help instead. Colours
 * come from the surrounding panel, so the list reads the same on a table row and in an alert.
 */
export function IneligibleReasons({ reasons, className = '' }: { reasons: readonly string[]; className?: string }) {
  return (
    <ul className={`space-y-1.5 ${className}`} data-testid="ineligible-reasons">
      {reasons.map((code) => {
        const { label, explanation } = describeReason(code);
        return (
          <li key={code} data-testid="ineligible-reason" data-reason={code}>
            <span className="block font-semibold">{label}</span>
            {explanation !== '' && <span className="block">{explanation}</span>}
          </li>
        );
      })}
    </ul>
  );
}
