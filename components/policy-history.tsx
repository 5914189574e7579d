'use client';

import { Badge } from '@/components/badge';
import { Button } from '@/components/button';
import {
  formatPolicyValue,
  parsePolicyVersions,
  POLICY_FIELD_LABELS,
  POLICY_FIELD_NAMES,
  type PolicyVersionEntry,
} from '@/components/policy-api';
import { PolicyChangeList } from '@/components/policy-change-list';
import { ProblemAlert } from '@/components/problem-alert';
import { ListSkeleton } from '@/components/section-parts';
import { formatDateTime } from '@/lib/client/format';
import { useMe } from '@/lib/client/me-context';
import { usePortalQuery } from '@/lib/client/use-portal-api';

/** The policy's versions, newest first: who saved each, when, and what changed (old → new). */
export function PolicyHistory() {
  const versions = usePortalQuery('/api/policy/versions', parsePolicyVersions);
  const me = useMe();
  const meId = me.status === 'success' ? me.data.id : null;
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
            <VersionRow key={entry.version} entry={entry} previous={versions.data[index + 1] ?? null} current={index === 0} meId={meId} />
          ))}
        </ol>
      )}
    </section>
  );
}

function VersionRow({
  entry,
  previous,
  current,
  meId,
}: {
  entry: PolicyVersionEntry;
  previous: PolicyVersionEntry | null;
  current: boolean;
  meId: string | null;
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
    </li>
  );
}
