/**
 * Ranked horizontal bars: a list whose every item says its label and value in text, with the bar
 * (plain SVG, hidden from screen readers) only repeating the proportion.
 */
export function ChartBarList({
  label,
  items,
  tone = 'blue',
  emptyText,
  testId,
}: {
  /** The list's accessible name. */
  label: string;
  items: readonly { key: string; label: string; value: number }[];
  tone?: 'blue' | 'amber' | 'green';
  emptyText: string;
  testId?: string;
}) {
  if (items.length === 0) {
    return (
      <p data-testid={testId} className="rounded-md border border-dashed border-slate-300 p-4 text-center text-sm text-slate-600">
        {emptyText}
      </p>
    );
  }
  const max = Math.max(1, ...items.map((item) => item.value));
  const fill = tone === 'amber' ? 'fill-amber-500' : tone === 'green' ? 'fill-green-600' : 'fill-blue-700';
  return (
    <ul aria-label={label} data-testid={testId} className="space-y-2.5">
      {items.map((item) => (
        <li key={item.key} data-key={item.key} data-value={item.value} className="text-sm">
          <div className="flex items-baseline justify-between gap-3">
            <span className="min-w-0 truncate text-slate-800" title={item.label}>
              {item.label}
            </span>
            <span className="shrink-0 font-semibold tabular-nums text-slate-900">{item.value.toLocaleString()}</span>
          </div>
          <svg viewBox="0 0 100 6" preserveAspectRatio="none" className="mt-1 h-2 w-full" aria-hidden="true" focusable="false">
            <rect x={0} y={0} width={100} height={6} rx={3} className="fill-slate-100" />
            <rect x={0} y={0} width={Math.max(1, (item.value / max) * 100)} height={6} rx={3} className={fill} />
          </svg>
        </li>
      ))}
    </ul>
  );
}
