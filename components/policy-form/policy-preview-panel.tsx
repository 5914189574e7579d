// The policy draft's effect on the whole organisation, counted by the server on request, and the
// draft's changes against the version in force.
'use client';

import { useCallback, useState } from 'react';
import { Button } from '@/components/button';
import { getChangedFields, parsePolicyPreview, type PolicyFields, type PolicyPreviewView, type PolicySettingsView } from '@/components/policy-api';
import { PolicyChangeList } from '@/components/policy-change-list';
import { PolicyPreviewSummary } from '@/components/policy-form/policy-preview-summary';
import { ProblemAlert } from '@/components/problem-alert';
import { usePortalApi } from '@/lib/client/use-portal-api';

/** The draft's effect on the whole organisation, asked for explicitly (it reads the whole directory). */
export function PolicyPreviewPanel({
  draft,
  current,
  unchanged,
}: {
  draft: PolicyFields | null;
  current: PolicySettingsView;
  unchanged: boolean;
}) {
  const call = usePortalApi();
  const [state, setState] = useState<
    { status: 'idle' } | { status: 'loading' } | { status: 'error'; error: unknown } | { status: 'success'; data: PolicyPreviewView; for: string }
  >({ status: 'idle' });
  const draftKey = draft === null ? null : JSON.stringify(draft);
  const stale = state.status === 'success' && state.for !== draftKey;
  const changes = draft === null ? [] : getChangedFields(current, draft);

  const preview = useCallback(async () => {
    if (draft === null || draftKey === null) return;
    setState({ status: 'loading' });
    try {
      const body = await call('/api/policy/preview', { method: 'POST', body: draft });
      setState({ status: 'success', data: parsePolicyPreview(body), for: draftKey });
    } catch (error) {
      setState({ status: 'error', error });
    }
  }, [call, draft, draftKey]);

  return (
    <div className="space-y-3 rounded-md border border-slate-200 bg-slate-50 p-4" data-testid="policy-preview">
      <div className="flex flex-col gap-2 sm:flex-row sm:items-center sm:justify-between">
        <div>
          <h4 className="text-sm font-semibold text-slate-900">Effect on the organisation</h4>
          <p className="text-sm text-slate-600">Judges everyone in the directory under the policy in force and under the draft; nothing is saved.</p>
        </div>
        <Button variant="secondary" onClick={() => void preview()} disabled={draft === null || state.status === 'loading'}>
          {state.status === 'loading' ? 'Counting…' : stale || state.status === 'success' ? 'Preview again' : 'Preview the effect'}
        </Button>
      </div>
      {changes.length > 0 && draft !== null && (
        <div className="text-sm" data-testid="policy-draft-changes">
          <p className="font-medium text-slate-900">Your changes to version {current.version}</p>
          <PolicyChangeList fields={changes} before={current} after={draft} label="Changes in the draft" />
        </div>
      )}
      <div aria-live="polite" aria-busy={state.status === 'loading'}>
        {state.status === 'error' && <ProblemAlert error={state.error} />}
        {state.status === 'success' && draft !== null && <PolicyPreviewSummary preview={state.data} stale={stale} unchanged={unchanged && !stale} />}
      </div>
    </div>
  );
}
