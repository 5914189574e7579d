// The tabs between the portal's sections, each shown only to the roles it serves.
'use client';

import Link from 'next/link';
import { usePathname, useSearchParams } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { canReviewRequests, NAV_ITEMS, REQUESTS_CHANGED_EVENT, waitingDescription } from '@/lib/client/navigation';
import { parseTapRequestList } from '@/lib/client/portal-types';
import { usePortalApi } from '@/lib/client/use-portal-api';

/**
 * The count is the tab's description, not part of its name: "Approvals" stays the link's stable
 * accessible name, and a screen reader reads "Approvals, link, 2 waiting".
 */
const WAITING_ID = 'approvals-waiting-description';

function isCurrent(href: string, pathname: string, view: string | null): boolean {
  const url = new URL(href, 'https://portal.invalid');
  if (url.pathname === '/') return pathname === '/' && (url.searchParams.get('view') ?? null) === view;
  return pathname === url.pathname || pathname.startsWith(`${url.pathname}/`);
}

/**
 * How many requests wait for this approver: read when the portal opens, on every change of page,
 * and whenever a request changes through the portal (REQUESTS_CHANGED_EVENT). Null until known,
 * and for people who decide nothing.
 */
function useApprovalsWaiting(enabled: boolean, pathname: string): number | null {
  const call = usePortalApi();
  const [waiting, setWaiting] = useState<number | null>(null);
  const [changes, setChanges] = useState(0);

  useEffect(() => {
    const onChange = () => setChanges((n) => n + 1);
    window.addEventListener(REQUESTS_CHANGED_EVENT, onChange);
    return () => window.removeEventListener(REQUESTS_CHANGED_EVENT, onChange);
  }, []);

  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    call('/api/tap-requests?scope=pending', { signal: controller.signal })
      .then(parseTapRequestList)
      .then(
        (list) => {
          if (!controller.signal.aborted) setWaiting(list.filter((r) => r.status === 'pending_approval').length);
        },
        // The count is a convenience; the Approvals page shows the error if the queue cannot load.
        () => undefined,
      );
    return () => controller.abort();
  }, [call, enabled, pathname, changes]);

  return enabled ? waiting : null;
}

/**
 * While the tab row is wider than the screen, a fade at the edge where tabs are hidden; the
 * current tab is scrolled into view, so on a phone no tab is out of reach or out of sight.
 */
function useOverflowHints(list: React.RefObject<HTMLUListElement | null>, key: string) {
  const [hidden, setHidden] = useState({ start: false, end: false });
  useEffect(() => {
    const element = list.current;
    if (element === null) return;
    const update = () =>
      setHidden({ start: element.scrollLeft > 1, end: element.scrollLeft + element.clientWidth < element.scrollWidth - 1 });
    element.querySelector('[aria-current="page"]')?.scrollIntoView({ block: 'nearest', inline: 'center' });
    update();
    element.addEventListener('scroll', update, { passive: true });
    const observer = new ResizeObserver(update);
    observer.observe(element);
    return () => {
      element.removeEventListener('scroll', update);
      observer.disconnect();
    };
  }, [list, key]);
  return hidden;
}

/**
 * The portal's sections as tabs under the header; one row that scrolls sideways on a phone
 * rather than wrapping, so more consoles can join it. The Approvals tab carries the waiting count.
 */
export function PortalNav({ roles }: { roles: readonly string[] }) {
  const pathname = usePathname();
  const view = useSearchParams().get('view');
  const waiting = useApprovalsWaiting(canReviewRequests(roles), pathname);
  const items = NAV_ITEMS.filter((item) => item.isVisible(roles));
  const listRef = useRef<HTMLUListElement>(null);
  // The waiting count is in the key: its badge widens the Approvals tab after the first paint, which
  // can push the current tab out of view again on a phone.
  const hidden = useOverflowHints(listRef, `${pathname}?${view ?? ''}|${items.length}|${waiting ?? ''}`);
  return (
    <nav aria-label="Portal sections" className="relative border-b border-slate-200 bg-white" data-testid="portal-nav">
      <ul ref={listRef} className="mx-auto flex max-w-6xl gap-1 overflow-x-auto px-2 sm:px-4">
        {items.map((item) => {
          const current = isCurrent(item.href, pathname, view);
          const count = item.href === '/approvals' ? waiting : null;
          return (
            <li key={item.href} className="shrink-0">
              <Link
                href={item.href}
                aria-current={current ? 'page' : undefined}
                aria-describedby={count !== null && count > 0 ? WAITING_ID : undefined}
                className={`inline-flex min-h-11 items-center gap-1.5 border-b-2 px-3 text-sm font-medium no-underline ${
                  current
                    ? 'border-blue-700 text-blue-800'
                    : 'border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900'
                }`}
              >
                {item.label}
                {count !== null && count > 0 && (
                  <span aria-hidden="true" data-testid="approvals-waiting" className="rounded-full bg-blue-700 px-1.5 py-0.5 text-xs font-semibold tabular-nums text-white">
                    {count}
                  </span>
                )}
              </Link>
              {/* Outside the link, so it is not part of its name; hidden, yet read as its description. */}
              {count !== null && count > 0 && (
                <span id={WAITING_ID} hidden>
                  {waitingDescription(count)}
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {/* Decorative: the tabs themselves stay in the tab order and in the accessibility tree. */}
      {hidden.start && (
        <span aria-hidden="true" data-testid="nav-more-start" className="pointer-events-none absolute inset-y-0 left-0 flex w-8 items-center bg-gradient-to-r from-white to-transparent pl-1 text-slate-500">
          ‹
        </span>
      )}
      {hidden.end && (
        <span aria-hidden="true" data-testid="nav-more-end" className="pointer-events-none absolute inset-y-0 right-0 flex w-8 items-center justify-end bg-gradient-to-l from-white to-transparent pr-1 text-slate-500">
          ›
        </span>
      )}
    </nav>
  );
}
