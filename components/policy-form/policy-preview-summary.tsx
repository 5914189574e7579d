// What a policy preview found: a headline and the current policy against the draft, in a table.
'use client';

import type { PolicyPreviewView } from '@/components/policy-api';

export function PolicyPreviewSummary({ preview, stale, unchanged }: { preview: PolicyPreviewView; stale: boolean; unchanged: boolean }) {
  const total = preview.totalReportees;
  const people = (n: number) => `${n} ${n === 1 ? 'person' : 'people'}`;
  const headline =
    total === 0
      ? 'Nobody reports to you in the org chart, so there is no one to count here.'
      : preview.loseEligibility > 0
      ? `${preview.loseEligibility} of the ${people(total)} under you lose eligibility.`
      : preview.gainEligibility > 0
        ? `${preview.gainEligibility} of the ${people(total)} under you become eligible.`
        : `No change in who is eligible among the ${people(total)} under you.`;
  return (
    <div className={`space-y-3 ${stale ? 'opacity-60' : ''}`}>
      <p className="text-sm font-medium text-slate-900" data-testid="policy-preview-summary">
        {unchanged && total > 0 ? `The current policy: ${preview.current.eligible} of the ${people(total)} under you are eligible.` : headline}
      </p>
      {stale && <p className="text-sm text-amber-900">The draft changed since this preview.</p>}
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Current policy and draft compared</caption>
        <thead>
          <tr className="text-xs uppercase tracking-wide text-slate-500">
            <th scope="col" className="py-1 font-medium">
              People under you
            </th>
            <th scope="col" className="py-1 text-right font-medium">
              Now (v{preview.currentVersion})
            </th>
            <th scope="col" className="py-1 text-right font-medium">
              Draft
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 tabular-nums">
          {(
            [
              ['Within reach', 'inReach'],
              ['Eligible', 'eligible'],
              ['Would need approval', 'needApproval'],
            ] as const
          ).map(([label, key]) => (
            <tr key={key}>
              <th scope="row" className="py-1.5 font-normal text-slate-700">
                {label}
              </th>
              <td className="py-1.5 text-right text-slate-900">{preview.current[key]}</td>
              <td className="py-1.5 text-right font-semibold text-slate-900">{preview.draft[key]}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {preview.tenantViolations.length > 0 && (
        <ul className="list-inside list-disc text-sm text-red-800">
          {preview.tenantViolations.map((v) => (
            <li key={`${v.path}-${v.message}`}>
              {v.path}: {v.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
