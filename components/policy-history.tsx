'use client';

import { Badge } from '@/components/badge';
import { Button } from '@/components/button';
import {
  type PolicyFields,
  formatPolicyValue,
  parsePolicyVersions,
  POLICY_FIELD_LABELS,
  POLICY_FIELD_NAMES,
  type PolicyVersionEntry,
} from '@/components/policy-api';
import { PolicyChangeList } from '@/components/policy-change-list';
import { ProblemAlert } from '@/components/problem-alert';
import { ListSkeleton } from '@/components/section-parts';
import { useState } from 'react';
import { PolicyChangeDialog } from '@/components/policy-change-dialog';
import { restorePolicy, toPendingPolicy } from '@/components/policy-form/use-policy-save';
import { StepUpRequiredError } from '@/lib/client/api-fetch';
import { formatDateTime } from '@/lib/client/format';
import { useMe } from '@/lib/client/me-context';
import { InteractionRedirectingError } from '@/lib/client/msal';
import { APP_ROLES } from '@/lib/client/navigation';
import { usePortalApi, usePortalQuery } from '@/lib/client/use-portal-api';
import { useStepUp } from '@/lib/client/use-step-up';

/**
 * The policy's versions, newest first: who saved each, when, why, and what changed (old → new).
 * Admins may restore an earlier one, which saves its settings as a new version (`current`: the
 * policy in force, to show what the restore changes).
 */
export function PolicyHistory({ current, onRestored }: { current: PolicyFields | null; onRestored: (version: number) => void }) {
  const versions = usePortalQuery('/api/policy/versions', parsePolicyVersions);
  const me = useMe();
  const meId = me.status === 'success' ? me.data.id : null;
  const isAdmin = me.status === 'success' && me.data.roles.includes(APP_ROLES.admin);
  const [restoring, setRestoring] = useState<PolicyVersionEntry | null>(null);
  return (
    <section aria-labelledby="policy-history-title" className="space-y-3">
      <div className="flex items-end justify-between gap-3">
        <div>
          <h3 id="policy-history-title" className="text-lg font-semibold text-slate-900">
            Version history
          </h3>
          <p className="text-sm text-slate-600">Every saved version, newest first, with its audit event.</p>
        </div>
        {versions.status !== 'loading' && (
          <Button variant="secondary" onClick={versions.refresh}>
            Refresh
          </Button>
        )}
      </div>
      {versions.status === 'loading' && <ListSkeleton label="Loading the policy history…" />}
      {versions.status === 'error' && <ProblemAlert error={versions.error} />}
      {versions.status === 'success' && (
        <ol className="space-y-3" aria-label="Policy versions" data-testid="policy-history">
          {versions.data.map((entry, index) => (
            <VersionRow
              key={entry.version}
              entry={entry}
              previous={versions.data[index + 1] ?? null}
              current={index === 0}
              meId={meId}
              onRestore={isAdmin && index > 0 && current !== null ? () => setRestoring(entry) : null}
            />
          ))}
        </ol>
      )}
      {restoring !== null && current !== null && (
        <RestoreDialog entry={restoring} current={current} onClose={() => setRestoring(null)} onRestored={onRestored} />
      )}
    </section>
  );
}

function VersionRow({
  entry,
  previous,
  current,
  meId,
  onRestore,
}: {
  entry: PolicyVersionEntry;
  previous: PolicyVersionEntry | null;
  current: boolean;
  meId: string | null;
  onRestore: (() => void) | null;
}) {
  const who =
    entry.createdBy === 'system'
      ? 'the built-in defaults'
      : entry.createdBy === meId
        ? 'you'
        : (entry.createdByDisplayName ?? `user ${entry.createdBy.slice(0, 8)}…`);
  const changed = previous === null ? [] : entry.changedFields;
  return (
    <li
      data-testid="policy-version"
      data-version={entry.version}
      className="rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm"
    >
      <div className="flex flex-col gap-1 sm:flex-row sm:items-center sm:justify-between">
        <p className="font-semibold text-slate-900">
          Version {entry.version} {current && <Badge tone="green">In force</Badge>}
        </p>
        <p className="text-slate-600">
          <time dateTime={entry.createdAt}>{formatDateTime(entry.createdAt)}</time> · by{' '}
          <span className="font-medium text-slate-800">{who}</span>
          {entry.auditSeq !== null && <span className="text-slate-500"> · audit #{entry.auditSeq}</span>}
        </p>
      </div>
      {entry.restoredFromVersion !== null && (
        <p className="mt-1 text-slate-700" data-testid="policy-version-restored-from">
          Restores the settings of version {entry.restoredFromVersion}.
        </p>
      )}
      {entry.changeReason !== null && (
        <p className="mt-1 whitespace-pre-line break-words text-slate-700" data-testid="policy-version-reason">
          <span className="font-medium text-slate-900">Reason:</span> {entry.changeReason}
        </p>
      )}
      {previous === null ? (
        <p className="mt-2 break-words text-slate-700">
          First version:{' '}
          {POLICY_FIELD_NAMES.map((field) => `${POLICY_FIELD_LABELS[field].toLowerCase()} ${formatPolicyValue(field, entry.policy)}`).join(
            ' · ',
          )}
          .
        </p>
      ) : changed.length === 0 ? (
        <p className="mt-2 text-slate-700">Saved again without changes.</p>
      ) : (
        <div className="mt-2">
          <PolicyChangeList fields={changed} before={previous.policy} after={entry.policy} label={`Changes in version ${entry.version}`} />
        </div>
      )}
      {onRestore !== null && (
        <div className="mt-3">
          <Button variant="secondary" onClick={onRestore} data-testid="policy-version-restore" aria-label={`Restore version ${entry.version}`}>
            Restore
          </Button>
        </div>
      )}
    </li>
  );
}

/** Confirms a restore with the changes it makes to the policy in force and a required reason. */
function RestoreDialog({
  entry,
  current,
  onClose,
  onRestored,
}: {
  entry: PolicyVersionEntry;
  current: PolicyFields;
  onClose: () => void;
  onRestored: (version: number) => void;
}) {
  const call = usePortalApi();
  const stepUp = useStepUp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const { version: _version, ...settings } = entry.policy;
  const restore = async (reason: string) => {
    setBusy(true);
    setError(null);
    try {
      let version: number;
      try {
        version = await restorePolicy(call, entry.version, reason);
      } catch (caught) {
        if (caught instanceof StepUpRequiredError) await stepUp.begin({ kind: 'policy', policy: toPendingPolicy(settings, reason, entry.version) }, caught);
        throw caught;
      }
      onClose();
      onRestored(version);
    } catch (caught) {
      if (caught instanceof InteractionRedirectingError) return;
      setBusy(false);
      setError(caught);
    }
  };
  return (
    <PolicyChangeDialog
      title={`Restore version ${entry.version}?`}
      intro={`A new version is saved with the settings of version ${entry.version}; the history keeps every version. Against the policy in force:`}
      before={current}
      after={settings}
      confirmLabel="Restore as a new version"
      busy={busy}
      error={error}
      onConfirm={(reason) => void restore(reason)}
      onClose={onClose}
    />
  );
}
