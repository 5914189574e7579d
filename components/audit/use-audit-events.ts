// The audit trail's events under the applied filters: the first page, reloaded when the filters
// change, and further pages on request.
'use client';

import { useCallback, useEffect, useState } from 'react';
import { toAuditQuery, type AuditFilters } from '@/components/audit/audit-filters';
import { parseAuditPage, type AuditEvent } from '@/lib/client/audit-types';
import { InteractionRedirectingError } from '@/lib/client/msal';
import { usePortalApi } from '@/lib/client/use-portal-api';

export type AuditListState =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'success'; events: AuditEvent[]; nextCursor: string | null; loadingMore: boolean; moreError: unknown };

export function useAuditEvents(applied: AuditFilters): { state: AuditListState; retry: () => void; loadMore: () => Promise<void> } {
  const call = usePortalApi();
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<AuditListState>({ status: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    call(`/api/audit?${toAuditQuery(applied, null)}`, { signal: controller.signal })
      .then(parseAuditPage)
      .then(
        (page) => {
          if (!controller.signal.aborted) setState({ status: 'success', ...page, loadingMore: false, moreError: null });
        },
        (error: unknown) => {
          if (controller.signal.aborted || error instanceof InteractionRedirectingError) return;
          setState({ status: 'error', error });
        },
      );
    return () => controller.abort();
  }, [call, applied, attempt]);

  const loadMore = useCallback(async () => {
    if (state.status !== 'success' || state.nextCursor === null || state.loadingMore) return;
    const cursor = state.nextCursor;
    setState({ ...state, loadingMore: true, moreError: null });
    try {
      const page = parseAuditPage(await call(`/api/audit?${toAuditQuery(applied, cursor)}`));
      setState((current) =>
        current.status === 'success'
          ? { status: 'success', events: [...current.events, ...page.events], nextCursor: page.nextCursor, loadingMore: false, moreError: null }
          : current,
      );
    } catch (error) {
      if (error instanceof InteractionRedirectingError) return;
      setState((current) => (current.status === 'success' ? { ...current, loadingMore: false, moreError: error } : current));
    }
  }, [call, applied, state]);

  return { state, retry: () => setAttempt((n) => n + 1), loadMore };
}
