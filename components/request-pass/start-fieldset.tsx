// The request form's start: when the pass is fetched, or at a set time (a new hire's first day by
// default), with a warning when that is further ahead than a pass may be prepared.
'use client';

import { inputClassName } from '@/components/form-field';
import { describedBy, type RequestPassIds } from '@/components/request-pass/request-pass-ids';
import type { RequestPassDraft } from '@/components/request-pass/use-request-pass-draft';
import { formatDateTime } from '@/lib/client/format';
import { MAX_START_AHEAD_DAYS } from '@/lib/client/request-form';

export function StartFieldset({
  ids,
  draft,
  targetName,
  error,
}: {
  ids: RequestPassIds;
  draft: RequestPassDraft;
  targetName: string;
  error: string | undefined;
}) {
  const { defaultStart, startMode, setStartMode, startValue, setStartValue, farStart } = draft;
  return (
    <fieldset aria-describedby={ids.startHint}>
      <legend className="font-medium text-slate-900">Start</legend>
      <p id={ids.startHint} className="text-slate-600">
        {defaultStart !== null
          ? `${targetName} starts on ${formatDateTime(defaultStart.toISOString())}; the pass starts then unless you change it.`
          : 'When the pass starts to work.'}
      </p>
      <div className="mt-2 space-y-2">
        <label className="flex items-center gap-3">
          <input
            type="radio"
            name="start"
            value="now"
            checked={startMode === 'now'}
            onChange={() => setStartMode('now')}
            className="size-4 accent-blue-700"
          />
          When I get the pass
        </label>
        <label className="flex items-center gap-3">
          <input
            type="radio"
            name="start"
            value="later"
            checked={startMode === 'later'}
            onChange={() => setStartMode('later')}
            className="size-4 accent-blue-700"
          />
          At a set time
        </label>
      </div>
      {startMode === 'later' && (
        <div className="mt-3">
          <label htmlFor={ids.start} className="mb-1 block font-medium text-slate-800">
            Start date and time
          </label>
          <input
            id={ids.start}
            type="datetime-local"
            value={startValue}
            onChange={(event) => setStartValue(event.target.value)}
            aria-invalid={error !== undefined}
            aria-describedby={describedBy(error !== undefined && `${ids.start}-error`, farStart && `${ids.start}-far`)}
            className={`${inputClassName} w-full sm:w-64`}
          />
          {error !== undefined && (
            <p id={`${ids.start}-error`} className="mt-1 font-medium text-red-700">
              {error}
            </p>
          )}
          {farStart && (
            <p id={`${ids.start}-far`} className="mt-1 text-amber-900">
              That is more than {MAX_START_AHEAD_DAYS} days away, further than a pass may be prepared; request it closer to
              the date.
            </p>
          )}
        </div>
      )}
    </fieldset>
  );
}
