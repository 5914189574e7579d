'use client';

import dynamic from 'next/dynamic';
import { BootStatus } from '@/components/boot-status';
import { PageFrame } from '@/components/page-frame';

/*
 * MSAL reads window, sessionStorage and the URL hash; `ssr: false` keeps it (and everything that
 * depends on it) out of server rendering altogether, and out of the first HTML's critical path.
 */
const PortalApp = dynamic(() => import('@/components/portal-app').then((m) => m.PortalApp), {
  ssr: false,
  loading: () => (
    <PageFrame>
      <BootStatus label="Loading TAP Broker…" />
    </PageFrame>
  ),
});

export function ClientRoot() {
  return <PortalApp />;
}
