import type { ReactNode } from 'react';

/**
 * A centred message card for states that replace the page (boot failures, first contact with
 * the sign-in service). `alert` makes screen readers announce it when it appears.
 */
export function NoticePanel({
  title,
  children,
  tone = 'neutral',
  role,
}: {
  title: string;
  children: ReactNode;
  tone?: 'neutral' | 'warning' | 'error';
  role?: 'alert' | 'status';
}) {
  const accent = tone === 'error' ? 'border-t-red-600' : tone === 'warning' ? 'border-t-amber-500' : 'border-t-blue-700';
  return (
    <section
      role={role}
      aria-labelledby="notice-title"
      className={`mx-auto w-full max-w-lg rounded-lg border border-t-4 border-slate-200 bg-white p-6 shadow-sm sm:p-8 ${accent}`}
    >
      <h1 id="notice-title" className="text-lg font-semibold text-slate-900">
        {title}
      </h1>
      <div className="mt-3 space-y-4 text-sm leading-6 text-slate-700">{children}</div>
    </section>
  );
}
