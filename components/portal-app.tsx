// The browser app's root: load the runtime configuration, check the sign-in service can be reached,
// then start MSAL around the portal.
'use client';

import type { PublicClientApplication } from '@azure/msal-browser';
import { MsalProvider } from '@azure/msal-react';
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { AuthorityUnreachablePanel } from '@/components/authority-unreachable-panel';
import { BootStatus } from '@/components/boot-status';
import { Button } from '@/components/button';
import { NoticePanel } from '@/components/notice-panel';
import { PageFrame } from '@/components/page-frame';
import { PortalView } from '@/components/portal-view';
import { checkAuthorityReachable } from '@/lib/client/authority-reachability';
import { createMsalInstance } from '@/lib/client/msal';
import { fetchPortalConfig, type PortalConfig } from '@/lib/client/portal-config';
import { PortalConfigProvider } from '@/lib/client/portal-context';

type BootState =
  | { phase: 'loading' }
  | { phase: 'config-error'; message: string }
  | { phase: 'unreachable'; config: PortalConfig; isLocal: boolean }
  | { phase: 'ready'; config: PortalConfig; instance: PublicClientApplication };

/**
 * The browser app's boot sequence: runtime configuration → can the browser reach the sign-in
 * service (first contact with the local tenant's certificate) → MSAL. Rendered on the client
 * only (see client-root.tsx), so MSAL never runs on the server.
 */
export function PortalApp({ children }: { children: ReactNode }) {
  const [attempt, setAttempt] = useState(0);
  const [boot, setBoot] = useState<BootState>({ phase: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    void (async () => {
      let config: PortalConfig;
      try {
        config = await fetchPortalConfig(signal);
      } catch (error) {
        if (signal.aborted) return;
        setBoot({ phase: 'config-error', message: error instanceof Error ? error.message : String(error) });
        return;
      }
      try {
        const reachability = await checkAuthorityReachable(config.authority, signal);
        if (signal.aborted) return;
        if (reachability.kind === 'unreachable') {
          setBoot({ phase: 'unreachable', config, isLocal: reachability.isLocal });
          return;
        }
        const instance = createMsalInstance(config, reachability.metadata);
        // Initialised here rather than only by MsalProvider, which swallows a failure and would
        // leave the page "signing in" for ever.
        await instance.initialize();
        if (signal.aborted) return;
        setBoot({ phase: 'ready', config, instance });
      } catch (error) {
        if (signal.aborted) return;
        setBoot({ phase: 'config-error', message: error instanceof Error ? error.message : String(error) });
      }
    })();
    return () => controller.abort();
  }, [attempt]);

  const retry = useCallback(() => {
    setBoot({ phase: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  switch (boot.phase) {
    case 'loading':
      return (
        <PageFrame>
          <BootStatus label="Loading TAP Broker…" />
        </PageFrame>
      );
    case 'config-error':
      return (
        <PageFrame>
          <NoticePanel title="TAP Broker is not available right now" tone="error" role="alert">
            <p>{boot.message}</p>
            <Button onClick={retry}>Try again</Button>
          </NoticePanel>
        </PageFrame>
      );
    case 'unreachable':
      return (
        <PageFrame>
          <AuthorityUnreachablePanel authority={boot.config.authority} isLocal={boot.isLocal} onRetry={retry} />
        </PageFrame>
      );
    case 'ready':
      return (
        <PortalConfigProvider value={boot.config}>
          <MsalProvider instance={boot.instance}>
            <PortalView>{children}</PortalView>
          </MsalProvider>
        </PortalConfigProvider>
      );
  }
}
