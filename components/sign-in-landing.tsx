// What a signed-out visitor sees: what TAP Broker does, and the way to sign in.
'use client';

import { InteractionStatus } from '@azure/msal-browser';
import { useMsal } from '@azure/msal-react';
import { useState } from 'react';
import { Button } from '@/components/button';
import { PageFrame } from '@/components/page-frame';
import { describeAuthError } from '@/lib/client/msal';
import { usePortalConfig } from '@/lib/client/portal-context';

function MicrosoftLogo() {
  return (
    <svg viewBox="0 0 21 21" className="size-4" aria-hidden="true" focusable="false">
      <rect x="1" y="1" width="9" height="9" fill="#f25022" />
      <rect x="11" y="1" width="9" height="9" fill="#7fba00" />
      <rect x="1" y="11" width="9" height="9" fill="#00a4ef" />
      <rect x="11" y="11" width="9" height="9" fill="#ffb900" />
    </svg>
  );
}

/** Signed out: what TAP Broker is, and the way in. */
export function SignInLanding({ error }: { error: string | null }) {
  const { instance, inProgress } = useMsal();
  const { scopes } = usePortalConfig();
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<string | null>(null);
  const shownError = startError ?? error;

  const signIn = () => {
    setStarting(true);
    setStartError(null);
    // Asking for the API scope up front means the first API call needs no second round trip.
    instance.loginRedirect({ scopes }).catch((reason: unknown) => {
      setStarting(false);
      setStartError(describeAuthError(reason));
    });
  };

  return (
    <PageFrame>
      <section aria-labelledby="landing-title" className="mx-auto w-full max-w-xl text-center">
        <h1 id="landing-title" className="text-3xl font-semibold tracking-tight text-slate-900 sm:text-4xl">
          Temporary Access Passes for your team
        </h1>
        <p className="mt-5 text-base leading-7 text-slate-700">
          TAP Broker lets managers get a Microsoft Entra Temporary Access Pass for the people who report to them, so a
          new hire or someone who lost their device can sign in and set up their own credentials. Every request is
          checked against your organisation chart and policy, and recorded in a tamper-evident audit trail.
        </p>
        <div className="mt-8 flex flex-col items-center gap-3">
          <Button
            onClick={signIn}
            disabled={starting || inProgress !== InteractionStatus.None}
            className="min-h-11 px-6 text-base"
          >
            <MicrosoftLogo />
            Sign in
          </Button>
          <p className="text-sm text-slate-600">Use your Microsoft work account.</p>
        </div>
        {shownError !== null && (
          <div role="alert" className="mx-auto mt-8 max-w-md rounded-md border border-red-200 bg-red-50 p-4 text-left text-sm text-red-900">
            <p className="font-semibold">Sign-in did not complete</p>
            <p className="mt-1 break-words">{shownError}</p>
          </div>
        )}
      </section>
    </PageFrame>
  );
}
