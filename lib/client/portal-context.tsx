// The runtime configuration, shared with everything below the boot sequence.
'use client';

import { createContext, useContext } from 'react';
import type { PortalConfig } from '@/lib/client/portal-config';

const PortalConfigContext = createContext<PortalConfig | null>(null);

export const PortalConfigProvider = PortalConfigContext.Provider;

/** The runtime configuration loaded at boot; only available below the boot sequence. */
export function usePortalConfig(): PortalConfig {
  const config = useContext(PortalConfigContext);
  if (config === null) throw new Error('usePortalConfig is used outside the signed-in portal.');
  return config;
}
