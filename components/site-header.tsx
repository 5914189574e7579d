'use client';

import { InteractionStatus } from '@azure/msal-browser';
import { useMsal } from '@azure/msal-react';
import { RoleBadge } from '@/components/badge';
import { BrandMark } from '@/components/brand-mark';
import { Button } from '@/components/button';
import type { Me } from '@/lib/client/portal-types';
import type { QueryState } from '@/lib/client/use-portal-api';

/** Product name, the signed-in user (from `/api/me`) with their roles, and sign-out. */
export function SiteHeader({
  me,
  fallbackName,
  onSignOut,
}: {
  me: QueryState<Me>;
  /** The account name from the ID token, shown if `/api/me` fails. */
  fallbackName: string | null;
  onSignOut: () => void;
}) {
  const { inProgress } = useMsal();
  const roles = me.status === 'success' ? me.data.roles : [];
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-3 px-4 py-3 sm:px-6">
        <div className="flex items-center gap-3">
          <BrandMark className="size-7" />
          <span className="text-base font-semibold tracking-tight text-slate-900">TAP Broker</span>
        </div>
        {roles.length > 0 && (
          // One list: under the name on a phone, before it from `sm` up.
          <ul
            className="order-last flex w-full flex-wrap justify-end gap-1.5 sm:order-none sm:ml-auto sm:w-auto"
            aria-label="Your roles"
          >
            {roles.map((role) => (
              <li key={role}>
                <RoleBadge role={role} />
              </li>
            ))}
          </ul>
        )}
        <div className={`ml-auto flex min-w-0 items-center gap-3 sm:gap-4 ${roles.length > 0 ? 'sm:ml-0' : ''}`}>
          <div className="min-w-0 text-right" aria-live="polite" aria-busy={me.status === 'loading'}>
            {me.status === 'success' && (
              <>
                <p className="truncate text-sm font-medium text-slate-900">{me.data.displayName}</p>
                <p className="truncate text-xs text-slate-600" data-testid="me-upn">
                  {me.data.userPrincipalName}
                </p>
              </>
            )}
            {me.status === 'loading' && (
              <div className="flex flex-col items-end gap-1.5" aria-hidden="true">
                <span className="h-3.5 w-28 animate-pulse rounded bg-slate-200" />
                <span className="h-3 w-40 animate-pulse rounded bg-slate-100" />
              </div>
            )}
            {me.status === 'error' && (
              <p className="truncate text-sm text-slate-700" title="Your profile could not be loaded.">
                {fallbackName ?? 'Signed in'}
              </p>
            )}
          </div>
          <Button variant="secondary" onClick={onSignOut} disabled={inProgress !== InteractionStatus.None}>
            Sign out
          </Button>
        </div>
      </div>
    </header>
  );
}
