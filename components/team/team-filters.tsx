// The team view's controls: tree or list, expand/collapse all, and the level, eligibility and pass
// filters, each value with how many people it would leave.
import { useId } from 'react';
import { Button } from '@/components/button';
import { hasFilters, NO_FILTERS, type FacetCounts, type PassState, type TeamFilters } from '@/components/team/team-model';
import { formatDepth } from '@/lib/client/format';

const SELECT =
  'block h-10 w-full rounded-md border border-slate-300 bg-white px-2 text-sm text-slate-900 focus:border-blue-700';

function FilterSelect({ label, value, onChange, options }: { label: string; value: string; onChange: (value: string) => void; options: [string, string][] }) {
  const id = useId();
  return (
    <div className="min-w-0 flex-1 sm:max-w-56">
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-800">
        {label}
      </label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)} className={SELECT}>
        {options.map(([optionValue, text]) => (
          <option key={optionValue} value={optionValue}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

const PASS_LABELS: Record<PassState | 'all', string> = { all: 'Any', active: 'Active pass', open: 'Request open', none: 'None' };

export function TeamFiltersBar({ filters, counts, onChange }: { filters: TeamFilters; counts: FacetCounts; onChange: (filters: TeamFilters) => void }) {
  const levels = filters.level !== null && !counts.levels.includes(filters.level) ? [...counts.levels, filters.level] : counts.levels;
  return (
    <div role="group" aria-label="Filters" className="flex flex-col gap-3 sm:flex-row sm:flex-wrap sm:items-end">
      <FilterSelect
        label="Level"
        value={filters.level === null ? 'all' : String(filters.level)}
        onChange={(value) => onChange({ ...filters, level: value === 'all' ? null : Number(value) })}
        options={[
          ['all', `All levels (${[...counts.level.values()].reduce((a, b) => a + b, 0)})`],
          ...levels.map((depth): [string, string] => [String(depth), `${formatDepth(depth)} (${counts.level.get(depth) ?? 0})`]),
        ]}
      />
      <FilterSelect
        label="Eligibility"
        value={filters.eligibility}
        onChange={(value) => onChange({ ...filters, eligibility: value as TeamFilters['eligibility'] })}
        options={[
          ['all', `Anyone (${counts.eligibility.all})`],
          ['eligible', `Eligible (${counts.eligibility.eligible})`],
          ['ineligible', `Not eligible (${counts.eligibility.ineligible})`],
        ]}
      />
      <FilterSelect
        label="Pass"
        value={filters.pass}
        onChange={(value) => onChange({ ...filters, pass: value as TeamFilters['pass'] })}
        options={(['all', 'active', 'open', 'none'] as const).map((state): [string, string] => [state, `${PASS_LABELS[state]} (${counts.pass[state]})`])}
      />
      {hasFilters(filters) && (
        <Button variant="ghost" onClick={() => onChange(NO_FILTERS)}>
          Clear filters
        </Button>
      )}
    </div>
  );
}

export type TeamView = 'tree' | 'list';

/** Tree or flat list, and in the tree, open or close every manager's team at once. */
export function TeamViewBar({ view, onView, onExpandAll, onCollapseAll }: { view: TeamView; onView: (view: TeamView) => void; onExpandAll: () => void; onCollapseAll: () => void }) {
  return (
    <div className="flex flex-wrap items-center gap-2">
      <div role="group" aria-label="Show the team as" className="inline-flex rounded-md border border-slate-300 bg-white p-0.5">
        {(['tree', 'list'] as const).map((option) => (
          <button
            key={option}
            type="button"
            aria-pressed={view === option}
            onClick={() => onView(option)}
            className={`min-h-9 rounded px-3 text-sm font-semibold ${view === option ? 'bg-blue-700 text-white' : 'text-slate-700 hover:bg-slate-100'}`}
          >
            {option === 'tree' ? 'By manager' : 'List'}
          </button>
        ))}
      </div>
      {view === 'tree' && (
        <>
          <Button variant="ghost" onClick={onExpandAll}>
            Expand all
          </Button>
          <Button variant="ghost" onClick={onCollapseAll}>
            Collapse all
          </Button>
        </>
      )}
    </div>
  );
}
