'use client';

import dynamic from 'next/dynamic';
import type { ReactNode } from 'react';
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

/** Hosts the browser app around the current page; pages render inside the signed-in portal. */
export function ClientRoot({ children }: { children: ReactNode }) {
  return <PortalApp>{children}</PortalApp>;
}
