// The "Your team" home page: the signed-in manager's reportees, where a pass request starts.
'use client';

import { useEffect, useId, useMemo, useState } from 'react';
import { Button } from '@/components/button';
import { ReporteeCards } from '@/components/reportee-cards';
import { ReporteeTable } from '@/components/reportee-table';
import { RequestPassDialog } from '@/components/request-pass-dialog';
import { describeError, formatDateTime } from '@/lib/client/format';
import { MAX_REPORTEE_PAGE_SIZE } from '@/lib/contract/reportees';
import { parseReportees, type Reportee, type ReporteeList } from '@/lib/client/portal-types';
import { useMediaQuery } from '@/lib/client/use-media-query';
import { usePortalQuery } from '@/lib/client/use-portal-api';

/**
 * Rows asked for at a time: a manager of tens of thousands gets a first screen at once and more on
 * request; search runs on the server over everyone.
 */
const ROWS_PER_STEP = 100;
/** Keystrokes closer together than this make one search. */
const SEARCH_DELAY_MS = 250;

function useDebouncedValue<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}

/** What a local search looks in, lower-cased once per list rather than once per keystroke. */
function searchText(reportee: Reportee): string {
  return [reportee.displayName, reportee.userPrincipalName, reportee.jobTitle, reportee.department]
    .filter((field) => field !== null)
    .join('\n')
    .toLocaleLowerCase();
}

function teamPath(search: string, limit: number): string {
  const params = new URLSearchParams({ limit: String(limit) });
  if (search !== '') params.set('q', search);
  return `/api/reportees?${params.toString()}`;
}

function countLabel(total: number, searching: boolean): string {
  const noun = total === 1 ? 'person' : 'people';
  return searching ? `${total} ${noun} match` : `${total} ${noun}`;
}

/** Where the list comes from and how fresh it is. */
function freshnessLabel(list: ReporteeList): string {
  return list.source === 'mirror' ? `Org chart as of ${formatDateTime(list.asOf)}` : 'Live from Microsoft Graph';
}

/**
 * "Your team": everyone below the signed-in manager, searchable, as a table or as cards, each
 * with "Request pass". The first {@link ROWS_PER_STEP} come first; more on request.
 */
