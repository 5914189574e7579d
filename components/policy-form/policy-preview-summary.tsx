// What a policy preview found over the whole organisation: the current policy against the draft in
// a table, then who gains or loses eligibility and which reporting pairs change, by name.
'use client';

import type { PolicyPreviewView } from '@/components/policy-api';
import { formatDepth, formatReason } from '@/lib/client/format';

type PersonList = PolicyPreviewView['loseEligibility'];
type PairList = PolicyPreviewView['pairsRefused'];
type Pair = PairList['items'][number];

const OUTCOME_WORDS: Record<Pair['before'], string> = { refused: 'refused', approval: 'needs approval', auto: 'approved at once' };

function pairReason(pair: Pair): string {
  if (pair.cause === 'depth') return pair.after === 'refused' ? 'beyond the draft’s reporting depth' : 'within the draft’s reporting depth';
  if (pair.cause === 'eligibility') return pair.after === 'refused' ? 'the person is no longer eligible' : 'the person becomes eligible';
  return `${OUTCOME_WORDS[pair.before]} → ${OUTCOME_WORDS[pair.after]} under the draft’s approval rule`;
}

export function PolicyPreviewSummary({ preview, stale, unchanged }: { preview: PolicyPreviewView; stale: boolean; unchanged: boolean }) {
  const people = (n: number) => `${n} ${n === 1 ? 'person' : 'people'}`;
  const pairs = (n: number) => `${n} reporting ${n === 1 ? 'pair' : 'pairs'}`;
  const changes = [
    preview.loseEligibility.total > 0 && `${people(preview.loseEligibility.total)} lose eligibility`,
    preview.gainEligibility.total > 0 && `${people(preview.gainEligibility.total)} become eligible`,
    preview.pairsRefused.total > 0 && `${pairs(preview.pairsRefused.total)} would be refused`,
    preview.pairsNowNeedApproval.total > 0 && `${pairs(preview.pairsNowNeedApproval.total)} would now need approval`,
    preview.pairsNoLongerNeedApproval.total > 0 && `${pairs(preview.pairsNoLongerNeedApproval.total)} would no longer need approval`,
    preview.pairsAllowed.total > 0 && `${pairs(preview.pairsAllowed.total)} newly allowed`,
  ].filter((text): text is string => typeof text === 'string');
  const headline = unchanged
    ? `The current policy: ${preview.current.eligible} of the ${people(preview.people)} in the organisation are eligible.`
    : changes.length === 0
      ? `No change for the ${people(preview.people)} in the organisation.`
      : `Across the organisation (${people(preview.people)}): ${changes.join('; ')}.`;
  return (
    <div className={`space-y-4 ${stale ? 'opacity-60' : ''}`}>
      <p className="text-sm font-medium text-slate-900" data-testid="policy-preview-summary">
        {headline}
      </p>
      {stale && <p className="text-sm text-amber-900">The draft changed since this preview.</p>}
      <p className="text-sm text-slate-600">
        A reporting pair is a manager and one person below them at any depth ({pairs(preview.pairs)} in all): the policy decides for each
        whether the manager’s request is refused, waits for an approver, or is approved at once.
      </p>
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Current policy and draft compared</caption>
        <thead>
          <tr className="text-xs uppercase tracking-wide text-slate-500">
            <th scope="col" className="py-1 font-medium">
              Organisation
            </th>
            <th scope="col" className="py-1 text-right font-medium">
              Now (v{preview.currentVersion})
            </th>
            <th scope="col" className="py-1 text-right font-medium">
              Draft
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 tabular-nums" data-testid="policy-preview-counts">
          {(
            [
              ['Eligible people', 'eligible'],
              ['Pairs that may request', 'allowedPairs'],
              ['Of those, needing approval', 'approvalPairs'],
            ] as const
          ).map(([label, key]) => (
            <tr key={key} data-row={key}>
              <th scope="row" className="py-1.5 font-normal text-slate-700">
                {label}
              </th>
              <td className="py-1.5 text-right text-slate-900">{preview.current[key]}</td>
              <td className="py-1.5 text-right font-semibold text-slate-900">{preview.draft[key]}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <PeopleChange title="Lose eligibility" list={preview.loseEligibility} kind="lose" />
      <PeopleChange title="Become eligible" list={preview.gainEligibility} kind="gain" />
      <PairChange title="Would now need approval" list={preview.pairsNowNeedApproval} kind="now-need-approval" />
      <PairChange title="Would no longer need approval" list={preview.pairsNoLongerNeedApproval} kind="no-longer-need-approval" />
      <PairChange title="Would be refused" list={preview.pairsRefused} kind="refused" />
      <PairChange title="Newly allowed" list={preview.pairsAllowed} kind="allowed" />
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

function Shown({ total, shown }: { total: number; shown: number }) {
  return shown < total ? <p className="text-xs text-slate-600">The first {shown} of {total}, by name.</p> : null;
}

function PeopleChange({ title, list, kind }: { title: string; list: PersonList; kind: 'lose' | 'gain' }) {
  if (list.total === 0) return null;
  return (
    <details className="text-sm" data-testid="policy-preview-list" data-kind={kind} data-total={list.total}>
      <summary className="cursor-pointer font-medium text-slate-900">
        {title} ({list.total})
      </summary>
      <ul className="mt-2 space-y-1">
        {list.items.map((person) => (
          <li key={person.id} className="break-words text-slate-700">
            <span className="font-medium text-slate-900">{person.displayName}</span> <span className="text-slate-600">{person.userPrincipalName}</span> —{' '}
            {kind === 'lose' ? 'now ' : 'no longer '}
            {person.reasons.map((reason) => formatReason(reason).toLowerCase()).join(', ')}
          </li>
        ))}
      </ul>
      <Shown total={list.total} shown={list.items.length} />
    </details>
  );
}

function PairChange({ title, list, kind }: { title: string; list: PairList; kind: string }) {
  if (list.total === 0) return null;
  return (
    <details className="text-sm" data-testid="policy-preview-list" data-kind={kind} data-total={list.total}>
      <summary className="cursor-pointer font-medium text-slate-900">
        {title} ({list.total} {list.total === 1 ? 'pair' : 'pairs'})
      </summary>
      <ul className="mt-2 space-y-1">
        {list.items.map((pair) => (
          <li key={`${pair.manager.id}-${pair.person.id}`} className="break-words text-slate-700" data-testid="policy-preview-pair">
            <span className="font-medium text-slate-900">{pair.person.displayName}</span> <span className="text-slate-600">{pair.person.userPrincipalName}</span>{' '}
            for {pair.manager.displayName} ({formatDepth(pair.depth).toLowerCase()}) — {pairReason(pair)}
          </li>
        ))}
      </ul>
      <Shown total={list.total} shown={list.items.length} />
    </details>
  );
}
