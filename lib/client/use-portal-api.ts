// How components call the portal API: with the signed-in user's token, and as a loading, error or
// data state.
'use client';

import { useMsal } from '@azure/msal-react';
import { useCallback, useEffect, useState } from 'react';
import { apiFetch, type ApiFetchOptions } from '@/lib/client/api-fetch';
import { getApiAccessToken, InteractionRedirectingError } from '@/lib/client/msal';
import { REQUESTS_CHANGED_EVENT } from '@/lib/client/navigation';
import { usePortalConfig } from '@/lib/client/portal-context';

export type PortalApiCall = (path: string, options?: Omit<ApiFetchOptions, 'getAccessToken'>) => Promise<unknown>;

/** `apiFetch` bound to the signed-in account and the portal API scope. */
export function usePortalApi(): PortalApiCall {
  const { instance } = useMsal();
  const { scopes } = usePortalConfig();
  return useCallback(
    async (path, options) => {
      const body = await apiFetch(path, { ...options, getAccessToken: () => getApiAccessToken(instance, scopes) });
      // Counts shown elsewhere (the Approvals tab) follow any change a request went through here.
      if ((options?.method ?? 'GET') !== 'GET' && path.startsWith('/api/tap-requests')) window.dispatchEvent(new Event(REQUESTS_CHANGED_EVENT));
      return body;
    },
    [instance, scopes],
  );
}

export type QueryState<T> =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'success'; data: T };

/**
 * Loads `path` once, parsing the answer with `parse`. `reload` starts over from "loading";
 * `refresh` keeps showing the current data until the new answer arrives.
 */
export function usePortalQuery<T>(
  path: string,
  parse: (body: unknown) => T,
): QueryState<T> & { reload: () => void; refresh: () => void } {
  const call = usePortalApi();
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<QueryState<T>>({ status: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    call(path, { signal: controller.signal })
      .then((body) => parse(body))
      .then(
        (data) => {
          if (!controller.signal.aborted) setState({ status: 'success', data });
        },
        (error: unknown) => {
          // While MSAL navigates away to renew the session, keep showing "loading".
          if (controller.signal.aborted || error instanceof InteractionRedirectingError) return;
          setState({ status: 'error', error });
        },
      );
    return () => controller.abort();
  }, [call, path, parse, attempt]);

  const reload = useCallback(() => {
    setState({ status: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  const refresh = useCallback(() => setAttempt((n) => n + 1), []);

  return { ...state, reload, refresh };
}
