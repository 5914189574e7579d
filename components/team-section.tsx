// The "Your team" home page: the signed-in manager's reportees, where a pass request starts.
'use client';

import { useCallback, useEffect, useId, useMemo, useState } from 'react';
import { Button } from '@/components/button';
import { ReporteeCards } from '@/components/reportee-cards';
import { ReporteeTable } from '@/components/reportee-table';
import { RequestPassDialog } from '@/components/request-pass-dialog';
import { TeamFiltersBar, TeamViewBar, type TeamView } from '@/components/team/team-filters';
import {
  countFacets,
  flatRows,
  hasFilters,
  indexTeam,
  managerIds,
  managerNameOf,
  matchesFilters,
  NO_FILTERS,
  treeRows,
  type TeamFilters,
} from '@/components/team/team-model';
import { FULL_TEAM_LIMIT, useServerSearch, useTeamReportees } from '@/components/team/use-team-reportees';
import { describeError, formatDateTime } from '@/lib/client/format';
import { useMe } from '@/lib/client/me-context';
import type { Reportee, ReporteeList } from '@/lib/client/portal-types';
import { useMediaQuery } from '@/lib/client/use-media-query';
import { MAX_REPORTEE_PAGE_SIZE } from '@/lib/contract/reportees';

/** Keystrokes closer together than this make one search. */
const SEARCH_DELAY_MS = 250;
/** The URL parameter that keeps the chosen view across reloads and in shared links. */
const VIEW_PARAM = 'team';

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

function countLabel(matching: number, total: number, narrowed: boolean): string {
  const noun = (n: number) => (n === 1 ? 'person' : 'people');
  return narrowed ? `${matching} of ${total} ${noun(total)} match` : `${total} ${noun(total)}`;
}

/** Where the list comes from and how fresh it is. */
function freshnessLabel(list: ReporteeList): string {
  return list.source === 'mirror' ? `Org chart as of ${formatDateTime(list.asOf)}` : 'Live from Microsoft Graph';
}

/** The view named in the page's URL; the tree unless the list was chosen. */
function useViewInUrl(): [TeamView, (view: TeamView) => void] {
  const [view, setView] = useState<TeamView>(() =>
    typeof window !== 'undefined' && new URLSearchParams(window.location.search).get(VIEW_PARAM) === 'list' ? 'list' : 'tree',
  );
  const choose = useCallback((next: TeamView) => {
    setView(next);
    const url = new URL(window.location.href);
    if (next === 'list') url.searchParams.set(VIEW_PARAM, 'list');
    else url.searchParams.delete(VIEW_PARAM);
    window.history.replaceState(window.history.state, '', url);
  }, []);
  return [view, choose];
}

/**
 * "Your team": everyone below the signed-in manager, grouped under their managers or as a list
 * with "Reports to", searchable and filterable, each with "Request pass". Up to
 * {@link FULL_TEAM_LIMIT} people the whole team is loaded and everything happens here; above it
 * the first page shows and search runs on the server.
 */
