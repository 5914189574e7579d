import type { ReactNode } from 'react';
import { BrandMark } from '@/components/brand-mark';

/** The frame for everything shown before the signed-in portal: brand bar and centred content. */
export function PageFrame({ children }: { children: ReactNode }) {
  return (
    <div className="flex min-h-dvh flex-col">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex h-14 max-w-6xl items-center gap-3 px-4 sm:px-6">
          <BrandMark className="size-7" />
          <span className="text-base font-semibold tracking-tight text-slate-900">TAP Broker</span>
        </div>
      </header>
      <main id="main" className="flex flex-1 flex-col px-4 py-10 sm:px-6 sm:py-16">
        {children}
      </main>
    </div>
  );
}
