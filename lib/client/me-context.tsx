// The signed-in user's profile, shared by the portal's pages so `/api/me` is loaded once.
'use client';

import { createContext, useContext } from 'react';
import type { Me } from '@/lib/client/portal-types';
import type { QueryState } from '@/lib/client/use-portal-api';

const MeContext = createContext<QueryState<Me> | null>(null);

export const MeProvider = MeContext.Provider;

/** The signed-in user's profile (`/api/me`), loaded once by the signed-in portal. */
export function useMe(): QueryState<Me> {
  const me = useContext(MeContext);
  if (me === null) throw new Error('useMe is used outside the signed-in portal.');
  return me;
}
