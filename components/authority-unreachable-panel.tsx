'use client';

import { useEffect } from 'react';
import { getAuthorityAcceptUrl } from '@/lib/client/authority-reachability';
import { Button } from '@/components/button';
import { NoticePanel } from '@/components/notice-panel';

/**
 * Shown when the browser cannot reach the sign-in service. For the local tenant that almost
 * always means its self-signed certificate has not been accepted yet: one sentence on why, one
 * link to accept it (the tenant's landing page links back here), and a retry. It never suggests
 * turning browser security off; accepting one certificate for one local site is all it takes.
 */
export function AuthorityUnreachablePanel({
  authority,
  isLocal,
  onRetry,
}: {
  authority: string;
  isLocal: boolean;
  onRetry: () => void;
}) {
  const origin = new URL(authority).origin;

  // Someone who accepted the certificate in another tab comes back to this one: check again.
  useEffect(() => {
    window.addEventListener('focus', onRetry);
    return () => window.removeEventListener('focus', onRetry);
  }, [onRetry]);

  if (!isLocal) {
    return (
      <NoticePanel title="The sign-in service cannot be reached" tone="error" role="alert">
        <p>
          Your browser could not contact <span className="font-medium break-all">{origin}</span>. Check your connection,
          then try again.
        </p>
        <Button onClick={onRetry}>Try again</Button>
      </NoticePanel>
    );
  }
  const returnTo = `${window.location.origin}${window.location.pathname}${window.location.search}`;
  return (
    <NoticePanel title="One step before you sign in" tone="warning" role="alert">
      <p data-testid="certificate-explanation">
        This portal signs you in against a local stand-in for Microsoft Entra ID that uses a certificate generated on
        this machine, so your browser asks you to accept it once.
      </p>
      <div className="flex flex-col gap-3 sm:flex-row sm:items-center">
        <a
          href={getAuthorityAcceptUrl(authority, returnTo)}
          className="inline-flex min-h-10 items-center justify-center rounded-md bg-blue-700 px-4 text-sm font-semibold text-white hover:bg-blue-800"
        >
          Open the local sign-in service
        </a>
        <Button variant="secondary" onClick={onRetry}>
          Try again
        </Button>
      </div>
      <p className="text-xs text-slate-600">
        The link opens <span className="font-mono break-all">{origin}</span>; accept the browser&rsquo;s warning for
        that site, then come back here.
      </p>
    </NoticePanel>
  );
}
