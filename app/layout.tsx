import type { Metadata, Viewport } from 'next';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import { ClientRoot } from '@/components/client-root';
import './globals.css';

/**
 * The HTML shell every page shares: metadata, the skip link, and the browser app that stays mounted
 * while the user moves between pages.
 */

export const metadata: Metadata = {
  title: { default: 'TAP Broker', template: '%s · TAP Broker' },
  description: 'Temporary Access Passes for the people who report to you, checked against policy and audited.',
  icons: { icon: '/favicon.svg' },
  robots: { index: false, follow: false },
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: '#1d4ed8',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Rendered per request, so Next can put this response's CSP nonce (from proxy.ts) on its scripts.
  await connection();
  return (
    <html lang="en">
      <body>
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:fixed focus:left-4 focus:top-4 focus:z-50 focus:rounded-md focus:bg-white focus:px-4 focus:py-2 focus:text-sm focus:font-semibold focus:text-blue-800 focus:shadow"
        >
          Skip to main content
        </a>
        {/*
          The portal is a single-page app: the server sends a static shell and the browser does the
          rest (runtime config, sign-in, API calls with the user's token). The app lives in the
          layout so that moving between pages keeps MSAL and the signed-in session mounted; each
          page is only the section it shows.
        */}
        <ClientRoot>{children}</ClientRoot>
      </body>
    </html>
  );
}
