// The "Your team" home page: the signed-in manager's reportees, where a pass request starts.
'use client';

import { useDeferredValue, useId, useMemo, useState } from 'react';
import { Button } from '@/components/button';
import { ReporteeCards } from '@/components/reportee-cards';
import { ReporteeTable } from '@/components/reportee-table';
import { RequestPassDialog } from '@/components/request-pass-dialog';
import { describeError } from '@/lib/client/format';
import { parseReportees, type Reportee } from '@/lib/client/portal-types';
import { useMediaQuery } from '@/lib/client/use-media-query';
import { usePortalQuery } from '@/lib/client/use-portal-api';

function byDepthThenName(a: Reportee, b: Reportee): number {
  return a.depth - b.depth || a.displayName.localeCompare(b.displayName);
}

function matches(reportee: Reportee, needle: string): boolean {
  return [reportee.displayName, reportee.userPrincipalName, reportee.jobTitle, reportee.department].some(
    (field) => field !== null && field.toLocaleLowerCase().includes(needle),
  );
}

function countLabel(shown: number, total: number): string {
  const noun = total === 1 ? 'person' : 'people';
  return shown === total ? `${total} ${noun}` : `${shown} of ${total} ${noun}`;
}

/**
 * "Your team": everyone below the signed-in manager, searchable, as a table or as cards, each
 * with "Request pass".
 */
export function TeamSection() {
  const team = usePortalQuery('/api/reportees', parseReportees);
  const [query, setQuery] = useState('');
  const deferredQuery = useDeferredValue(query);
  const wide = useMediaQuery('(min-width: 768px)');
  const [requestFor, setRequestFor] = useState<Reportee | null>(null);
  const searchId = useId();
  const countId = useId();

  const sorted = useMemo(() => (team.status === 'success' ? [...team.data].sort(byDepthThenName) : []), [team]);
  const needle = deferredQuery.trim().toLocaleLowerCase();
  const shown = useMemo(() => (needle === '' ? sorted : sorted.filter((r) => matches(r, needle))), [sorted, needle]);

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
        {team.status === 'success' && sorted.length > 0 && (
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

      {team.status === 'success' && sorted.length === 0 && (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
          No one reports to you in the directory.
        </p>
      )}

      {team.status === 'success' && sorted.length > 0 && (
        <>
          <p id={countId} className="text-sm text-slate-600" aria-live="polite" data-testid="reportee-count">
            {countLabel(shown.length, sorted.length)}
          </p>
          {shown.length === 0 ? (
            <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
              No one in your team matches &ldquo;{deferredQuery.trim()}&rdquo;.
            </p>
          ) : wide ? (
            <ReporteeTable reportees={shown} onRequest={setRequestFor} />
          ) : (
            <ReporteeCards reportees={shown} onRequest={setRequestFor} />
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
