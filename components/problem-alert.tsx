import { IneligibleReasons } from '@/components/ineligible-reasons';
import { ApiError } from '@/lib/client/api-fetch';
import { describeError } from '@/lib/client/format';

/** Why an action failed, in the API's words: title, detail, the reasons or field errors it gave. */
export function ProblemAlert({ error, className = '' }: { error: unknown; className?: string }) {
  const { title, detail } = describeError(error);
  const reasons = error instanceof ApiError ? error.reasons : [];
  const errors = error instanceof ApiError ? error.errors : [];
  const retryAfter = error instanceof ApiError ? error.retryAfterSeconds : null;
  return (
    <div role="alert" data-testid="problem" className={`rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900 ${className}`}>
      <p className="font-semibold">{title}</p>
      {detail !== null && <p className="mt-1 break-words">{detail}</p>}
      {reasons.length > 0 && <IneligibleReasons reasons={reasons} className="mt-2" />}
      {errors.length > 0 && (
        <ul className="mt-1 list-inside list-disc">
          {errors.map((line) => (
            <li key={line} className="break-words">
              {line}
            </li>
          ))}
        </ul>
      )}
      {retryAfter !== null && (
        // The API budget's windows are seconds to an hour; the issuance quota's wait is hours.
        <p className="mt-1">Try again in {retryAfter >= 3600 ? `${Math.ceil(retryAfter / 3600)} h` : retryAfter >= 60 ? `${Math.ceil(retryAfter / 60)} min` : `${retryAfter} s`}.</p>
      )}
    </div>
  );
}