export function TeamSection() {
  const [query, setQuery] = useState('');
  const search = useDebouncedValue(query.trim(), SEARCH_DELAY_MS);
  const [rowLimit, setRowLimit] = useState(ROWS_PER_STEP);
  // A live answer (source `graph`) costs a Graph walk per call, so then the whole list is asked for
  // once and searched and paged here; the mirror's answers are searched and paged by the server.
  const [localPath, setLocalPath] = useState<string | null>(null);
  const path = localPath ?? teamPath(search, rowLimit);
  const team = usePortalQuery(path, parseReportees);
  const wide = useMediaQuery('(min-width: 768px)');
  const [requestFor, setRequestFor] = useState<Reportee | null>(null);
  const searchId = useId();
  const countId = useId();

  // Decided while rendering the first live answer (React re-renders at once, before painting).
  if (localPath === null && team.status === 'success' && team.data.source === 'graph') {
    const complete = search === '' && team.data.reportees.length === team.data.total;
    setLocalPath(complete ? path : '/api/reportees');
  }

  // The API answers by depth, then display name (lib/contract/reportees.ts).
  const data = team.status === 'success' ? team.data : null;
  const local = localPath !== null && data !== null && data.source === 'graph' ? data.reportees : null;
  const haystacks = useMemo(() => local?.map(searchText) ?? [], [local]);
  const needle = search.toLocaleLowerCase();
  const matching = useMemo(
    () => (local === null || needle === '' ? local : local.filter((_, i) => (haystacks[i] as string).includes(needle))),
    [local, haystacks, needle],
  );
  const total = matching !== null ? matching.length : (data?.total ?? 0);
  const shown = matching !== null ? matching.slice(0, rowLimit) : (data?.reportees ?? []);
  const canShowMore = matching !== null || rowLimit < MAX_REPORTEE_PAGE_SIZE;
  const hasTeam = team.status === 'success' && (total > 0 || search !== '' || query !== '');

  return (
    <section aria-labelledby="team-title" className="space-y-5">
      <div className="flex flex-col gap-4 sm:flex-row sm:items-end sm:justify-between">
        <div>
          <h2 id="team-title" className="text-2xl font-semibold tracking-tight text-slate-900">
            Your team
          </h2>
          <p className="mt-1 text-sm text-slate-600">
            Everyone who reports to you, directly or through others, and whether a pass can be issued for them.
          </p>
        </div>
        {hasTeam && (
          <div className="w-full sm:w-72">
            <label htmlFor={searchId} className="mb-1 block text-sm font-medium text-slate-800">
              Search your team
            </label>
            <input
              id={searchId}
              type="search"
              value={query}
              onChange={(event) => {
                setQuery(event.target.value);
                setRowLimit(ROWS_PER_STEP);
              }}
              placeholder="Name, UPN, title or department"
              aria-describedby={countId}
              autoComplete="off"
              spellCheck={false}
              className="block h-10 w-full rounded-md border border-slate-300 bg-white px-3 text-sm text-slate-900 placeholder:text-slate-500 focus:border-blue-700"
            />
          </div>
        )}
      </div>

      {team.status === 'loading' && <TeamSkeleton />}

      {team.status === 'error' && (
        <div role="alert" className="rounded-lg border border-red-200 bg-red-50 p-5 text-sm text-red-900">
          <p className="font-semibold">{describeError(team.error).title}</p>
          {describeError(team.error).detail !== null && <p className="mt-1">{describeError(team.error).detail}</p>}
          <Button variant="secondary" className="mt-4" onClick={team.reload}>
            Try again
          </Button>
        </div>
      )}

      {team.status === 'success' && !hasTeam && (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
          No one reports to you in the directory.
        </p>
      )}

      {team.status === 'success' && hasTeam && (
        <>
          <div className="flex flex-wrap items-baseline justify-between gap-2">
            <p id={countId} className="text-sm text-slate-600" aria-live="polite" data-testid="reportee-count">
              {countLabel(total, search !== '')}
            </p>
            <p className="text-xs text-slate-600" data-testid="reportee-freshness">
              {freshnessLabel(team.data)}
            </p>
          </div>
          {shown.length === 0 ? (
            <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
              No one in your team matches &ldquo;{search}&rdquo;.
            </p>
          ) : wide ? (
            <ReporteeTable reportees={shown} eligibilityScope={team.data.eligibilityScope} onRequest={setRequestFor} />
          ) : (
            <ReporteeCards reportees={shown} eligibilityScope={team.data.eligibilityScope} onRequest={setRequestFor} />
          )}
          {shown.length < total && (
            <div className="flex flex-wrap items-center justify-between gap-4">
              <p className="text-sm text-slate-600">
                Showing the first {shown.length} of {total}.
                {!canShowMore && ' Search to find someone further down.'}
              </p>
              {canShowMore && (
                <Button variant="secondary" onClick={() => setRowLimit((limit) => (matching !== null ? limit + ROWS_PER_STEP : Math.min(limit + ROWS_PER_STEP, MAX_REPORTEE_PAGE_SIZE)))}>
                  Show more
                </Button>
              )}
            </div>
          )}
        </>
      )}

      {requestFor !== null && <RequestPassDialog reportee={requestFor} onClose={() => setRequestFor(null)} />}
    </section>
  );
}

function TeamSkeleton() {
  return (
    <div aria-busy="true">
      <p role="status" aria-live="polite" className="sr-only">
        Loading your team…
      </p>
      <ul className="divide-y divide-slate-100 overflow-hidden rounded-lg border border-slate-200 bg-white" aria-hidden="true">
        {[0, 1, 2, 3, 4].map((row) => (
          <li key={row} className="flex items-center gap-4 p-4">
            <span className="size-9 shrink-0 animate-pulse rounded-full bg-slate-200 motion-reduce:animate-none" />
            <span className="flex flex-1 flex-col gap-2">
              <span className="h-3.5 w-40 animate-pulse rounded bg-slate-200 motion-reduce:animate-none" />
              <span className="h-3 w-56 animate-pulse rounded bg-slate-100 motion-reduce:animate-none" />
            </span>
            <span className="hidden h-5 w-20 animate-pulse rounded-full bg-slate-100 sm:block motion-reduce:animate-none" />
          </li>
        ))}
      </ul>
    </div>
  );
}
