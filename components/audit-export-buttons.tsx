// The audit console's downloads: the export (CSV or JSON Lines) and its signed manifest.
'use client';

import { useMsal } from '@azure/msal-react';
import { useState } from 'react';
import { hasEventFilters, toAuditExportQuery, type AuditFilters } from '@/components/audit/audit-filters';
import { Button } from '@/components/button';
import { ProblemAlert } from '@/components/problem-alert';
import { ApiError, readApiError } from '@/lib/client/api-fetch';
import { getApiAccessToken } from '@/lib/client/msal';
import { usePortalConfig } from '@/lib/client/portal-context';

type ExportFormat = 'csv' | 'jsonl';

function fileNameFrom(disposition: string | null, fallback: string): string {
  const match = disposition === null ? null : /filename="?([^";]+)"?/i.exec(disposition);
  return match?.[1]?.trim() || fallback;
}

/**
 * Downloads of the compliance export (`GET /api/audit/export`). A plain link cannot carry the
 * bearer token, so the file is fetched with it and handed to the browser as a Blob URL, which is
 * revoked at once: nothing of the export stays in the page. After an export, its Ed25519-signed
 * manifest (`X-Export-Manifest-Url`) can be downloaded too, for offline checking.
 *
 * The export takes the list's applied `filters`, so the file holds what the screen shows; `shown`
 * is what the list holds under them (its count, and whether more pages follow). `onExported` runs
 * after a download: the export wrote its own `audit.exported` event, which the list should show.
 */
export function AuditExportButtons({
  filters,
  shown,
  onExported,
}: {
  filters: AuditFilters;
  shown: { count: number; more: boolean } | null;
  onExported?: () => void;
}) {
  const { instance } = useMsal();
  const { scopes } = usePortalConfig();
  const [busy, setBusy] = useState<ExportFormat | 'manifest' | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);

  const [manifestUrl, setManifestUrl] = useState<string | null>(null);

  /** Fetches `path` with the bearer token and hands it to the browser as a file; returns the response headers. */
  const save = async (path: string, fallbackName: string): Promise<{ name: string; headers: Headers }> => {
    const token = await getApiAccessToken(instance, scopes);
    let response: Response;
    try {
      response = await fetch(path, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
    } catch {
      throw new ApiError({ status: 0, title: 'The portal could not be reached', detail: 'Check your connection and try again.', code: 'network-error' });
    }
    if (!response.ok) throw await readApiError(response);
    const blob = await response.blob();
    const name = fileNameFrom(response.headers.get('Content-Disposition'), fallbackName);
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    URL.revokeObjectURL(url);
    return { name, headers: response.headers };
  };

  const download = async (format: ExportFormat) => {
    setBusy(format);
    setFailure(null);
    setDone(null);
    setManifestUrl(null);
    try {
      const { name, headers } = await save(`/api/audit/export?${toAuditExportQuery(filters, format)}`, `audit-export.${format}`);
      // Only a same-origin API path is followed with the token.
      const manifest = headers.get('X-Export-Manifest-Url');
      setManifestUrl(manifest !== null && manifest.startsWith('/api/audit/export/') ? manifest : null);
      const count = Number(headers.get('X-Export-Count'));
      setDone(`Downloaded ${name}${Number.isInteger(count) ? ` (${eventCount(count)}${filtered ? ', filtered' : ''})` : ''}.`);
      onExported?.();
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(null);
    }
  };

  const downloadManifest = async () => {
    if (manifestUrl === null) return;
    setBusy('manifest');
    setFailure(null);
    try {
      const { name } = await save(manifestUrl, 'audit-export.manifest.json');
      setDone(`Downloaded ${name}. Check both files offline with npm run audit:verify.`);
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(null);
    }
  };

  const filtered = hasEventFilters(filters);
  const summary =
    shown === null
      ? 'The export holds the events the filters select; it is itself recorded in the audit trail.'
      : `Export ${shown.more ? `${shown.count}+ events` : eventCount(shown.count)}${filtered ? ' (filtered)' : ''}: the events the list shows under these filters. The export is itself recorded in the audit trail.`;

  return (
    <div className="min-w-0 space-y-2" data-testid="audit-export">
      <div className="flex flex-wrap gap-2" role="group" aria-label="Export the audit trail">
        <Button variant="secondary" onClick={() => download('csv')} disabled={busy !== null} data-testid="audit-export-csv">
          {busy === 'csv' ? 'Preparing CSV…' : 'Download CSV'}
        </Button>
        <Button variant="secondary" onClick={() => download('jsonl')} disabled={busy !== null} data-testid="audit-export-jsonl">
          {busy === 'jsonl' ? 'Preparing JSONL…' : 'Download JSONL'}
        </Button>
        {manifestUrl !== null && (
          <Button variant="secondary" onClick={downloadManifest} disabled={busy !== null} data-testid="audit-export-manifest">
            {busy === 'manifest' ? 'Preparing manifest…' : 'Download signed manifest'}
          </Button>
        )}
      </div>
      <p className="text-xs text-slate-600" data-testid="audit-export-summary">
        {summary}
      </p>
      <p aria-live="polite" className="text-xs break-all text-slate-600" data-testid="audit-export-done">
        {done}
      </p>
      {failure !== null && <ProblemAlert error={failure} />}
    </div>
  );
}

function eventCount(count: number): string {
  return `${count} event${count === 1 ? '' : 's'}`;
}
