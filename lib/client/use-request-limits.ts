// The rules the request form checks a pass's lifetime against, from whichever source the user may
// read.
'use client';

import { useEffect, useState } from 'react';
import { InteractionRedirectingError } from '@/lib/client/msal';
import { canReadPolicy } from '@/lib/client/navigation';
import { parsePolicyAsLimits, parseRequestLimits, type RequestLimits } from '@/lib/client/portal-types';
import { usePortalApi } from '@/lib/client/use-portal-api';

export type RequestLimitsState = { status: 'loading' } | { status: 'known'; limits: RequestLimits } | { status: 'unknown' };

/**
 * The lifetime and one-time rules the request form applies: `GET /api/policy/limits` (any
 * signed-in user), else `GET /api/policy` for the roles that may read it, else unknown — then the
 * form sends no lifetime and the API's validation errors say what it accepts.
 */
export function useRequestLimits(roles: readonly string[]): RequestLimitsState {
  const call = usePortalApi();
  const [state, setState] = useState<RequestLimitsState>({ status: 'loading' });
  const mayReadPolicy = canReadPolicy(roles);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    void (async () => {
      const attempts: [string, (body: unknown) => RequestLimits][] = [['/api/policy/limits', parseRequestLimits]];
      if (mayReadPolicy) attempts.push(['/api/policy', parsePolicyAsLimits]);
      for (const [path, parse] of attempts) {
        try {
          const limits = parse(await call(path, { signal }));
          if (!signal.aborted) setState({ status: 'known', limits });
          return;
        } catch (error) {
          if (signal.aborted || error instanceof InteractionRedirectingError) return;
          // Anything else (404 where the route is not deployed, 403, 503): try the next source.
        }
      }
      if (!signal.aborted) setState({ status: 'unknown' });
    })();
    return () => controller.abort();
  }, [call, mayReadPolicy]);

  return state;
}
