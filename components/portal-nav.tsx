// The tabs between the portal's sections, each shown only to the roles it serves.
'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { NAV_ITEMS } from '@/lib/client/navigation';

function isCurrent(href: string, pathname: string): boolean {
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}

/**
 * The portal's sections as tabs under the header; one row that scrolls sideways on a phone
 * rather than wrapping, so more consoles can join it.
 */
export function PortalNav({ roles }: { roles: readonly string[] }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Portal sections" className="border-b border-slate-200 bg-white">
      <ul className="mx-auto flex max-w-6xl gap-1 overflow-x-auto px-2 sm:px-4">
        {NAV_ITEMS.filter((item) => item.isVisible(roles)).map((item) => {
          const current = isCurrent(item.href, pathname);
          return (
            <li key={item.href} className="shrink-0">
              <Link
                href={item.href}
                aria-current={current ? 'page' : undefined}
                className={`inline-flex min-h-11 items-center border-b-2 px-3 text-sm font-medium no-underline ${
                  current
                    ? 'border-blue-700 text-blue-800'
                    : 'border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900'
                }`}
              >
                {item.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
