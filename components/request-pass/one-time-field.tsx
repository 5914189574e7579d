// The request form's "One-time use" checkbox, locked on when the policy requires it.
'use client';

import type { RequestPassIds } from '@/components/request-pass/request-pass-ids';
import type { RequestPassDraft } from '@/components/request-pass/use-request-pass-draft';

export function OneTimeField({ ids, draft }: { ids: RequestPassIds; draft: RequestPassDraft }) {
  return (
    <div>
      <div className="flex items-start gap-3">
        <input
          id={ids.oneTime}
          type="checkbox"
          checked={draft.oneTime}
          disabled={draft.oneTimeForced}
          onChange={(event) => draft.setOneTime(event.target.checked)}
          aria-describedby={ids.oneTimeHint}
          className="mt-0.5 size-5 shrink-0 accent-blue-700"
        />
        <div>
          <label htmlFor={ids.oneTime} className="font-medium text-slate-900">
            One-time use
          </label>
          <p id={ids.oneTimeHint} className="text-slate-600">
            {draft.oneTimeForced
              ? 'Required by policy: the pass works for one sign-in.'
              : 'The pass works for one sign-in. Untick to let it be used until it expires.'}
          </p>
        </div>
      </div>
    </div>
  );
}
