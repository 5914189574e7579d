/**
 * A column chart of one count per day, drawn as plain SVG (no chart library: the bundle stays
 * lean). The bars stretch with the width while the axis labels are ordinary text, so they stay
 * readable from a phone to a wide screen. The picture is for sighted readers; the same figures
 * are in a table that screen readers read instead, so nothing is only in the picture.
 */
export function ChartDailyBars({
  title,
  data,
  valueLabel,
  testId,
}: {
  title: string;
  data: readonly { date: string; count: number }[];
  /** Column header of the values in the accessible table, e.g. "Passes issued". */
  valueLabel: string;
  testId?: string;
}) {
  const max = Math.max(1, ...data.map((d) => d.count));
  // Whole-number gridlines with a "nice" top.
  const step = max <= 4 ? 1 : Math.ceil(max / 4);
  const ceiling = step * Math.ceil(max / step);
  const ticks = Array.from({ length: Math.floor(ceiling / step) + 1 }, (_, i) => i * step);
  const width = Math.max(1, data.length) * 10;
  const height = 100;
  const short = (date: string) =>
    new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
  // Labels a week apart counted back from today, so the newest day is always named and none collide.
  const labelEvery = data.length > 10 ? 7 : 1;

  return (
    <figure data-testid={testId} className="min-w-0">
      <figcaption className="sr-only">{title}</figcaption>
      <div aria-hidden="true" className="flex items-start gap-2">
        <div className="relative h-40 w-6 shrink-0 text-right text-xs tabular-nums text-slate-600 sm:h-48">
          {ticks.map((tick) => (
            <span key={tick} className="absolute right-0 -translate-y-1/2" style={{ top: `${100 - (tick / ceiling) * 100}%` }}>
              {tick}
            </span>
          ))}
        </div>
        <div className="min-w-0 flex-1">
          <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" className="block h-40 w-full sm:h-48" focusable="false">
            {ticks.map((tick) => (
              <line
                key={tick}
                x1={0}
                x2={width}
                y1={height - (tick / ceiling) * height}
                y2={height - (tick / ceiling) * height}
                className="stroke-slate-200"
                strokeWidth={1}
                vectorEffect="non-scaling-stroke"
              />
            ))}
            {data.map((d, i) => {
              const barHeight = (d.count / ceiling) * height;
              return (
                <rect key={d.date} x={i * 10 + 1.5} y={height - barHeight} width={7} height={barHeight} className="fill-blue-700">
                  <title>{`${short(d.date)}: ${d.count}`}</title>
                </rect>
              );
            })}
          </svg>
          <div className="relative mt-1 h-4 text-xs text-slate-600">
            {data.map((d, i) =>
              (data.length - 1 - i) % labelEvery === 0 ? (
                <span
                  key={d.date}
                  className={`absolute whitespace-nowrap ${i === data.length - 1 ? '-translate-x-full' : i === 0 ? '' : '-translate-x-1/2'}`}
                  style={{ left: `${i === data.length - 1 ? 100 : ((i + 0.5) / data.length) * 100}%` }}
                >
                  {short(d.date)}
                </span>
              ) : null,
            )}
          </div>
        </div>
      </div>
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Day (UTC)</th>
            <th scope="col">{valueLabel}</th>
          </tr>
        </thead>
        <tbody>
          {data.map((d) => (
            <tr key={d.date}>
              <th scope="row">{d.date}</th>
              <td>{d.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
