'use client';

import { EventType, InteractionStatus, InteractionType } from '@azure/msal-browser';
import { useMsal } from '@azure/msal-react';
import { useEffect, useState, type ReactNode } from 'react';
import { BootStatus } from '@/components/boot-status';
import { PageFrame } from '@/components/page-frame';
import { SignInLanding } from '@/components/sign-in-landing';
import { SignedInPortal } from '@/components/signed-in-portal';
import { describeAuthError } from '@/lib/client/msal';

/**
 * Chooses between the signed-out landing and the portal (showing the current page, `children`),
 * and surfaces a failed sign-in redirect.
 */
export function PortalView({ children }: { children: ReactNode }) {
  const { instance, inProgress, accounts } = useMsal();
  const [signInError, setSignInError] = useState<string | null>(null);

  // Registered before MsalProvider handles the redirect response (child effects run first), so a
  // refusal coming back from the sign-in service is not missed.
  useEffect(() => {
    const id = instance.addEventCallback(
      (message) => {
        if (message.interactionType !== InteractionType.Redirect || message.error === null) return;
        setSignInError(describeAuthError(message.error));
      },
      [EventType.ACQUIRE_TOKEN_FAILURE],
    );
    return () => {
      if (id !== null) instance.removeEventCallback(id);
    };
  }, [instance]);

  // The sign-in service echoes `state` on its way back from sign-out; once MSAL has settled it
  // means nothing, so keep it out of the address bar (and out of bookmarks).
  useEffect(() => {
    if (inProgress !== InteractionStatus.None) return;
    const url = new URL(window.location.href);
    if ([...url.searchParams.keys()].join() !== 'state') return;
    url.searchParams.delete('state');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }, [inProgress]);

  if (accounts.length > 0) return <SignedInPortal>{children}</SignedInPortal>;
  if (inProgress !== InteractionStatus.None) {
    return (
      <PageFrame>
        <BootStatus label={inProgress === InteractionStatus.Logout ? 'Signing you out…' : 'Signing you in…'} />
      </PageFrame>
    );
  }
  return <SignInLanding error={signInError} />;
}
