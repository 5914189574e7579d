// Loads the signed-in manager's team for the team view: the whole team, a page at a time, when it
// is small enough to hold and filter in the browser; otherwise a first page plus server-side search.
'use client';

import { useCallback, useEffect, useState } from 'react';
import { InteractionRedirectingError } from '@/lib/client/msal';
import { parseReportees, type Reportee, type ReporteeList } from '@/lib/client/portal-types';
import { usePortalApi } from '@/lib/client/use-portal-api';
import { MAX_REPORTEE_PAGE_SIZE } from '@/lib/contract/reportees';

/**
 * Up to this many people the whole team is loaded (in pages of {@link MAX_REPORTEE_PAGE_SIZE}) and
 * searched, filtered and drawn as a tree in the browser; above it the list is search-first.
 */
export const FULL_TEAM_LIMIT = 5000;
/** Pages asked for at once after the first: enough to overlap round trips, few enough to stay polite. */
const PARALLEL_PAGES = 2;

export type TeamLoad =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | {
      status: 'success';
      /** The first answer: source, freshness and eligibility scope, and `total` (everyone). */
      first: ReporteeList;
      /** Everyone loaded so far, in the API's order. */
      reportees: Reportee[];
      /** True once everyone is loaded; false while pages are coming or when the team is above the limit. */
      complete: boolean;
      /** More pages are on their way. */
      loadingMore: boolean;
    };

function pagePath(offset: number, q?: string): string {
  const params = new URLSearchParams({ limit: String(MAX_REPORTEE_PAGE_SIZE), offset: String(offset) });
  if (q !== undefined) params.set('q', q);
  return `/api/reportees?${params.toString()}`;
}

/** Deduplicated by id: the mirror may move someone between two pages while they load. */
function appendUnique(into: Reportee[], seen: Set<string>, page: readonly Reportee[]): void {
  for (const r of page) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    into.push(r);
  }
}

/** The whole team (or its first page when above {@link FULL_TEAM_LIMIT}); `reload` starts over. */
export function useTeamReportees(): TeamLoad & { reload: () => void } {
  const call = usePortalApi();
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<TeamLoad>({ status: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    const get = async (path: string) => parseReportees(await call(path, { signal: controller.signal }));
    const load = async () => {
      const first = await get(pagePath(0));
      const reportees: Reportee[] = [];
      const seen = new Set<string>();
      appendUnique(reportees, seen, first.reportees);
      const whole = first.reportees.length >= first.total;
      const more = !whole && first.total <= FULL_TEAM_LIMIT;
      setState({ status: 'success', first, reportees: [...reportees], complete: whole, loadingMore: more || (!whole && first.source === 'graph') });
      if (whole) return;
      // A live answer costs a Graph walk per call, whatever its page: ask once for everyone.
      if (first.source === 'graph') {
        const all = await get('/api/reportees');
        setState({ status: 'success', first, reportees: all.reportees, complete: true, loadingMore: false });
        return;
      }
      if (!more) return;
      for (let offset = MAX_REPORTEE_PAGE_SIZE; offset < first.total; offset += MAX_REPORTEE_PAGE_SIZE * PARALLEL_PAGES) {
        const offsets = Array.from({ length: PARALLEL_PAGES }, (_, i) => offset + i * MAX_REPORTEE_PAGE_SIZE).filter((o) => o < first.total);
        const pages = await Promise.all(offsets.map((o) => get(pagePath(o))));
        for (const page of pages) appendUnique(reportees, seen, page.reportees);
        const done = offsets[offsets.length - 1]! + MAX_REPORTEE_PAGE_SIZE >= first.total;
        setState({ status: 'success', first, reportees: [...reportees], complete: done, loadingMore: !done });
      }
    };
    load().catch((error: unknown) => {
      if (controller.signal.aborted || error instanceof InteractionRedirectingError) return;
      setState({ status: 'error', error });
    });
    return () => controller.abort();
  }, [call, attempt]);

  const reload = useCallback(() => {
    setState({ status: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  return { ...state, reload };
}

/**
 * Server-side search for a team above {@link FULL_TEAM_LIMIT}: the first page of matches for `q`,
 * or null when there is nothing to search (`q` null) or while the answer is on its way.
 */
export function useServerSearch(q: string | null): { list: ReporteeList | null; error: unknown } {
  const call = usePortalApi();
  const [answer, setAnswer] = useState<{ q: string; list: ReporteeList | null; error: unknown } | null>(null);
  useEffect(() => {
    if (q === null) return;
    const controller = new AbortController();
    call(pagePath(0, q), { signal: controller.signal })
      .then(parseReportees)
      .then(
        (list) => {
          if (!controller.signal.aborted) setAnswer({ q, list, error: null });
        },
        (error: unknown) => {
          if (controller.signal.aborted || error instanceof InteractionRedirectingError) return;
          setAnswer({ q, list: null, error });
        },
      );
    return () => controller.abort();
  }, [call, q]);
  if (q === null || answer === null || answer.q !== q) return { list: null, error: null };
  return { list: answer.list, error: answer.error };
}
