// Step-up in the browser: send the user to prove a second factor, and retry the refused action when
// they come back.
'use client';

import { InteractionStatus } from '@azure/msal-browser';
import { useMsal } from '@azure/msal-react';
import { useCallback, useEffect, useMemo, useRef } from 'react';
import { apiFetch, StepUpRequiredError } from '@/lib/client/api-fetch';
import { getStepUpAccessToken, InteractionRedirectingError, redirectForStepUp } from '@/lib/client/msal';
import {
  clearPendingStepUp,
  savePendingStepUp,
  StepUpNotCompletedError,
  takePendingStepUp,
  type PendingStepUp,
  type PendingStepUpAction,
  type PendingStepUpKind,
} from '@/lib/client/pending-step-up';
import { usePortalConfig } from '@/lib/client/portal-context';
import type { PortalApiCall } from '@/lib/client/use-portal-api';

export interface StepUp {
  /**
   * Keeps `action` for after the sign-in redirect and sends the user to prove the second factor
   * the refusal asks for. Never returns: rejects with `InteractionRedirectingError` while the page
   * navigates away, or with the error that stopped the redirect.
   */
  begin: (action: PendingStepUpAction, refusal: StepUpRequiredError) => Promise<never>;
  /**
   * Runs `perform` once with a token that proves the claims of the resumed action. A token the
   * sign-in service will not grant, or a second step-up refusal, rejects with
   * `StepUpNotCompletedError`; any other refusal comes through as it is.
   */
  retry: <T>(pending: PendingStepUp, perform: (call: PortalApiCall) => Promise<T>) => Promise<T>;
}

/** Step-up for an action the API refused with `step-up-required`: the redirect out, the retry back. */
export function useStepUp(): StepUp {
  const { instance } = useMsal();
  const { scopes } = usePortalConfig();

  const begin = useCallback<StepUp['begin']>(
    async (action, refusal) => {
      const storage = window.sessionStorage;
      savePendingStepUp(storage, action, refusal.claims, Date.now());
      try {
        await redirectForStepUp(instance, scopes, refusal.claims);
      } catch (error) {
        clearPendingStepUp(storage);
        throw error;
      }
      throw new InteractionRedirectingError('Taking you to confirm it is you with your authenticator app.');
    },
    [instance, scopes],
  );

  const retry = useCallback<StepUp['retry']>(
    async (pending, perform) => {
      let token: string;
      try {
        token = await getStepUpAccessToken(instance, scopes);
      } catch (error) {
        throw new StepUpNotCompletedError(pending.kind, { cause: error });
      }
      const call: PortalApiCall = (path, options) => apiFetch(path, { ...options, getAccessToken: async () => token });
      try {
        return await perform(call);
      } catch (error) {
        // Retried once: a second challenge means the sign-in did not prove what the API needs.
        if (error instanceof StepUpRequiredError) throw new StepUpNotCompletedError(pending.kind, { cause: error });
        throw error;
      }
    },
    [instance, scopes],
  );

  return useMemo(() => ({ begin, retry }), [begin, retry]);
}

/**
 * Hands the action a step-up interrupted to `onResume`, once, after MSAL has finished handling
 * the return from the sign-in service (so the retry finds the new session in its cache). Only
 * actions of `kinds` are taken; another screen picks up the others.
 */
export function useResumeStepUp<K extends PendingStepUpKind>(
  kinds: readonly K[],
  onResume: (pending: Extract<PendingStepUp, { kind: K }>) => void,
): void {
  const { inProgress } = useMsal();
  const handler = useRef(onResume);
  useEffect(() => {
    handler.current = onResume;
  });
  const key = kinds.join(',');
  useEffect(() => {
    if (inProgress !== InteractionStatus.None) return;
    const pending = takePendingStepUp(window.sessionStorage, key.split(',') as K[], Date.now());
    if (pending !== null) handler.current(pending);
  }, [inProgress, key]);
}
