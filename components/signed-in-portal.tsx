'use client';

import { useMsal } from '@azure/msal-react';
import type { ReactNode } from 'react';
import { PassRevealProvider } from '@/components/pass-reveal-provider';
import { PortalNav } from '@/components/portal-nav';
import { SiteHeader } from '@/components/site-header';
import { MeProvider } from '@/lib/client/me-context';
import { getSignedInAccount } from '@/lib/client/msal';
import { parseMe } from '@/lib/client/portal-types';
import { usePortalQuery } from '@/lib/client/use-portal-api';

/** The signed-in portal: who you are, the sections you may use, and the current one (`children`). */
export function SignedInPortal({ children }: { children: ReactNode }) {
  const { instance } = useMsal();
  const me = usePortalQuery('/api/me', parseMe);

  const signOut = () => {
    void instance.logoutRedirect({ account: getSignedInAccount(instance) ?? undefined });
  };

  return (
    <MeProvider value={me}>
      <PassRevealProvider>
        <div className="flex min-h-dvh flex-col">
          <SiteHeader me={me} fallbackName={getSignedInAccount(instance)?.username ?? null} onSignOut={signOut} />
          <PortalNav roles={me.status === 'success' ? me.data.roles : []} />
          <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 sm:px-6 sm:py-10">
            <h1 className="sr-only">TAP Broker</h1>
            {children}
          </main>
        </div>
      </PassRevealProvider>
    </MeProvider>
  );
}
