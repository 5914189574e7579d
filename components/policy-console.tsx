'use client';

import { useState } from 'react';
import { Button } from '@/components/button';
import { parsePolicyFields, parsePolicySettings, type PolicyFields } from '@/components/policy-api';
import { PolicyForm } from '@/components/policy-form/policy-form';
import { fromPendingPolicy, putPolicy, restorePolicy } from '@/components/policy-form/use-policy-save';
import { PolicyHistory } from '@/components/policy-history';
import { ProblemAlert } from '@/components/problem-alert';
import { ListSkeleton, SectionHeading } from '@/components/section-parts';
import { TenantPolicyCard } from '@/components/tenant-policy-card';
import { useMe } from '@/lib/client/me-context';
import { APP_ROLES } from '@/lib/client/navigation';
import { usePortalQuery } from '@/lib/client/use-portal-api';
import { useResumeStepUp, useStepUp } from '@/lib/client/use-step-up';

/** "Policy": the broker policy, editable by admins, with the tenant's bounds, a preview and the history. */
export function PolicyConsole() {
  const me = useMe();
  if (me.status === 'loading') return <ListSkeleton label="Loading…" />;
  if (me.status === 'success' && !me.data.roles.includes(APP_ROLES.admin)) {
    return (
      <section aria-labelledby="policy-title" className="space-y-4">
        <SectionHeading id="policy-title" title="Policy" description="The rules the broker applies to every request." />
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
          Only admins change the broker policy. Ask your administrator for the TAP Broker Admin role if you need it.
        </p>
      </section>
    );
  }
  return <PolicyEditor />;
}

/** A save interrupted by the second factor, being retried after it, or why that failed (with the draft). */
type ResumedSave = { phase: 'running' } | { phase: 'failed'; error: unknown; draft: PolicyFields | null };

function PolicyEditor() {
  const settings = usePortalQuery('/api/policy', parsePolicySettings);
  const [historyKey, setHistoryKey] = useState(0);
  const [saved, setSaved] = useState<number | null>(null);
  const stepUp = useStepUp();
  const [resumed, setResumed] = useState<ResumedSave | null>(null);
  const refreshSettings = settings.refresh;

  const onSaved = (version: number) => {
    setSaved(version);
    setHistoryKey((n) => n + 1);
    refreshSettings();
  };

  // Back from the second factor: the same draft is saved once more with the stepped-up token.
  useResumeStepUp(['policy'], (interrupted) => {
    let draft: PolicyFields;
    try {
      draft = parsePolicyFields(interrupted.policy);
    } catch (error) {
      setResumed({ phase: 'failed', error, draft: null });
      return;
    }
    setResumed({ phase: 'running' });
    const { changeReason, restoreVersion } = fromPendingPolicy(interrupted.policy);
    stepUp.retry(interrupted, (call) => (restoreVersion !== null && changeReason !== null ? restorePolicy(call, restoreVersion, changeReason) : putPolicy(call, draft, changeReason))).then(
      (version) => {
        setResumed(null);
        onSaved(version);
      },
      (error: unknown) => setResumed({ phase: 'failed', error, draft }),
    );
  });
  const restoredDraft = resumed?.phase === 'failed' ? resumed.draft : null;

  return (
    <section aria-labelledby="policy-title" className="space-y-6">
      <SectionHeading
        id="policy-title"
        title="Policy"
        description={
          settings.status === 'success'
            ? `Version ${settings.data.version} is in force. Saving creates a new version; the old ones stay in the history.`
            : 'The rules the broker applies to every request.'
        }
      />
      <div aria-live="polite">
        {saved !== null && (
          <p role="status" data-testid="policy-saved" className="rounded-md border border-green-200 bg-green-50 p-3 text-sm text-green-900">
            Saved. Version {saved} is now in force.
          </p>
        )}
      </div>
      {resumed?.phase === 'running' && (
        <p role="status" className="rounded-md border border-slate-200 bg-slate-50 p-3 text-sm text-slate-700">
          Checking your second factor and saving the policy…
        </p>
      )}
      {resumed?.phase === 'failed' && <ProblemAlert error={resumed.error} />}
      {settings.status === 'loading' && <ListSkeleton label="Loading the policy…" />}
      {settings.status === 'error' && (
        <div className="space-y-3">
          <ProblemAlert error={settings.error} />
          <Button variant="secondary" onClick={settings.reload}>
            Try again
          </Button>
        </div>
      )}
      {settings.status === 'success' && (
        <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_18rem]">
          <PolicyForm
            // A draft that failed its step-up comes back into a fresh form.
            key={`${settings.data.version}${restoredDraft === null ? '' : '-restored'}`}
            settings={settings.data}
            initialDraft={restoredDraft}
            onSaved={onSaved}
            onEdited={() => setSaved(null)}
          />
          <TenantPolicyCard tenant={settings.data.tenantTapPolicy} />
        </div>
      )}
      <PolicyHistory
        key={historyKey}
        current={settings.status === 'success' ? settings.data : null}
        onRestored={onSaved}
      />
    </section>
  );
}
