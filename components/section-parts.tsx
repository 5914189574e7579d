import type { ReactNode } from 'react';

/** A page section's title (the page's main heading under the sr-only product name), its purpose, and an optional action. */
export function SectionHeading({
  id,
  title,
  description,
  action,
}: {
  id: string;
  title: string;
  description: string;
  action?: ReactNode;
}) {
  return (
    <div className="flex flex-col gap-4 sm:flex-row sm:items-end sm:justify-between">
      <div>
        <h2 id={id} className="text-2xl font-semibold tracking-tight text-slate-900">
          {title}
        </h2>
        <p className="mt-1 text-sm text-slate-600">{description}</p>
      </div>
      {action !== undefined && action !== false && <div className="self-start sm:self-auto">{action}</div>}
    </div>
  );
}

/** Placeholder cards while a list loads; announced once through `label`. */
export function ListSkeleton({ label }: { label: string }) {
  return (
    <div aria-busy="true">
      <p role="status" aria-live="polite" className="sr-only">
        {label}
      </p>
      <ul className="space-y-3" aria-hidden="true">
        {[0, 1, 2].map((row) => (
          <li key={row} className="space-y-3 rounded-lg border border-slate-200 bg-white p-5">
            <span className="block h-4 w-48 animate-pulse rounded bg-slate-200 motion-reduce:animate-none" />
            <span className="block h-3 w-72 max-w-full animate-pulse rounded bg-slate-100 motion-reduce:animate-none" />
            <span className="block h-3 w-56 max-w-full animate-pulse rounded bg-slate-100 motion-reduce:animate-none" />
          </li>
        ))}
      </ul>
    </div>
  );
}
