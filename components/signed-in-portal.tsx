'use client';

import { useMsal } from '@azure/msal-react';
import { SiteHeader } from '@/components/site-header';
import { TeamSection } from '@/components/team-section';
import { getSignedInAccount } from '@/lib/client/msal';
import { parseMe } from '@/lib/client/portal-types';
import { usePortalQuery } from '@/lib/client/use-portal-api';

/** The signed-in portal: who you are, and the people you may act for. */
export function SignedInPortal() {
  const { instance } = useMsal();
  const me = usePortalQuery('/api/me', parseMe);

  const signOut = () => {
    void instance.logoutRedirect({ account: getSignedInAccount(instance) ?? undefined });
  };

  return (
    <div className="flex min-h-dvh flex-col">
      <SiteHeader me={me} fallbackName={getSignedInAccount(instance)?.username ?? null} onSignOut={signOut} />
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 sm:px-6 sm:py-10">
        <h1 className="sr-only">TAP Broker</h1>
        <TeamSection />
      </main>
    </div>
  );
}