export function TeamSection() {
  const [query, setQuery] = useState('');
  const search = useDebouncedValue(query.trim(), SEARCH_DELAY_MS);
  const team = useTeamReportees();
  const me = useMe();
  const callerId = me.status === 'success' ? me.data.id : null;
  const wide = useMediaQuery('(min-width: 1024px)');
  const [view, setView] = useViewInUrl();
  const [filters, setFilters] = useState<TeamFilters>(NO_FILTERS);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [requestFor, setRequestFor] = useState<Reportee | null>(null);
  const searchId = useId();
  const countId = useId();

  const loaded = team.status === 'success' ? team.reportees : null;
  // Above the limit only a first page is here, so search asks the server.
  const searchOnServer = team.status === 'success' && !team.complete && !team.loadingMore && search !== '';
  const serverSearch = useServerSearch(searchOnServer ? search : null);
  const haystacks = useMemo(() => loaded?.map(searchText) ?? [], [loaded]);
  const needle = search.toLocaleLowerCase();
  const searched = useMemo(() => {
    if (loaded === null) return [];
    if (searchOnServer) return serverSearch.list?.reportees ?? [];
    return needle === '' ? loaded : loaded.filter((_, i) => haystacks[i]!.includes(needle));
  }, [loaded, haystacks, needle, searchOnServer, serverSearch.list]);
  const counts = useMemo(() => countFacets(searched, filters), [searched, filters]);
  const matching = useMemo(() => searched.filter((r) => matchesFilters(r, filters)), [searched, filters]);

  // The tree is drawn over everyone loaded, so a match deep down still shows the managers above it.
  const index = useMemo(() => indexTeam(searchOnServer ? searched : (loaded ?? [])), [searchOnServer, searched, loaded]);
  const names = useMemo(() => {
    const byId = new Map<string, string>();
    for (const r of loaded ?? []) byId.set(r.id, r.displayName);
    for (const r of searched) byId.set(r.id, r.displayName);
    return byId;
  }, [loaded, searched]);
  const rows = useMemo(
    () => (view === 'tree' ? treeRows(index, new Set(matching.map((r) => r.id)), collapsed) : flatRows(matching)),
    [view, index, matching, collapsed],
  );
  const nameOfManager = useCallback((r: Reportee) => managerNameOf(r, callerId, names), [callerId, names]);
  const toggle = useCallback((id: string, expand: boolean) => {
    setCollapsed((current) => {
      const next = new Set(current);
      if (expand) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  const total = team.status === 'success' ? (searchOnServer ? (serverSearch.list?.total ?? 0) : searched.length) : 0;
  const everyone = team.status === 'success' ? team.first.total : 0;
  const narrowed = search !== '' || hasFilters(filters);
  const hasTeam = team.status === 'success' && (everyone > 0 || query !== '');
  const TeamLayout = wide ? ReporteeTable : ReporteeCards;

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
              onChange={(event) => setQuery(event.target.value)}
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
          <div className="flex flex-col gap-4 lg:flex-row lg:items-end lg:justify-between">
            <TeamFiltersBar filters={filters} counts={counts} onChange={setFilters} />
            <TeamViewBar view={view} onView={setView} onExpandAll={() => setCollapsed(new Set())} onCollapseAll={() => setCollapsed(managerIds(index))} />
          </div>
          <div className="flex flex-wrap items-baseline justify-between gap-2">
            <p id={countId} className="text-sm text-slate-600" aria-live="polite" data-testid="reportee-count" data-matching={matching.length}>
              {countLabel(matching.length, searchOnServer ? total : everyone, narrowed)}
              {team.loadingMore && ` · loading ${team.reportees.length} of ${everyone}…`}
            </p>
            <p className="text-xs text-slate-600" data-testid="reportee-freshness">
              {freshnessLabel(team.first)}
            </p>
          </div>
          {!team.complete && !team.loadingMore && (
            <p className="rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" data-testid="team-partial">
              Your team has {everyone} people, more than the {FULL_TEAM_LIMIT} this page holds at once: it shows the first{' '}
              {MAX_REPORTEE_PAGE_SIZE}
              {searchOnServer ? ` matches of ${total}` : ''}. Search to find anyone; filters and the tree apply to the people shown.
            </p>
          )}
          {searchOnServer && serverSearch.list === null ? (
            serverSearch.error !== null ? (
              <p role="alert" className="rounded-lg border border-red-200 bg-red-50 p-5 text-sm text-red-900">
                {describeError(serverSearch.error).title}
              </p>
            ) : (
              <p role="status" className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
                Searching your team…
              </p>
            )
          ) : rows.length === 0 ? (
            <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
              {search !== '' ? <>No one in your team matches &ldquo;{search}&rdquo;</> : 'No one in your team matches these filters'}
              {hasFilters(filters) ? ' with these filters.' : '.'}
            </p>
          ) : (
            <TeamLayout
              key={wide ? 'table' : 'cards'}
              rows={rows}
              tree={view === 'tree'}
              eligibilityScope={team.first.eligibilityScope}
              managerNameOf={nameOfManager}
              onToggle={toggle}
              onRequest={setRequestFor}
            />
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
